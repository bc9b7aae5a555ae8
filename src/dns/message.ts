// DNS messages on the wire (RFC 1035 §4.1) with EDNS(0) (RFC 6891): a strict query decoder that
// turns every malformation into an RCODE instead of an exception, and a response encoder with
// name compression (RFC 1035 §4.1.4).
//
// This is our own codec rather than dns-packet's `decode`/`encode`: dns-packet decodes labels as
// UTF-8 text (so a query name with arbitrary octets cannot be echoed back exactly, and resolvers
// using the 0x20 case trick compare the echoed question byte for byte), never compresses names,
// and leaves RCODE out of the header flags. Tests still decode our output with dns-packet as an
// independent check.

import { concatBytes, type Bytes } from "../encoding/bytes.ts";
import { formatLabels, parseLabels } from "./names.ts";
import { encodeRdata } from "./rdata-wire.ts";
import { CLASS_IN, TYPE, type RData, type RRset } from "./types.ts";

export const OPCODE_QUERY = 0;

/** RFC 1035 §4.1.1, RFC 6891 §9 (BADVERS is an extended RCODE). */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;

export interface Question {
  /** Absolute presentation name exactly as asked (case preserved, octets escaped). */
  name: string;
  type: number;
  class: number;
}

export interface Edns {
  /** Requestor's (query) or our (response) UDP payload size (RFC 6891 §6.2.3). */
  udpSize: number;
  version: number;
  /** DNSSEC OK (RFC 3225). */
  do: boolean;
}

export interface DnsQuery {
  id: number;
  opcode: number;
  rd: boolean;
  cd: boolean;
  question: Question;
  edns: Edns | null;
}

export type DecodedQuery =
  | { ok: true; query: DnsQuery }
  | { ok: false; rcode: number; id: number | null; opcode: number; rd: boolean; cd: boolean; question: Question | null; edns: Edns | null };

export interface DnsResponse {
  id: number;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  /** Full 12-bit RCODE; values above 15 need EDNS (RFC 6891 §6.1.3). */
  rcode: number;
  question: Question | null;
  answer: RRset[];
  authority: RRset[];
  additional: RRset[];
  edns: Edns | null;
}

/** RFC 8484 §6 / RFC 1035: a DNS message never exceeds 65535 octets. */
export const MAX_MESSAGE = 65535;

/** Reads a possibly compressed name; null on any malformation (bad pointer, loop, overlong). */
function readName(msg: Uint8Array, start: number): { labels: Bytes[]; next: number } | null {
  const labels: Bytes[] = [];
  let off = start, next = -1, total = 1, lowest = start;
  for (;;) {
    if (off >= msg.length) return null;
    const len = msg[off]!;
    if (len === 0) { off += 1; break; }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (off + 1 >= msg.length) return null;
      const target = ((len & 0x3f) << 8) | msg[off + 1]!;
      // Only strictly backwards pointers: this forbids loops (RFC 1035 §4.1.4 "prior occurrence").
      if (target >= lowest) return null;
      if (next < 0) next = off + 2;
      lowest = target;
      off = target;
      continue;
    }
    if (kind !== 0) return null; // 0x40 and 0x80 label types are obsolete/undefined (RFC 6891 §5)
    if (off + 1 + len > msg.length) return null;
    total += len + 1;
    if (total > 255) return null;
    labels.push(msg.slice(off + 1, off + 1 + len));
    off += 1 + len;
  }
  return { labels, next: next < 0 ? off : next };
}

const u16at = (m: Uint8Array, o: number): number => (m[o]! << 8) | m[o + 1]!;

/** Decodes a query message. Never throws; every problem becomes an RCODE (RFC 1035 §4.1.1). */
export function decodeQuery(msg: Uint8Array): DecodedQuery {
  if (msg.length < 12) return { ok: false, rcode: RCODE.FORMERR, id: null, opcode: 0, rd: false, cd: false, question: null, edns: null };
  const id = u16at(msg, 0), flags = u16at(msg, 2);
  const opcode = (flags >> 11) & 0xf, rd = (flags & 0x0100) !== 0, cd = (flags & 0x0010) !== 0;
  const qd = u16at(msg, 4), an = u16at(msg, 6), ns = u16at(msg, 8), ar = u16at(msg, 10);
  let question: Question | null = null;
  const fail = (rcode: number, edns: Edns | null = null): DecodedQuery => ({ ok: false, rcode, id, opcode, rd, cd, question, edns });

  let off = 12;
  if (qd === 1) {
    const n = readName(msg, off);
    if (n && n.next + 4 <= msg.length) {
      question = { name: formatLabels(n.labels), type: u16at(msg, n.next), class: u16at(msg, n.next + 2) };
      off = n.next + 4;
    }
  }
  if (flags & 0x8000) return fail(RCODE.FORMERR); // a response is not a query
  if (opcode !== OPCODE_QUERY) return fail(RCODE.NOTIMP);
  if (qd !== 1 || question === null) return fail(RCODE.FORMERR);

  let edns: Edns | null = null;
  let ednsBad = false;
  for (let i = 0; i < an + ns + ar; i++) {
    const n = readName(msg, off);
    if (!n || n.next + 10 > msg.length) return fail(RCODE.FORMERR);
    const type = u16at(msg, n.next), klass = u16at(msg, n.next + 2);
    const ttl = ((msg[n.next + 4]! << 24) | (msg[n.next + 5]! << 16) | (msg[n.next + 6]! << 8) | msg[n.next + 7]!) >>> 0;
    const rdlen = u16at(msg, n.next + 8);
    off = n.next + 10 + rdlen;
    if (off > msg.length) return fail(RCODE.FORMERR);
    if (type === TYPE.OPT) {
      // RFC 6891 §6.1.1: one OPT, in the additional section, owned by the root.
      if (i < an + ns || edns !== null || n.labels.length !== 0) ednsBad = true;
      if (!validOptions(msg.subarray(n.next + 10, off))) ednsBad = true;
      edns = { udpSize: Math.max(512, klass), version: (ttl >>> 16) & 0xff, do: (ttl & 0x8000) !== 0 };
    }
  }
  if (off !== msg.length) return fail(RCODE.FORMERR);
  if (ednsBad) return fail(RCODE.FORMERR);
  if (question.type === TYPE.OPT || question.type === TYPE.NXNAME) return fail(RCODE.FORMERR, edns); // RFC 6891 §6.1.1, RFC 9824 §3.5
  if (edns && edns.version > 0) return fail(RCODE.BADVERS, edns); // RFC 6891 §6.1.3
  return { ok: true, query: { id, opcode, rd, cd, question, edns } };
}

/** EDNS options are {code, length, value} triples filling the OPT RDATA exactly (RFC 6891 §6.1.2). */
function validOptions(b: Uint8Array): boolean {
  let o = 0;
  while (o < b.length) {
    if (o + 4 > b.length) return false;
    o += 4 + u16at(b, o + 2);
  }
  return o === b.length;
}

/** A growable output buffer with the compression table of RFC 1035 §4.1.4. */
class Writer {
  buf = new Uint8Array(512);
  len = 0;
  private readonly names = new Map<string, number>();

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  u8(v: number): void { this.ensure(1); this.buf[this.len++] = v & 0xff; }
  u16(v: number): void { this.ensure(2); this.buf[this.len++] = (v >>> 8) & 0xff; this.buf[this.len++] = v & 0xff; }
  u32(v: number): void { this.u16((v >>> 16) & 0xffff); this.u16(v & 0xffff); }
  bytes(b: Uint8Array): void { this.ensure(b.length); this.buf.set(b, this.len); this.len += b.length; }
  setU16(at: number, v: number): void { this.buf[at] = (v >>> 8) & 0xff; this.buf[at + 1] = v & 0xff; }

  /** Writes a name from presentation text, compressing against names written before. */
  name(text: string, compress: boolean): void {
    const r = parseLabels(text);
    const labels = r.ok ? r.labels : [];
    for (let i = 0; i < labels.length; i++) {
      const key = formatLabels(labels.slice(i)).toLowerCase();
      const at = this.names.get(key);
      if (compress && at !== undefined) { this.u16(0xc000 | at); return; }
      if (this.len < 0x4000 && !this.names.has(key)) this.names.set(key, this.len);
      this.u8(labels[i]!.length);
      this.bytes(labels[i]!);
    }
    this.u8(0);
  }
}

/** RDATA names that may be compressed: the RFC 1035 types (RFC 3597 §4). */
function writeRdata(w: Writer, rrset: RRset, rd: RData): void {
  const lenAt = w.len;
  w.u16(0);
  const start = w.len;
  switch (rrset.type) {
    case "NS": w.name((rd as RData<"NS">).host, true); break;
    case "CNAME":
    case "PTR": w.name((rd as RData<"CNAME">).target, true); break;
    case "MX": { const r = rd as RData<"MX">; w.u16(r.preference); w.name(r.exchange, true); break; }
    case "SOA": {
      const r = rd as RData<"SOA">;
      w.name(r.mname, true); w.name(r.rname, true);
      w.u32(r.serial); w.u32(r.refresh); w.u32(r.retry); w.u32(r.expire); w.u32(r.minimum);
      break;
    }
    default: w.bytes(encodeRdata(rrset.type, rd as never));
  }
  w.setU16(lenAt, w.len - start);
}

function writeSection(w: Writer, rrsets: readonly RRset[]): number {
  let count = 0;
  for (const rrset of rrsets) {
    for (const rd of rrset.rdata as RData[]) {
      w.name(rrset.name, true);
      w.u16(TYPE[rrset.type]);
      w.u16(CLASS_IN);
      w.u32(rrset.ttl);
      writeRdata(w, rrset, rd);
      count++;
    }
  }
  return count;
}

function encode(r: DnsResponse, sections: boolean): Bytes {
  const w = new Writer();
  w.u16(r.id);
  const flags = 0x8000 | ((r.opcode & 0xf) << 11) | (r.aa ? 0x0400 : 0) | (r.tc || !sections ? 0x0200 : 0) | (r.rd ? 0x0100 : 0) |
    (r.ra ? 0x0080 : 0) | (r.ad ? 0x0020 : 0) | (r.cd ? 0x0010 : 0) | (r.rcode & 0xf);
  w.u16(flags);
  w.u16(r.question ? 1 : 0);
  const countsAt = w.len;
  w.u16(0); w.u16(0); w.u16(0);
  if (r.question) {
    w.name(r.question.name, false);
    w.u16(r.question.type);
    w.u16(r.question.class);
  }
  let an = 0, ns = 0, ar = 0;
  if (sections) {
    an = writeSection(w, r.answer);
    ns = writeSection(w, r.authority);
    ar = writeSection(w, r.additional);
  }
  if (r.edns) {
    // RFC 6891 §6.1.2/§6.1.3: root owner, CLASS = our UDP size, TTL = ext-RCODE | version | DO.
    w.u8(0);
    w.u16(TYPE.OPT);
    w.u16(r.edns.udpSize);
    w.u8((r.rcode >> 4) & 0xff);
    w.u8(r.edns.version);
    w.u16(r.edns.do ? 0x8000 : 0);
    w.u16(0);
    ar++;
  }
  w.setU16(countsAt, an);
  w.setU16(countsAt + 2, ns);
  w.setU16(countsAt + 4, ar);
  return w.buf.slice(0, w.len);
}

/**
 * Encodes a response. When it would exceed `maxSize` the sections are dropped and TC is set
 * (RFC 2181 §9), keeping the question and OPT so the client retries over a larger transport.
 */
export function encodeResponse(response: DnsResponse, maxSize: number = MAX_MESSAGE): Bytes {
  const full = encode(response, true);
  if (full.length <= maxSize) return full;
  return encode(response, false);
}

/** The error response for a query that could not be answered normally. */
export function errorResponse(q: Extract<DecodedQuery, { ok: false }>): DnsResponse | null {
  if (q.id === null) return null; // not even a header: nothing to reply to (RFC 1035 §4.1.1)
  return {
    id: q.id, opcode: q.opcode, aa: false, tc: false, rd: q.rd, ra: false, ad: false, cd: q.cd,
    rcode: q.rcode, question: q.question, answer: [], authority: [], additional: [],
    edns: q.edns ? { udpSize: EDNS_UDP_SIZE, version: 0, do: q.edns.do } : null,
  };
}

/** Our advertised UDP payload size: the DNS Flag Day 2020 value that avoids IP fragmentation. */
export const EDNS_UDP_SIZE = 1232;

/** Builds a one-question query message (for DoH JSON requests, tools and tests). */
export function buildQuery(name: string, type: number, opts: { id?: number; rd?: boolean; do?: boolean; edns?: boolean; cd?: boolean } = {}): Bytes {
  const r = parseLabels(name.endsWith(".") ? name : `${name}.`);
  const labels = r.ok ? r.labels : [];
  const id = opts.id ?? 0;
  const flags = (opts.rd ?? true ? 0x0100 : 0) | (opts.cd ? 0x0010 : 0);
  const edns = opts.edns ?? opts.do ?? false;
  const header = Uint8Array.of(id >> 8, id & 0xff, flags >> 8, flags & 0xff, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0);
  const qname = concatBytes(labels.flatMap((l) => [Uint8Array.of(l.length), l]), Uint8Array.of(0));
  const tail = Uint8Array.of(type >> 8, type & 0xff, 0, 1);
  const opt = edns ? Uint8Array.of(0, 0, 41, 0x04, 0xd0, 0, 0, opts.do ? 0x80 : 0, 0, 0, 0) : new Uint8Array(0);
  return concatBytes(header, qname, tail, opt);
}
