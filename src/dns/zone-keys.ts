// DNSSEC keys of a hosted zone: generation, sealing at rest with the key vault, and the
// pre-publish rollover of a combined signing key (RFC 6781 §4.1.1.1 for the zone data, with the
// double-DS method of §4.1.2 for the parent's DS), in three explicit steps:
//
//   publish   a new key joins the DNSKEY RRset; the old key still signs everything. The DS API
//             lists both DS records so the parent can carry both (double-DS).
//   activate  after the new DNSKEY RRset has reached every cache (DNSKEY TTL + propagation):
//             the new key signs the zone data; the old key turns "retiring" and still signs the
//             DNSKEY RRset, so a resolver that only knows the old DS still validates.
//   retire    after every signature made by the old key has expired from caches (the largest
//             TTL in the zone + propagation) and the parent's DS names the new key: the old key
//             leaves the DNSKEY RRset.
//
// At no point does a cached signature lack its key, nor a cached key set lack the key that
// signs current data: the rollover has no validation gap.

import type { SealedKey } from "../ca/key-vault.ts";
import { sealKey, unsealKey } from "../ca/key-vault.ts";
import { formatRdata, parseRdata, tokenize } from "./rdata-text.ts";
import { generateZoneKeyPair, keyTag, zoneKey, type ZoneKey } from "./dnssec.ts";
import { toHex } from "../encoding/bytes.ts";
import type { RData } from "./types.ts";

export interface StoredZoneKey {
  /** Random id; part of the key-vault slot, so a sealed key cannot be moved to another key. */
  id: string;
  role: ZoneKey["role"];
  /** DNSKEY RDATA in presentation format. */
  dnskey: string;
  sealed: SealedKey;
  createdAt: number;
  /** When the role last changed (the start of the current rollover wait). */
  changedAt: number;
}

const ECDSA_P256 = { name: "ECDSA", namedCurve: "P-256" } as const;

/** Key-vault slot of a zone key: distinct from the CA's slots ("trustchain/ca-key/v1/dnssec/…"). */
export function zoneKeySlot(apex: string, id: string): string {
  return `dnssec/${apex}${id}`;
}

/** Generates a key whose tag differs from every tag in `avoid` (RRSIGs name keys by tag). */
export async function generateStoredKey(kek: CryptoKey, apex: string, role: ZoneKey["role"], now: number, avoid: readonly number[] = []): Promise<{ stored: StoredZoneKey; key: ZoneKey }> {
  for (;;) {
    const pair = await generateZoneKeyPair();
    const key = await zoneKey(pair, role);
    if (avoid.includes(key.keyTag)) continue;
    const id = toHex(crypto.getRandomValues(new Uint8Array(8)));
    const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
    const sealed = await sealKey(kek, zoneKeySlot(apex, id), pkcs8);
    return { stored: { id, role, dnskey: formatRdata("DNSKEY", key.dnskey), sealed, createdAt: now, changedAt: now }, key };
  }
}

function storedDnskey(stored: StoredZoneKey): RData<"DNSKEY"> {
  const t = tokenize(stored.dnskey);
  const rd = t.ok ? parseRdata("DNSKEY", t.tokens) : null;
  if (!rd?.ok) throw new Error(`stored DNSKEY of key ${stored.id} does not parse`);
  return rd.rdata;
}

/** The key tag (RFC 4034 Appendix B) of a stored key. */
export function storedKeyTag(stored: StoredZoneKey): number {
  return keyTag(storedDnskey(stored));
}

/** Opens a stored key (throws when the KEK is wrong or the sealed key was altered). */
export async function openStoredKey(kek: CryptoKey, apex: string, stored: StoredZoneKey): Promise<ZoneKey> {
  const pkcs8 = await unsealKey(kek, zoneKeySlot(apex, stored.id), stored.sealed);
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, ECDSA_P256, false, ["sign"]);
  const dnskey = storedDnskey(stored);
  return { dnskey, keyTag: keyTag(dnskey), privateKey, role: stored.role };
}

export type RolloverStep = "publish" | "activate" | "retire";

export interface RolloverTiming {
  /** TTL of the DNSKEY RRset. */
  dnskeyTtl: number;
  /** Largest TTL of any RRset in the zone (how long a signature over it may sit in a cache). */
  maxZoneTtl: number;
  /** Allowance for edge caches and secondary propagation. */
  propagation: number;
}

export interface RolloverState {
  /** The step that comes next. */
  next: RolloverStep;
  /** Unix seconds before which `next` would open a validation gap (0: any time). */
  safeAfter: number;
}

/** Where a zone's keys are in the rollover, and when the next step becomes safe. */
export function rolloverState(keys: readonly StoredZoneKey[], t: RolloverTiming): RolloverState {
  const published = keys.find((k) => k.role === "published");
  if (published) return { next: "activate", safeAfter: published.changedAt + t.dnskeyTtl + t.propagation };
  const retiring = keys.find((k) => k.role === "retiring");
  if (retiring) return { next: "retire", safeAfter: retiring.changedAt + Math.max(t.maxZoneTtl, t.dnskeyTtl) + t.propagation };
  return { next: "publish", safeAfter: 0 };
}

/**
 * The key set after `activate` or `retire` (role changes only; `publish` needs a new key and is
 * done by the caller with {@link generateStoredKey}).
 */
export function applyRoleStep(keys: readonly StoredZoneKey[], step: "activate" | "retire", now: number): StoredZoneKey[] {
  if (step === "activate") {
    return keys.map((k) =>
      k.role === "published" ? { ...k, role: "active", changedAt: now } : k.role === "active" ? { ...k, role: "retiring", changedAt: now } : k,
    );
  }
  return keys.filter((k) => k.role !== "retiring");
}
