// Online DNSSEC signing with ECDSA P-256/SHA-256 (algorithm 13, RFC 6605) through WebCrypto:
// DNSKEY and DS records, key tags, RRSIG generation over the canonical RRset form and its
// verification, and a signature cache so an RRset is signed once, not on every query.

import { InFlight } from "../concurrency/in-flight.ts";
import { concatBytes, sha256, type Bytes } from "../encoding/bytes.ts";
import { labelCount, nameToWire, splitName } from "./names.ts";
import { rrsigHeader, encodeRdata } from "./rdata-wire.ts";
import { rrsetKey, rrsetWire } from "./records.ts";
import { CLASS_IN, TYPE, type RData, type RRset, type RRsetOf } from "./types.ts";

/** RFC 6605 §2. */
export const ALG_ECDSAP256SHA256 = 13;
/** RFC 4509 §2.1. */
export const DIGEST_SHA256 = 2;
/** RFC 4034 §2.1.1: Zone Key (bit 7) and Secure Entry Point (bit 15). 257 marks a key that
 *  both signs the zone and is referenced from the parent's DS: a combined signing key. */
export const FLAGS_ZONE_KEY = 0x0100;
export const FLAGS_SEP = 0x0001;
export const FLAGS_CSK = FLAGS_ZONE_KEY | FLAGS_SEP;

const ECDSA = { name: "ECDSA", namedCurve: "P-256" } as const;
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" } as const;

/** A fresh P-256 key pair; extractable so the Zone object can store it sealed. */
export async function generateZoneKeyPair(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(ECDSA, true, ["sign", "verify"])) as CryptoKeyPair;
}

/** RFC 6605 §4: the DNSKEY public key is Q = x‖y, the uncompressed point without its 0x04 prefix. */
export async function dnskeyFromPublicKey(publicKey: CryptoKey, flags: number = FLAGS_CSK): Promise<RData<"DNSKEY">> {
  const raw = new Uint8Array((await crypto.subtle.exportKey("raw", publicKey)) as ArrayBuffer);
  return { flags, protocol: 3, algorithm: ALG_ECDSAP256SHA256, publicKey: raw.slice(1) };
}

/** The WebCrypto public key of an algorithm-13 DNSKEY (for verification). */
export async function publicKeyFromDnskey(dnskey: RData<"DNSKEY">): Promise<CryptoKey | null> {
  if (dnskey.algorithm !== ALG_ECDSAP256SHA256 || dnskey.publicKey.length !== 64) return null;
  try {
    return await crypto.subtle.importKey("raw", concatBytes(Uint8Array.of(4), dnskey.publicKey), ECDSA, true, ["verify"]);
  } catch {
    return null;
  }
}

/** RFC 4034 Appendix B: the key tag is a ones'-complement-style sum over the DNSKEY RDATA. */
export function keyTag(dnskey: RData<"DNSKEY">): number {
  const rdata = encodeRdata("DNSKEY", dnskey);
  let ac = 0;
  for (let i = 0; i < rdata.length; i++) ac += i & 1 ? rdata[i]! : rdata[i]! << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

/** RFC 4034 §5.1.4: digest = SHA-256(owner canonical wire ‖ DNSKEY RDATA), digest type 2. */
export async function dsFromDnskey(owner: string, dnskey: RData<"DNSKEY">): Promise<RData<"DS">> {
  const digest = await sha256(concatBytes(nameToWire(owner), encodeRdata("DNSKEY", dnskey)));
  return { keyTag: keyTag(dnskey), algorithm: dnskey.algorithm, digestType: DIGEST_SHA256, digest };
}

/**
 * The octets an RRSIG signs (RFC 4034 §3.1.8.1, canonical form §6.2, order §6.3):
 * RRSIG RDATA without the signature, then every RR as owner | type | class | original TTL |
 * RDLENGTH | RDATA in canonical order. When the RRSIG's label count is below the owner's
 * (a wildcard expansion, RFC 4035 §5.3.2) the owner is rebuilt as "*." plus the rightmost
 * `labels` labels.
 */
export function signedData(rrset: RRset, sig: Omit<RData<"RRSIG">, "signature">): Bytes {
  const owner = ownerForLabels(rrset.name, sig.labels);
  const ownerWire = nameToWire(owner);
  const fixed = new Uint8Array(8);
  const view = new DataView(fixed.buffer);
  view.setUint16(0, TYPE[rrset.type]);
  view.setUint16(2, CLASS_IN);
  view.setUint32(4, sig.originalTtl);
  const parts: Uint8Array[] = [rrsigHeader(sig)];
  for (const rd of rrsetWire(rrset)) {
    parts.push(ownerWire, fixed, Uint8Array.of(rd.length >> 8, rd.length & 0xff), rd);
  }
  return concatBytes(parts);
}

function ownerForLabels(name: string, labels: number): string {
  const all = splitName(name);
  const real = labelCount(name);
  if (labels >= real) return name;
  return ["*", ...all.slice(all.length - labels)].join(".") + ".";
}

/** A zone signing key and what it is used for in a rollover (RFC 6781 §4.1). */
export interface ZoneKey {
  dnskey: RData<"DNSKEY">;
  keyTag: number;
  privateKey: CryptoKey;
  /**
   * active: published and signs every RRset. published: in the DNSKEY RRset only (pre-publish,
   * so caches learn it before it signs). retiring: still published and signing the DNSKEY RRset
   * (its DS may still be the one in the parent) but no longer signing zone data.
   */
  role: "active" | "published" | "retiring";
}

export async function zoneKey(pair: CryptoKeyPair, role: ZoneKey["role"] = "active", flags: number = FLAGS_CSK): Promise<ZoneKey> {
  const dnskey = await dnskeyFromPublicKey(pair.publicKey, flags);
  return { dnskey, keyTag: keyTag(dnskey), privateKey: pair.privateKey, role };
}

export interface SignatureWindow {
  inception: number;
  expiration: number;
}

/** Signs one RRset with one key. WebCrypto's ECDSA output is already r‖s, as RFC 6605 §4 wants. */
export async function signRRset(rrset: RRset, signer: string, key: ZoneKey, window: SignatureWindow): Promise<RData<"RRSIG">> {
  const fields = {
    typeCovered: TYPE[rrset.type], algorithm: ALG_ECDSAP256SHA256, labels: labelCount(rrset.name), originalTtl: rrset.ttl,
    expiration: window.expiration >>> 0, inception: window.inception >>> 0, keyTag: key.keyTag, signerName: signer,
  };
  const signature = new Uint8Array(await crypto.subtle.sign(ECDSA_SHA256, key.privateKey, signedData(rrset, fields)));
  return { ...fields, signature };
}

/**
 * Verifies an RRSIG over an RRset with a DNSKEY (RFC 4035 §5.3): algorithm, key tag, covered
 * type, label count and validity window, then the signature itself. For tests and self-checks.
 */
export async function verifyRRsig(rrset: RRset, sig: RData<"RRSIG">, dnskey: RData<"DNSKEY">, now: number = Math.floor(Date.now() / 1000)): Promise<boolean> {
  if (sig.algorithm !== dnskey.algorithm || sig.keyTag !== keyTag(dnskey) || sig.typeCovered !== TYPE[rrset.type]) return false;
  if (sig.labels > labelCount(rrset.name)) return false;
  if (now < sig.inception || now > sig.expiration) return false;
  const key = await publicKeyFromDnskey(dnskey);
  if (!key) return false;
  const { signature, ...fields } = sig;
  try {
    return await crypto.subtle.verify(ECDSA_SHA256, key, signature, signedData({ ...rrset, ttl: sig.originalTtl }, fields));
  } catch {
    return false;
  }
}

export interface SignerOptions {
  /** Seconds the inception is backdated: absorbs validators' clock skew (RFC 6781 §4.4.2.2). */
  inceptionOffset?: number;
  /** Signature lifetime in seconds. */
  validity?: number;
  /** Re-sign once a cached signature is this many seconds old. */
  refreshAfter?: number;
  /** Cached signatures kept (least recently used dropped first). */
  cacheSize?: number;
  /** TTL of the DNSKEY RRset. */
  dnskeyTtl?: number;
  /** Clock, in seconds since the epoch (injectable for tests). */
  now?: () => number;
}

/**
 * Signs RRsets for one zone on the fly and remembers the signatures.
 *
 * Window: inception one hour in the past, so validators whose clocks run slow still accept a
 * fresh signature; expiration seven days ahead, re-signed after one day. A served signature thus
 * always has at least six days left — far more than any TTL a resolver will cache it for (RFC 4035
 * §5.3.3 caps the TTL at the remaining validity) — while the window in which an old, replayed
 * RRset still validates after a change stays bounded to a week.
 */
export class ZoneSigner {
  readonly apex: string;
  readonly keys: readonly ZoneKey[];
  private readonly opts: Required<SignerOptions>;
  private readonly cache = new Map<string, { sigs: RData<"RRSIG">[]; signedAt: number }>();
  /** Concurrent queries for the same RRset share one signing operation. */
  private readonly pending = new InFlight<RData<"RRSIG">[]>();

  constructor(apex: string, keys: readonly ZoneKey[], options: SignerOptions = {}) {
    this.apex = apex;
    this.keys = keys;
    this.opts = {
      inceptionOffset: options.inceptionOffset ?? 3600,
      validity: options.validity ?? 7 * 86400,
      refreshAfter: options.refreshAfter ?? 86400,
      cacheSize: options.cacheSize ?? 10_000,
      dnskeyTtl: options.dnskeyTtl ?? 3600,
      now: options.now ?? (() => Math.floor(Date.now() / 1000)),
    };
  }

  /** The apex DNSKEY RRset: every key that is not yet removed, in canonical order. */
  dnskeyRRset(): RRsetOf<"DNSKEY"> {
    return { name: this.apex, type: "DNSKEY", ttl: this.opts.dnskeyTtl, rdata: this.keys.map((k) => k.dnskey) };
  }

  /** DS records for the parent, one per SEP key that is active or being introduced. */
  async ds(): Promise<RData<"DS">[]> {
    return Promise.all(this.keys.filter((k) => k.dnskey.flags & FLAGS_SEP).map((k) => dsFromDnskey(this.apex, k.dnskey)));
  }

  private signersFor(rrset: RRset): ZoneKey[] {
    if (rrset.type === "DNSKEY") return this.keys.filter((k) => k.role !== "published");
    return this.keys.filter((k) => k.role === "active");
  }

  /** RRSIGs over `rrset` (cached by content), as an RRset with the covered RRset's owner and TTL. */
  async sign(rrset: RRset): Promise<RRsetOf<"RRSIG">> {
    const keys = this.signersFor(rrset);
    const cacheKey = `${rrsetKey(rrset)}#${keys.map((k) => k.keyTag).join(",")}`;
    const now = this.opts.now();
    const hit = this.cache.get(cacheKey);
    let sigs: RData<"RRSIG">[];
    if (hit && now - hit.signedAt < this.opts.refreshAfter) {
      this.cache.delete(cacheKey);
      this.cache.set(cacheKey, hit); // refresh LRU position
      sigs = hit.sigs;
    } else {
      sigs = await this.pending.share(cacheKey, async () => {
        const window = { inception: now - this.opts.inceptionOffset, expiration: now + this.opts.validity };
        const s = await Promise.all(keys.map((k) => signRRset(rrset, this.apex, k, window)));
        this.cache.set(cacheKey, { sigs: s, signedAt: now });
        while (this.cache.size > this.opts.cacheSize) this.cache.delete(this.cache.keys().next().value!);
        return s;
      });
    }
    return { name: rrset.name, type: "RRSIG", ttl: rrset.ttl, rdata: sigs };
  }

  /** Number of cached signature sets (for metrics and tests). */
  get cached(): number {
    return this.cache.size;
  }
}
