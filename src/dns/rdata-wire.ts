// RDATA wire format for every type we serve, uncompressed. Because the model keeps names
// lowercase, this encoding is also the RFC 4034 §6.2 canonical form that RRSIGs cover, and the
// RFC 3597 §4 rule "no compression in RDATA of types that are not well-known" holds trivially.
// Sources: RFC 1035 §3.3/§3.4 (A, NS, CNAME, SOA, PTR, HINFO, MX, TXT), RFC 3596 (AAAA),
// RFC 2782 (SRV), RFC 8659 §4.1 (CAA), RFC 6698 §2.1 (TLSA), RFC 9460 §2.2 (SVCB/HTTPS),
// RFC 4034 §2.1, §3.1, §4.1, §5.1 (DNSKEY, RRSIG, NSEC, DS).

import { concatBytes, toBytes, type Bytes } from "../encoding/bytes.ts";
import { formatIP, parseIPv4, parseIPv6 } from "../names/ip.ts";
import { formatLabels, nameToWire } from "./names.ts";
import { decodeSvcParams, encodeSvcParams } from "./svcb.ts";
import type { RData, RRType, SvcParams } from "./types.ts";

const u8 = (n: number): Bytes => Uint8Array.of(n & 0xff);
const u16 = (n: number): Bytes => Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
const u32 = (n: number): Bytes => Uint8Array.of((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);

function charString(text: string): Bytes {
  const b = new TextEncoder().encode(text);
  return concatBytes(u8(b.length), b);
}

/** RFC 4034 §4.1.2 type bitmap: windows of up to 32 octets, only non-empty windows written. */
export function encodeTypeBitmap(types: readonly number[]): Bytes {
  const sorted = [...new Set(types)].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let i = 0;
  while (i < sorted.length) {
    const window = sorted[i]! >> 8;
    const bits = new Uint8Array(32);
    let used = 0;
    for (; i < sorted.length && sorted[i]! >> 8 === window; i++) {
      const low = sorted[i]! & 0xff;
      bits[low >> 3]! |= 0x80 >> (low & 7);
      used = (low >> 3) + 1;
    }
    parts.push(Uint8Array.of(window, used), bits.subarray(0, used));
  }
  return concatBytes(parts);
}

export function decodeTypeBitmap(b: Uint8Array): number[] | null {
  const types: number[] = [];
  let off = 0, lastWindow = -1;
  while (off < b.length) {
    if (off + 2 > b.length) return null;
    const window = b[off]!, len = b[off + 1]!;
    if (window <= lastWindow || len === 0 || len > 32 || off + 2 + len > b.length) return null;
    lastWindow = window;
    for (let i = 0; i < len; i++) {
      const octet = b[off + 2 + i]!;
      for (let bit = 0; bit < 8; bit++) if (octet & (0x80 >> bit)) types.push(window * 256 + i * 8 + bit);
    }
    off += 2 + len;
  }
  return types;
}

function svcb(priority: number, target: string, params: SvcParams): Bytes {
  return concatBytes(u16(priority), nameToWire(target), encodeSvcParams(params));
}

/** Encodes valid RDATA (see records.ts validation) to canonical wire octets. */
export function encodeRdata<T extends RRType>(type: T, rdata: RData<T>): Bytes;
export function encodeRdata(type: RRType, rdata: RData): Bytes {
  switch (type) {
    case "A": return toBytes(parseIPv4((rdata as RData<"A">).address) ?? new Uint8Array(4));
    case "AAAA": return toBytes(parseIPv6((rdata as RData<"AAAA">).address) ?? new Uint8Array(16));
    case "CNAME": return nameToWire((rdata as RData<"CNAME">).target);
    case "PTR": return nameToWire((rdata as RData<"PTR">).target);
    case "NS": return nameToWire((rdata as RData<"NS">).host);
    case "MX": { const r = rdata as RData<"MX">; return concatBytes(u16(r.preference), nameToWire(r.exchange)); }
    case "TXT": return concatBytes((rdata as RData<"TXT">).strings.map(charString));
    case "SOA": {
      const r = rdata as RData<"SOA">;
      return concatBytes(nameToWire(r.mname), nameToWire(r.rname), u32(r.serial), u32(r.refresh), u32(r.retry), u32(r.expire), u32(r.minimum));
    }
    case "SRV": { const r = rdata as RData<"SRV">; return concatBytes(u16(r.priority), u16(r.weight), u16(r.port), nameToWire(r.target)); }
    case "CAA": {
      const r = rdata as RData<"CAA">;
      const tag = new TextEncoder().encode(r.tag);
      return concatBytes(u8(r.flags), u8(tag.length), tag, new TextEncoder().encode(r.value));
    }
    case "TLSA": { const r = rdata as RData<"TLSA">; return concatBytes(u8(r.usage), u8(r.selector), u8(r.matchingType), r.data); }
    case "HTTPS": { const r = rdata as RData<"HTTPS">; return svcb(r.priority, r.target, r.params); }
    case "SVCB": { const r = rdata as RData<"SVCB">; return svcb(r.priority, r.target, r.params); }
    case "DS": { const r = rdata as RData<"DS">; return concatBytes(u16(r.keyTag), u8(r.algorithm), u8(r.digestType), r.digest); }
    case "DNSKEY": { const r = rdata as RData<"DNSKEY">; return concatBytes(u16(r.flags), u8(r.protocol), u8(r.algorithm), r.publicKey); }
    case "RRSIG": {
      const r = rdata as RData<"RRSIG">;
      return concatBytes(rrsigHeader(r), r.signature);
    }
    case "NSEC": { const r = rdata as RData<"NSEC">; return concatBytes(nameToWire(r.next), encodeTypeBitmap(r.types)); }
    case "HINFO": { const r = rdata as RData<"HINFO">; return concatBytes(charString(r.cpu), charString(r.os)); }
  }
}

/** RRSIG RDATA up to and excluding the signature: the prefix RFC 4034 §3.1.8.1 signs. */
export function rrsigHeader(r: Omit<RData<"RRSIG">, "signature">): Bytes {
  return concatBytes(
    u16(r.typeCovered), u8(r.algorithm), u8(r.labels), u32(r.originalTtl),
    u32(r.expiration), u32(r.inception), u16(r.keyTag), nameToWire(r.signerName),
  );
}

/** A cursor over RDATA that reports overruns as null instead of throwing. */
class Reader {
  off = 0;
  constructor(readonly b: Uint8Array) {}
  get left(): number { return this.b.length - this.off; }
  u8(): number | null { return this.left >= 1 ? this.b[this.off++]! : null; }
  u16(): number | null {
    if (this.left < 2) return null;
    const v = (this.b[this.off]! << 8) | this.b[this.off + 1]!;
    this.off += 2;
    return v;
  }
  u32(): number | null {
    if (this.left < 4) return null;
    const v = ((this.b[this.off]! << 24) | (this.b[this.off + 1]! << 16) | (this.b[this.off + 2]! << 8) | this.b[this.off + 3]!) >>> 0;
    this.off += 4;
    return v;
  }
  bytes(n: number): Bytes | null {
    if (n < 0 || this.left < n) return null;
    const v = this.b.slice(this.off, this.off + n);
    this.off += n;
    return v;
  }
  rest(): Bytes { return this.bytes(this.left) ?? new Uint8Array(0); }
  /** An uncompressed name (RFC 1035 §3.1); compression pointers are refused in RDATA here. */
  name(): string | null {
    const labels: Bytes[] = [];
    let total = 1;
    for (;;) {
      const len = this.u8();
      if (len === null || len > 63) return null;
      if (len === 0) break;
      const l = this.bytes(len);
      if (!l) return null;
      total += len + 1;
      if (total > 255) return null;
      labels.push(l.map((c) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c)) as Bytes);
    }
    return formatLabels(labels);
  }
  charString(): string | null {
    const len = this.u8();
    if (len === null) return null;
    const b = this.bytes(len);
    return b ? new TextDecoder().decode(b) : null;
  }
}

export type DecodeResult<T extends RRType> = { ok: true; rdata: RData<T> } | { ok: false; error: string };

/** Decodes uncompressed RDATA octets; never throws. */
export function decodeRdata<T extends RRType>(type: T, bytes: Uint8Array): DecodeResult<T>;
export function decodeRdata(type: RRType, bytes: Uint8Array): DecodeResult<RRType> {
  const r = new Reader(bytes);
  const fail = (what: string): DecodeResult<RRType> => ({ ok: false, error: `${type} RDATA: ${what}` });
  const done = (rdata: RData): DecodeResult<RRType> => (r.left === 0 ? { ok: true, rdata } : fail("trailing octets"));
  switch (type) {
    case "A": return bytes.length === 4 ? { ok: true, rdata: { address: formatIP(bytes)! } } : fail("must be 4 octets");
    case "AAAA": return bytes.length === 16 ? { ok: true, rdata: { address: formatIP(bytes)! } } : fail("must be 16 octets");
    case "CNAME":
    case "PTR": { const t = r.name(); return t === null ? fail("bad name") : done({ target: t }); }
    case "NS": { const t = r.name(); return t === null ? fail("bad name") : done({ host: t }); }
    case "MX": {
      const preference = r.u16(), exchange = r.name();
      return preference === null || exchange === null ? fail("truncated") : done({ preference, exchange });
    }
    case "TXT": {
      const strings: string[] = [];
      while (r.left > 0) {
        const s = r.charString();
        if (s === null) return fail("truncated character-string");
        strings.push(s);
      }
      return strings.length ? { ok: true, rdata: { strings } } : fail("empty");
    }
    case "SOA": {
      const mname = r.name(), rname = r.name();
      const serial = r.u32(), refresh = r.u32(), retry = r.u32(), expire = r.u32(), minimum = r.u32();
      if (mname === null || rname === null || serial === null || refresh === null || retry === null || expire === null || minimum === null) return fail("truncated");
      return done({ mname, rname, serial, refresh, retry, expire, minimum });
    }
    case "SRV": {
      const priority = r.u16(), weight = r.u16(), port = r.u16(), target = r.name();
      if (priority === null || weight === null || port === null || target === null) return fail("truncated");
      return done({ priority, weight, port, target });
    }
    case "CAA": {
      const flags = r.u8(), tagLen = r.u8();
      if (flags === null || tagLen === null) return fail("truncated");
      const tag = r.bytes(tagLen);
      if (!tag) return fail("truncated tag");
      return { ok: true, rdata: { flags, tag: new TextDecoder().decode(tag), value: new TextDecoder().decode(r.rest()) } };
    }
    case "TLSA": {
      const usage = r.u8(), selector = r.u8(), matchingType = r.u8();
      if (usage === null || selector === null || matchingType === null) return fail("truncated");
      return { ok: true, rdata: { usage, selector, matchingType, data: r.rest() } };
    }
    case "HTTPS":
    case "SVCB": {
      const priority = r.u16(), target = r.name();
      if (priority === null || target === null) return fail("truncated");
      const p = decodeSvcParams(r.rest());
      return p.ok ? { ok: true, rdata: { priority, target, params: p.params } } : fail(p.error);
    }
    case "DS": {
      const keyTag = r.u16(), algorithm = r.u8(), digestType = r.u8();
      if (keyTag === null || algorithm === null || digestType === null) return fail("truncated");
      return { ok: true, rdata: { keyTag, algorithm, digestType, digest: r.rest() } };
    }
    case "DNSKEY": {
      const flags = r.u16(), protocol = r.u8(), algorithm = r.u8();
      if (flags === null || protocol === null || algorithm === null) return fail("truncated");
      return { ok: true, rdata: { flags, protocol, algorithm, publicKey: r.rest() } };
    }
    case "RRSIG": {
      const typeCovered = r.u16(), algorithm = r.u8(), labels = r.u8(), originalTtl = r.u32();
      const expiration = r.u32(), inception = r.u32(), keyTag = r.u16(), signerName = r.name();
      if (typeCovered === null || algorithm === null || labels === null || originalTtl === null || expiration === null ||
          inception === null || keyTag === null || signerName === null) return fail("truncated");
      return { ok: true, rdata: { typeCovered, algorithm, labels, originalTtl, expiration, inception, keyTag, signerName, signature: r.rest() } };
    }
    case "NSEC": {
      const next = r.name();
      if (next === null) return fail("bad next domain name");
      const types = decodeTypeBitmap(r.rest());
      return types ? { ok: true, rdata: { next, types } } : fail("bad type bitmap");
    }
    case "HINFO": {
      const cpu = r.charString(), os = r.charString();
      return cpu === null || os === null ? fail("truncated") : done({ cpu, os });
    }
  }
}
