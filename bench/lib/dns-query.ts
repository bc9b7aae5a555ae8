// DNS queries for load generators, encoded here (RFC 1035 §4.1) so a bench needs nothing from
// src/dns: a header with RD, one question, and an EDNS(0) OPT record with the DO bit on demand.

export const QTYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, SRV: 33, DNSKEY: 48, HTTPS: 65, CAA: 257 } as const;

export function encodeQuery(name: string, type: number, opts: { id?: number; do?: boolean } = {}): Uint8Array {
  const id = opts.id ?? 0;
  const labels = name.replace(/\.$/, "").split(".").filter(Boolean).map((l) => new TextEncoder().encode(l));
  const qname = [...labels.flatMap((l) => [l.length, ...l]), 0];
  const edns = opts.do !== undefined;
  const header = [id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0];
  // OPT: root owner, type 41, UDP size 1232, extended RCODE/version 0, flags (DO = 0x8000), no options.
  const opt = edns ? [0, 0, 41, 0x04, 0xd0, 0, 0, opts.do ? 0x80 : 0, 0, 0, 0] : [];
  return Uint8Array.from([...header, ...qname, type >> 8, type & 0xff, 0, 1, ...opt]);
}

/** RFC 8484 §4.1: base64url without padding. */
export function dnsParam(message: Uint8Array): string {
  return Buffer.from(message).toString("base64url");
}
