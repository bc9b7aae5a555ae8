// The record model: RR type numbers (IANA "Resource Record (RR) TYPEs"), the typed RDATA of each
// type we serve, and the RRset — the unit DNS answers, caches and signs (RFC 2181 §5).

import type { Bytes } from "../encoding/bytes.ts";

export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  TLSA: 52,
  SVCB: 64,
  HTTPS: 65,
  /** RFC 9824: pseudo-type in an NSEC bitmap saying "this name does not exist". */
  NXNAME: 128,
  IXFR: 251,
  AXFR: 252,
  MAILB: 253,
  MAILA: 254,
  ANY: 255,
  CAA: 257,
} as const;

export const CLASS_IN = 1;
export const CLASS_ANY = 255;

/** Mnemonics of the types a zone can hold (the stored, signable ones). */
export type RRType =
  | "A" | "AAAA" | "CNAME" | "MX" | "TXT" | "NS" | "SOA" | "SRV" | "CAA" | "TLSA"
  | "HTTPS" | "SVCB" | "PTR" | "DS" | "DNSKEY" | "RRSIG" | "NSEC" | "HINFO";

export const RR_TYPES: readonly RRType[] = [
  "A", "AAAA", "CNAME", "MX", "TXT", "NS", "SOA", "SRV", "CAA", "TLSA",
  "HTTPS", "SVCB", "PTR", "DS", "DNSKEY", "RRSIG", "NSEC", "HINFO",
];

const NUMBER_TO_NAME = new Map<number, string>(Object.entries(TYPE).map(([k, v]) => [v, k]));

/** RFC 3597 §5: types without a mnemonic are written TYPEnnn. */
export function typeName(type: number): string {
  return NUMBER_TO_NAME.get(type) ?? `TYPE${type}`;
}

/** Type number from a mnemonic or TYPEnnn (case-insensitive); null when unknown or out of range. */
export function typeNumber(text: string): number | null {
  const upper = text.toUpperCase();
  const known = (TYPE as Record<string, number>)[upper];
  if (known !== undefined) return known;
  const m = /^TYPE([0-9]{1,5})$/.exec(upper);
  if (m) {
    const n = Number(m[1]);
    return n <= 0xffff ? n : null;
  }
  return null;
}

export function isRRType(text: string): text is RRType {
  return (RR_TYPES as readonly string[]).includes(text);
}

/** RFC 9460 §7: SvcParams as typed values, keyed by the registered key names. */
export interface SvcParams {
  mandatory?: number[];
  alpn?: string[];
  noDefaultAlpn?: boolean;
  port?: number;
  ipv4hint?: string[];
  ech?: Bytes;
  ipv6hint?: string[];
}

export interface RDataMap {
  A: { address: string };
  AAAA: { address: string };
  CNAME: { target: string };
  NS: { host: string };
  PTR: { target: string };
  MX: { preference: number; exchange: string };
  /** Character-strings as text (UTF-8 on the wire), each at most 255 octets (RFC 1035 §3.3.14). */
  TXT: { strings: string[] };
  SOA: { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };
  SRV: { priority: number; weight: number; port: number; target: string };
  CAA: { flags: number; tag: string; value: string };
  TLSA: { usage: number; selector: number; matchingType: number; data: Bytes };
  HTTPS: { priority: number; target: string; params: SvcParams };
  SVCB: { priority: number; target: string; params: SvcParams };
  DS: { keyTag: number; algorithm: number; digestType: number; digest: Bytes };
  DNSKEY: { flags: number; protocol: number; algorithm: number; publicKey: Bytes };
  RRSIG: {
    typeCovered: number;
    algorithm: number;
    labels: number;
    originalTtl: number;
    expiration: number;
    inception: number;
    keyTag: number;
    signerName: string;
    signature: Bytes;
  };
  NSEC: { next: string; types: number[] };
  HINFO: { cpu: string; os: string };
}

export type RData<T extends RRType = RRType> = RDataMap[T];

/** One RRset: owner (canonical name), type, class IN, one TTL, and its RDATA (RFC 2181 §5). */
export type RRset = { [T in RRType]: { name: string; type: T; ttl: number; rdata: RDataMap[T][] } }[RRType];
export type RRsetOf<T extends RRType> = { name: string; type: T; ttl: number; rdata: RDataMap[T][] };
