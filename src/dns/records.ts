// RRset validation and normalization, canonical RR ordering, and conversion to and from the
// answer objects of `dns-packet` (used by tests as an independent decoder, and by callers that
// want dns-packet objects). Validation returns typed errors; nothing here throws on bad data.

import { Buffer } from "node:buffer";
import type * as dnsPacket from "dns-packet";
import { bytesEqual, toHex, type Bytes } from "../encoding/bytes.ts";
import { formatIP, parseIPv4, parseIPv6 } from "../names/ip.ts";
import { compareOctets, parseName } from "./names.ts";
import { decodeRdata, encodeRdata } from "./rdata-wire.ts";
import { checkSvcParams } from "./svcb.ts";
import { isRRType, TYPE, typeName, typeNumber, type RData, type RRset, type RRType } from "./types.ts";

export interface RecordError {
  name: string;
  type: string;
  message: string;
}

export type CheckResult<T> = { ok: true; value: T } | { ok: false; error: RecordError };

/** RFC 2181 §8: TTLs are 31-bit unsigned; values with the top bit set are treated as zero there,
 *  here they are refused so the operator sees the mistake. */
export const MAX_TTL = 0x7fffffff;

const isU8 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xff;
const isU16 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffff;
const isU32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
const octets = (s: string): number => new TextEncoder().encode(s).length;

function nameField(value: string, what: string): string | { error: string } {
  const r = parseName(value);
  return r.ok ? r.name : { error: `${what}: ${r.error}` };
}

/** Checks one RDATA and returns its normalized form (lowercase names, RFC 5952 IPv6 text). */
export function checkRdata<T extends RRType>(type: T, rdata: RData<T>): { ok: true; rdata: RData<T> } | { ok: false; error: string };
export function checkRdata(type: RRType, rdata: RData): { ok: true; rdata: RData } | { ok: false; error: string } {
  const bad = (error: string): { ok: false; error: string } => ({ ok: false, error });
  const good = (r: RData): { ok: true; rdata: RData } => ({ ok: true, rdata: r });
  const names = <K extends string>(obj: Record<K, string>, keys: K[]): Record<K, string> | { error: string } => {
    const out = { ...obj };
    for (const k of keys) {
      const n = nameField(obj[k], k);
      if (typeof n !== "string") return n;
      out[k] = n;
    }
    return out;
  };
  switch (type) {
    case "A": {
      const r = rdata as RData<"A">;
      return typeof r.address === "string" && parseIPv4(r.address) ? good({ address: r.address }) : bad(`"${r.address}" is not an IPv4 address`);
    }
    case "AAAA": {
      const r = rdata as RData<"AAAA">;
      const b = typeof r.address === "string" ? parseIPv6(r.address) : null;
      return b ? good({ address: formatIP(b)! }) : bad(`"${r.address}" is not an IPv6 address`);
    }
    case "CNAME":
    case "PTR": {
      const n = names(rdata as RData<"CNAME">, ["target"]);
      return "error" in n ? bad(n.error) : good({ target: n.target });
    }
    case "NS": {
      const n = names(rdata as RData<"NS">, ["host"]);
      return "error" in n ? bad(n.error) : good({ host: n.host });
    }
    case "MX": {
      const r = rdata as RData<"MX">;
      if (!isU16(r.preference)) return bad("MX preference must be 0–65535");
      const n = names({ exchange: r.exchange }, ["exchange"]);
      return "error" in n ? bad(n.error) : good({ preference: r.preference, exchange: n.exchange });
    }
    case "TXT": {
      const r = rdata as RData<"TXT">;
      if (!Array.isArray(r.strings) || r.strings.length === 0) return bad("TXT needs at least one character-string");
      for (const s of r.strings) {
        if (typeof s !== "string") return bad("TXT strings must be text");
        if (octets(s) > 255) return bad("a TXT character-string is at most 255 octets (RFC 1035 §3.3); split the value");
      }
      return good({ strings: [...r.strings] });
    }
    case "SOA": {
      const r = rdata as RData<"SOA">;
      for (const k of ["serial", "refresh", "retry", "expire", "minimum"] as const) if (!isU32(r[k])) return bad(`SOA ${k} must be a 32-bit unsigned integer`);
      const n = names({ mname: r.mname, rname: r.rname }, ["mname", "rname"]);
      return "error" in n ? bad(n.error) : good({ ...r, mname: n.mname, rname: n.rname });
    }
    case "SRV": {
      const r = rdata as RData<"SRV">;
      if (!isU16(r.priority) || !isU16(r.weight) || !isU16(r.port)) return bad("SRV priority, weight and port are 0–65535");
      const n = names({ target: r.target }, ["target"]);
      return "error" in n ? bad(n.error) : good({ priority: r.priority, weight: r.weight, port: r.port, target: n.target });
    }
    case "CAA": {
      const r = rdata as RData<"CAA">;
      if (!isU8(r.flags)) return bad("CAA flags are 0–255");
      // RFC 8659 §4.1.1: the tag is 1–15 ASCII letters and digits.
      if (typeof r.tag !== "string" || !/^[A-Za-z0-9]{1,15}$/.test(r.tag)) return bad("CAA tag must be 1–15 letters and digits");
      if (typeof r.value !== "string") return bad("CAA value must be text");
      return good({ flags: r.flags, tag: r.tag, value: r.value });
    }
    case "TLSA": {
      const r = rdata as RData<"TLSA">;
      // RFC 6698 §2.1 with the RFC 7218 acronyms' ranges: usage 0–3, selector 0–1, matching 0–2.
      if (!isU8(r.usage) || r.usage > 3) return bad("TLSA usage must be 0–3");
      if (!isU8(r.selector) || r.selector > 1) return bad("TLSA selector must be 0 or 1");
      if (!isU8(r.matchingType) || r.matchingType > 2) return bad("TLSA matching type must be 0–2");
      if (!(r.data instanceof Uint8Array) || r.data.length === 0) return bad("TLSA needs association data");
      const want = r.matchingType === 1 ? 32 : r.matchingType === 2 ? 64 : 0;
      if (want && r.data.length !== want) return bad(`TLSA matching type ${r.matchingType} needs a ${want}-octet digest`);
      return good({ ...r, data: Uint8Array.from(r.data) });
    }
    case "HTTPS":
    case "SVCB": {
      const r = rdata as RData<"SVCB">;
      if (!isU16(r.priority)) return bad("SvcPriority must be 0–65535");
      const n = names({ target: r.target }, ["target"]);
      if ("error" in n) return bad(n.error);
      const p = checkSvcParams(r.priority, r.params ?? {});
      return p ? bad(p) : good({ priority: r.priority, target: n.target, params: { ...r.params } });
    }
    case "DS": {
      const r = rdata as RData<"DS">;
      if (!isU16(r.keyTag) || !isU8(r.algorithm) || !isU8(r.digestType)) return bad("DS key tag, algorithm or digest type out of range");
      // RFC 4034 §5.1.4 (SHA-1), RFC 4509 §2.2 (SHA-256), RFC 6605 §2 (SHA-384).
      const want = ({ 1: 20, 2: 32, 4: 48 } as Record<number, number>)[r.digestType];
      if (!(r.digest instanceof Uint8Array) || (want !== undefined && r.digest.length !== want)) return bad("DS digest has the wrong length for its digest type");
      return good({ ...r, digest: Uint8Array.from(r.digest) });
    }
    case "DNSKEY": {
      const r = rdata as RData<"DNSKEY">;
      if (!isU16(r.flags) || !isU8(r.algorithm)) return bad("DNSKEY flags or algorithm out of range");
      if (r.protocol !== 3) return bad("DNSKEY protocol must be 3 (RFC 4034 §2.1.2)");
      if (!(r.publicKey instanceof Uint8Array) || r.publicKey.length === 0) return bad("DNSKEY needs a public key");
      return good({ ...r, publicKey: Uint8Array.from(r.publicKey) });
    }
    case "RRSIG": {
      const r = rdata as RData<"RRSIG">;
      if (!isU16(r.typeCovered) || !isU8(r.algorithm) || !isU8(r.labels) || !isU32(r.originalTtl) || !isU32(r.expiration) ||
          !isU32(r.inception) || !isU16(r.keyTag) || !(r.signature instanceof Uint8Array)) return bad("RRSIG field out of range");
      const n = names({ signerName: r.signerName }, ["signerName"]);
      return "error" in n ? bad(n.error) : good({ ...r, signerName: n.signerName });
    }
    case "NSEC": {
      const r = rdata as RData<"NSEC">;
      if (!Array.isArray(r.types) || !r.types.every(isU16)) return bad("NSEC types must be 16-bit type numbers");
      const n = names({ next: r.next }, ["next"]);
      return "error" in n ? bad(n.error) : good({ next: n.next, types: [...new Set(r.types)].sort((a, b) => a - b) });
    }
    case "HINFO": {
      const r = rdata as RData<"HINFO">;
      if (typeof r.cpu !== "string" || typeof r.os !== "string" || octets(r.cpu) > 255 || octets(r.os) > 255) return bad("HINFO cpu and os are character-strings");
      return good({ cpu: r.cpu, os: r.os });
    }
  }
}

/**
 * Validates an RRset and returns it normalized: canonical owner, checked TTL, normalized RDATA,
 * duplicates removed (RFC 2181 §5: an RRset holds no identical RRs), canonical RDATA order.
 */
export function checkRRset(input: RRset): CheckResult<RRset> {
  const err = (message: string): CheckResult<RRset> => ({ ok: false, error: { name: String(input.name), type: String(input.type), message } });
  if (!isRRType(input.type)) return err(`unsupported type ${String(input.type)}`);
  const owner = parseName(input.name);
  if (!owner.ok) return err(`owner name: ${owner.error}`);
  if (!Number.isInteger(input.ttl) || input.ttl < 0 || input.ttl > MAX_TTL) return err(`TTL must be 0–${MAX_TTL} (RFC 2181 §8)`);
  if (!Array.isArray(input.rdata) || input.rdata.length === 0) return err("an RRset needs at least one record");
  const out: RData[] = [];
  for (const rd of input.rdata as RData[]) {
    const c = checkRdata(input.type, rd as never);
    if (!c.ok) return err(c.error);
    if (encodeRdata(input.type, c.rdata as never).length > 0xffff) return err("RDATA longer than 65535 octets");
    out.push(c.rdata);
  }
  // RFC 1034 §3.6.2 and RFC 1035 §3.3.13: CNAME and SOA RRsets hold exactly one record.
  const rrset = sortRRset({ name: owner.name, type: input.type, ttl: input.ttl, rdata: out } as RRset);
  if ((rrset.type === "CNAME" || rrset.type === "SOA") && rrset.rdata.length !== 1) return err(`a ${rrset.type} RRset holds exactly one record`);
  return { ok: true, value: rrset };
}

/** Canonical RR order inside an RRset (RFC 4034 §6.3), duplicates dropped. */
export function sortRRset<R extends RRset>(rrset: R): R {
  const encoded = (rrset.rdata as RData[]).map((rd) => ({ rd, wire: encodeRdata(rrset.type, rd as never) }));
  encoded.sort((a, b) => compareOctets(a.wire, b.wire));
  const unique = encoded.filter((e, i) => i === 0 || !bytesEqual(e.wire, encoded[i - 1]!.wire));
  return { ...rrset, rdata: unique.map((e) => e.rd) };
}

/** Canonical RDATA of every record, in canonical order. */
export function rrsetWire(rrset: RRset): Bytes[] {
  return (rrset.rdata as RData[]).map((rd) => encodeRdata(rrset.type, rd as never)).sort(compareOctets);
}

/** A string identifying an RRset's content (owner, type, TTL, canonical RDATA). */
export function rrsetKey(rrset: RRset): string {
  return `${rrset.name}|${rrset.type}|${rrset.ttl}|${rrsetWire(rrset).map(toHex).join(",")}`;
}

export function typeCode(type: RRType): number {
  return TYPE[type];
}

/** A dns-packet answer whose RDATA is given raw, for types dns-packet 5.6 has no codec for. */
export interface RawPacketAnswer {
  type: `UNKNOWN_${number}`;
  name: string;
  ttl: number;
  class: "IN";
  data: Buffer;
}

const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.length);

/**
 * dns-packet answer objects for one RRset. Types dns-packet encodes faithfully are given as its
 * native objects; HTTPS, SVCB and NSEC go as raw RDATA (`UNKNOWN_<n>`) because dns-packet 5.6 has
 * no SVCB codec and writes 0 into NSEC bitmaps for types it cannot name (NXNAME, HTTPS).
 */
export function toPacketAnswers(rrset: RRset): (dnsPacket.Answer | RawPacketAnswer)[] {
  const base = { name: rrset.name, ttl: rrset.ttl, class: "IN" as const };
  return (rrset.rdata as RData[]).map((rd): dnsPacket.Answer | RawPacketAnswer => {
    switch (rrset.type) {
      case "A":
      case "AAAA": return { ...base, type: rrset.type, data: (rd as RData<"A">).address };
      case "CNAME":
      case "PTR": return { ...base, type: rrset.type, data: (rd as RData<"CNAME">).target };
      case "NS": return { ...base, type: "NS", data: (rd as RData<"NS">).host };
      case "MX": return { ...base, type: "MX", data: { ...(rd as RData<"MX">) } };
      case "TXT": return { ...base, type: "TXT", data: (rd as RData<"TXT">).strings.map((s) => Buffer.from(s, "utf8")) };
      case "SOA": return { ...base, type: "SOA", data: { ...(rd as RData<"SOA">) } };
      case "SRV": return { ...base, type: "SRV", data: { ...(rd as RData<"SRV">) } };
      case "CAA": { const r = rd as RData<"CAA">; return { ...base, type: "CAA", data: { flags: r.flags, tag: r.tag as "issue", value: r.value } }; }
      case "TLSA": { const r = rd as RData<"TLSA">; return { ...base, type: "TLSA", data: { usage: r.usage, selector: r.selector, matchingType: r.matchingType, certificate: buf(r.data) } }; }
      case "DS": { const r = rd as RData<"DS">; return { ...base, type: "DS", data: { keyTag: r.keyTag, algorithm: r.algorithm, digestType: r.digestType, digest: buf(r.digest) } }; }
      case "DNSKEY": { const r = rd as RData<"DNSKEY">; return { ...base, type: "DNSKEY", data: { flags: r.flags, algorithm: r.algorithm, key: buf(r.publicKey) } }; }
      case "RRSIG": {
        const r = rd as RData<"RRSIG">;
        return {
          ...base, type: "RRSIG",
          data: { typeCovered: typeName(r.typeCovered), algorithm: r.algorithm, labels: r.labels, originalTTL: r.originalTtl, expiration: r.expiration, inception: r.inception, keyTag: r.keyTag, signersName: r.signerName, signature: buf(r.signature) },
        };
      }
      case "HINFO": return { ...base, type: "HINFO", data: { ...(rd as RData<"HINFO">) } };
      case "HTTPS":
      case "SVCB":
      case "NSEC": return { ...base, type: `UNKNOWN_${TYPE[rrset.type]}`, data: buf(encodeRdata(rrset.type, rd as never)) };
    }
  });
}

/** Mnemonic of a dns-packet type string ("UNKNOWN_65" → "HTTPS"), or null if we do not model it. */
function packetType(type: string): RRType | null {
  const m = /^UNKNOWN_([0-9]+)$/.exec(type);
  const name = m ? typeName(Number(m[1])) : type;
  return isRRType(name) ? name : null;
}

/**
 * One decoded dns-packet answer as a single-record RRset (owner and RDATA names normalized).
 * RRs whose RDATA dns-packet left raw (unknown types) are decoded with our own codec.
 */
export function fromPacketAnswer(answer: dnsPacket.Answer | RawPacketAnswer): CheckResult<RRset> {
  const type = packetType(answer.type);
  const fail = (message: string): CheckResult<RRset> => ({ ok: false, error: { name: answer.name, type: answer.type, message } });
  if (!type || answer.type === "OPT") return fail("type not modelled");
  const ttl = "ttl" in answer && typeof answer.ttl === "number" ? answer.ttl : 0;
  const data: unknown = "data" in answer ? answer.data : undefined;
  let rd: RData;
  if (data instanceof Uint8Array) {
    const d = decodeRdata(type, data);
    if (!d.ok) return fail(d.error);
    rd = d.rdata;
  } else {
    const o = data as Record<string, unknown>;
    // dns-packet prints names without the trailing dot; every name it returns is absolute.
    const abs = (v: unknown): string => { const t = String(v); return t === "." || t.endsWith(".") ? t : `${t}.`; };
    switch (type) {
      case "A": case "AAAA": rd = { address: String(data) }; break;
      case "CNAME": case "PTR": rd = { target: abs(data) }; break;
      case "NS": rd = { host: abs(data) }; break;
      case "MX": rd = { preference: Number(o.preference ?? 0), exchange: abs(o.exchange) }; break;
      case "SRV": rd = { priority: Number(o.priority ?? 0), weight: Number(o.weight ?? 0), port: Number(o.port), target: abs(o.target) }; break;
      case "SOA": rd = {
        mname: abs(o.mname), rname: abs(o.rname), serial: Number(o.serial), refresh: Number(o.refresh),
        retry: Number(o.retry), expire: Number(o.expire), minimum: Number(o.minimum),
      }; break;
      case "HINFO": rd = { cpu: String(o.cpu), os: String(o.os) }; break;
      case "TXT": rd = { strings: (Array.isArray(data) ? data : [data]).map((s) => (s instanceof Uint8Array ? new TextDecoder().decode(s) : String(s))) }; break;
      case "TLSA": rd = { usage: Number(o.usage), selector: Number(o.selector), matchingType: Number(o.matchingType), data: Uint8Array.from(o.certificate as Uint8Array) }; break;
      case "DS": rd = { keyTag: Number(o.keyTag), algorithm: Number(o.algorithm), digestType: Number(o.digestType), digest: Uint8Array.from(o.digest as Uint8Array) }; break;
      case "DNSKEY": rd = { flags: Number(o.flags), protocol: 3, algorithm: Number(o.algorithm), publicKey: Uint8Array.from(o.key as Uint8Array) }; break;
      case "RRSIG": rd = {
        typeCovered: TYPE[o.typeCovered as RRType] ?? Number(String(o.typeCovered).replace(/^UNKNOWN_/, "")),
        algorithm: Number(o.algorithm), labels: Number(o.labels), originalTtl: Number(o.originalTTL), expiration: Number(o.expiration),
        inception: Number(o.inception), keyTag: Number(o.keyTag), signerName: abs(o.signersName), signature: Uint8Array.from(o.signature as Uint8Array),
      }; break;
      case "CAA": rd = { flags: Number(o.flags), tag: String(o.tag), value: String(o.value) }; break;
      case "NSEC": {
        const types = (o.rrtypes as string[]).map((t) => (/^UNKNOWN_[0-9]+$/.test(t) ? Number(t.slice(8)) : typeNumber(t)));
        if (types.some((t) => t === null)) return fail("NSEC bitmap names a type we do not know");
        // dns-packet decodes labels as text; re-escape control octets such as RFC 9824's "\000".
        const next = String(o.nextDomain).replace(/[\x00-\x20\x7f]/g, (c) => `\\${c.charCodeAt(0).toString().padStart(3, "0")}`);
        rd = { next: abs(next), types: types as number[] };
        break;
      }
      default: return fail("dns-packet gave structured data for a type it does not decode");
    }
  }
  const name = answer.name === "." ? "." : answer.name.endsWith(".") ? answer.name : `${answer.name}.`;
  return checkRRset({ name, type, ttl, rdata: [rd] } as RRset);
}
