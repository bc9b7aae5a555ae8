// RFC 8484 (DNS over HTTPS) rules that do not depend on the runtime: the `dns` parameter's
// base64url, the HTTP freshness lifetime of a response, and the cache key of a query.

import { fromBase64Url } from "../encoding/bytes.ts";
import type { DnsQuery, DnsResponse } from "./message.ts";
import { MAX_MESSAGE } from "./message.ts";

export const DNS_MESSAGE = "application/dns-message";
export const DNS_JSON = "application/dns-json";

/**
 * RFC 8484 §4.1: the `dns` parameter is base64url (RFC 4648 §5) *without* padding. Padding,
 * the standard alphabet or stray characters make it invalid (null → HTTP 400).
 */
export function decodeDnsParam(text: string): Uint8Array | null {
  if (text.length === 0 || !/^[A-Za-z0-9_-]+$/.test(text) || text.length % 4 === 1) return null;
  return fromBase64Url(text);
}

/** Largest GET parameter: the base64url of a maximum-size message. */
export const MAX_DNS_PARAM = Math.ceil((MAX_MESSAGE * 4) / 3);

/**
 * RFC 8484 §5.1: the freshness lifetime must not exceed the smallest TTL in the Answer section;
 * a negative answer carries its SOA (at the negative TTL, RFC 2308 §5) in the Authority section,
 * so the smallest TTL of every record in the message covers both. A message without records
 * (REFUSED, FORMERR, SERVFAIL) is not cached.
 */
export function responseTtl(r: DnsResponse): number {
  let min = Infinity;
  for (const section of [r.answer, r.authority, r.additional]) for (const rr of section) min = Math.min(min, rr.ttl);
  return Number.isFinite(min) ? min : 0;
}

/**
 * Everything in a query that shapes its response, except the ID (RFC 8484 §4.1 recommends ID 0
 * for cache friendliness; we patch the asker's ID into a cached response instead). The question
 * name is kept byte for byte: responses echo it exactly, and resolvers using the 0x20 case trick
 * compare it.
 */
export function queryCacheKey(q: DnsQuery, format: "wire" | "json"): string {
  const flags = `${q.rd ? "r" : ""}${q.cd ? "c" : ""}${q.edns ? `e${q.edns.do ? "d" : ""}` : ""}`;
  return `${format}/${q.question.type}/${q.question.class}/${flags || "-"}/${encodeURIComponent(q.question.name)}`;
}

/** A copy of a wire response with the asker's message ID (RFC 1035 §4.1.1). */
export function withId(message: Uint8Array, id: number): Uint8Array {
  const out = message.slice();
  if (out.length >= 2) {
    out[0] = id >> 8;
    out[1] = id & 0xff;
  }
  return out;
}
