// The DoH JSON form (`application/dns-json`) in the field layout public resolvers answer with
// (Cloudflare 1.1.1.1, Google 8.8.8.8): Status, TC, RD, RA, AD, CD, Question, Answer, Authority,
// Additional, each RR as {name, type, TTL, data} with `data` in presentation format.

import { EDNS_UDP_SIZE, type DnsQuery, type DnsResponse } from "./message.ts";
import { parseName } from "./names.ts";
import { formatRdata } from "./rdata-text.ts";
import { TYPE, typeNumber, type RData, type RRset } from "./types.ts";

export interface JsonRR {
  name: string;
  type: number;
  TTL: number;
  data: string;
}

export interface DnsJson {
  Status: number;
  TC: boolean;
  RD: boolean;
  RA: boolean;
  AD: boolean;
  CD: boolean;
  Question: { name: string; type: number }[];
  Answer?: JsonRR[];
  Authority?: JsonRR[];
  Additional?: JsonRR[];
}

/** Names as 1.1.1.1 prints them in `name` fields: no trailing dot, except the root ".". */
function jsonName(name: string): string {
  return name === "." ? "." : name.replace(/\.$/, "");
}

function rrs(rrsets: readonly RRset[]): JsonRR[] {
  const out: JsonRR[] = [];
  for (const rr of rrsets) {
    for (const rd of rr.rdata as RData[]) {
      out.push({ name: jsonName(rr.name), type: TYPE[rr.type], TTL: rr.ttl, data: formatRdata(rr.type, rd as never) });
    }
  }
  return out;
}

/** JSON form of a response. Empty sections are left out, as the public resolvers do. */
export function responseToJson(r: DnsResponse): DnsJson {
  const out: DnsJson = {
    Status: r.rcode, TC: r.tc, RD: r.rd, RA: r.ra, AD: r.ad, CD: r.cd,
    Question: r.question ? [{ name: jsonName(r.question.name), type: r.question.type }] : [],
  };
  if (r.answer.length) out.Answer = rrs(r.answer);
  if (r.authority.length) out.Authority = rrs(r.authority);
  if (r.additional.length) out.Additional = rrs(r.additional);
  return out;
}

export interface JsonQueryParams {
  name: string | null;
  /** Mnemonic ("AAAA"), TYPEnnn or a number; A when absent. */
  type?: string | null;
  /** "1"/"true" asks for DNSSEC records (the DO bit). */
  do?: string | null;
  /** "1"/"true" sets CD. */
  cd?: string | null;
}

const truthy = (v: string | null | undefined): boolean => v === "1" || v === "true";

/** The query a `?name=&type=` request stands for; an error string for bad parameters (HTTP 400). */
export function jsonQuery(p: JsonQueryParams): { ok: true; query: DnsQuery } | { ok: false; error: string } {
  if (!p.name) return { ok: false, error: "missing name parameter" };
  const n = parseName(p.name.endsWith(".") ? p.name : `${p.name}.`);
  if (!n.ok) return { ok: false, error: `invalid name: ${n.error}` };
  const t = p.type ? (/^[0-9]{1,5}$/.test(p.type) ? Number(p.type) : typeNumber(p.type)) : TYPE.A;
  if (t === null || t > 0xffff) return { ok: false, error: `invalid type "${p.type}"` };
  return {
    ok: true,
    query: {
      id: 0, opcode: 0, rd: true, cd: truthy(p.cd),
      question: { name: n.name, type: t, class: 1 },
      edns: { udpSize: EDNS_UDP_SIZE, version: 0, do: truthy(p.do) },
    },
  };
}
