// The authoritative answer engine: RFC 1034 §4.3.2 lookup over one zone, with CNAME chains
// inside the zone, RFC 4592 wildcards, referrals at zone cuts, RFC 2308 negative answers,
// RFC 8482 minimal ANY, EDNS(0) (RFC 6891) and, for DO queries, online DNSSEC with compact
// denial of existence (RFC 9824).
//
// `resolve` is synchronous and pure; `answerQuery` adds the response header, EDNS and
// signatures; `respond` goes from query octets to response octets and never throws.

import { nodataNsec, nxnameNsec } from "./dnssec-denial.ts";
import type { ZoneSigner } from "./dnssec.ts";
import {
  decodeQuery, EDNS_UDP_SIZE, encodeResponse, errorResponse, MAX_MESSAGE, RCODE,
  type DnsQuery, type DnsResponse,
} from "./message.ts";
import { isSubdomain, parentName, parseName, wildcardAt } from "./names.ts";
import { CLASS_ANY, CLASS_IN, isRRType, TYPE, typeName, type RRset, type RRsetOf, type RRType } from "./types.ts";
import type { Zone } from "./zone.ts";

/** CNAME links followed inside one answer before giving up (loop and amplification guard). */
export const MAX_CNAME_CHAIN = 12;

export interface Resolution {
  rcode: number;
  /** Authoritative: false only for a pure referral (RFC 1034 §4.3.2 step 3b). */
  aa: boolean;
  answer: RRset[];
  authority: RRset[];
  additional: RRset[];
  /** What a signed answer must prove absent, at which (final) name. */
  denial: { kind: "nxdomain"; name: string } | { kind: "nodata"; name: string; types: number[] } | null;
  /** Set for referrals: the cut, and whether a DS RRset is there to sign. */
  referral: { cut: string; hasDs: boolean } | null;
}

export interface ResolveOptions {
  /** The apex DNSKEY RRset of a signed zone (served to every query, signed or not). */
  dnskey?: RRsetOf<"DNSKEY"> | null;
  /** RFC 8482 §4: answer ANY with one real RRset (default) or a synthesized HINFO. */
  any?: "one-rrset" | "hinfo";
}

/** RFC 2308 §5: negative answers are cached for min(SOA TTL, SOA MINIMUM). */
export function negativeTtl(soa: RRsetOf<"SOA">): number {
  return Math.min(soa.ttl, soa.rdata[0]!.minimum);
}

function node(zone: Zone, name: string, dnskey: RRsetOf<"DNSKEY"> | null): Map<RRType, RRset> | undefined {
  const n = zone.nodes.get(name);
  if (name !== zone.apex || !dnskey) return n;
  const merged = new Map(n);
  merged.set("DNSKEY", dnskey);
  return merged;
}

/** The topmost zone cut at or above `name` (below the apex), if any. */
function cutAbove(zone: Zone, name: string): string | null {
  if (zone.cuts.size === 0) return null;
  let found: string | null = null;
  for (let n: string | null = name; n !== null && n !== zone.apex; n = parentName(n)) {
    if (zone.cuts.has(n)) found = n;
  }
  return found;
}

const withOwner = (rrset: RRset, name: string): RRset => (rrset.name === name ? rrset : ({ ...rrset, name } as RRset));
const typeNumbers = (n: Map<RRType, RRset>): number[] => [...n.keys()].map((t) => TYPE[t]);

/** Addresses for `hosts` found in the zone, for the additional section (glue at referrals). */
function addressesFor(zone: Zone, hosts: readonly string[]): RRset[] {
  const out: RRset[] = [];
  for (const h of hosts) {
    if (!isSubdomain(h, zone.apex)) continue;
    const n = zone.nodes.get(h);
    for (const t of ["A", "AAAA"] as const) {
      const rr = n?.get(t);
      if (rr) out.push(rr);
    }
  }
  return out;
}

/**
 * Looks `qname`/`qtype` up in `zone` (RFC 1034 §4.3.2 steps 3a–3c, RFC 4592 §3.3.1 for the
 * wildcard match). `qname` must be canonical and inside the zone.
 */
export function resolve(zone: Zone, qname: string, qtype: number, options: ResolveOptions = {}): Resolution {
  const dnskey = options.dnskey ?? null;
  const res: Resolution = { rcode: RCODE.NOERROR, aa: true, answer: [], authority: [], additional: [], denial: null, referral: null };
  const negative = (): void => {
    res.authority.push({ ...zone.soa, ttl: negativeTtl(zone.soa) });
  };
  const qtypeName = typeName(qtype);
  const wanted: RRType | null = isRRType(qtypeName) ? qtypeName : null;
  const seen = new Set<string>();
  let name = qname;

  for (let step = 0; step <= MAX_CNAME_CHAIN; step++) {
    if (!isSubdomain(name, zone.apex)) return res; // CNAME left the zone: the resolver continues
    seen.add(name);

    // Step 3b: a cut on the way down means the data belongs to the child; DS at the cut itself is
    // the parent's own data (RFC 4035 §3.1.4.1) and is answered here.
    const cut = cutAbove(zone, name);
    if (cut !== null && !(cut === name && qtype === TYPE.DS)) {
      const cutNode = zone.nodes.get(cut)!;
      const ns = cutNode.get("NS") as RRsetOf<"NS">;
      const ds = cutNode.get("DS");
      res.aa = res.answer.length > 0;
      res.authority.push(ns);
      if (ds) res.authority.push(ds);
      res.additional.push(...addressesFor(zone, ns.rdata.map((r) => r.host)));
      res.referral = { cut, hasDs: ds !== undefined };
      return res;
    }

    let here = node(zone, name, dnskey);
    if (!here) {
      if (zone.names.has(name)) {
        // An empty non-terminal exists: NODATA, and it blocks wildcards (RFC 4592 §2.2.2).
        negative();
        res.denial = { kind: "nodata", name, types: [] };
        return res;
      }
      // RFC 4592 §3.3.1: closest encloser, then the source of synthesis "*.<encloser>".
      let encloser = parentName(name)!;
      while (!zone.names.has(encloser)) encloser = parentName(encloser)!;
      const source = wildcardAt(encloser);
      here = zone.nodes.get(source);
      if (!here) {
        res.rcode = RCODE.NXDOMAIN;
        negative();
        res.denial = { kind: "nxdomain", name };
        return res;
      }
    }

    if (qtype === TYPE.ANY) {
      if (options.any === "hinfo") {
        // RFC 8482 §4.2: a synthesized HINFO says "ANY is not answered in full here".
        const hinfo: RRsetOf<"HINFO"> = { name, type: "HINFO", ttl: negativeTtl(zone.soa), rdata: [{ cpu: "RFC8482", os: "" }] };
        res.answer.push(hinfo);
      } else {
        // RFC 8482 §4.1: one RRset of those present (the lowest type number, deterministically).
        const first = [...here.values()].sort((a, b) => TYPE[a.type] - TYPE[b.type])[0]!;
        res.answer.push(withOwner(first, name));
      }
      return res;
    }

    const hit = wanted ? here.get(wanted) : undefined;
    if (hit) {
      res.answer.push(withOwner(hit, name));
      return res;
    }
    const cname = here.get("CNAME") as RRsetOf<"CNAME"> | undefined;
    if (cname) {
      res.answer.push(withOwner(cname, name));
      const target = cname.rdata[0]!.target;
      if (seen.has(target)) return res; // a loop: answer what we have (RFC 1034 §3.6.2)
      name = target;
      continue;
    }
    negative();
    res.denial = { kind: "nodata", name, types: typeNumbers(here) };
    return res;
  }
  return res; // chain longer than MAX_CNAME_CHAIN: the resolver follows the last CNAME itself
}

export interface AnswerOptions extends Omit<ResolveOptions, "dnskey"> {
  /** Sign answers to DO queries and serve the zone's DNSKEY RRset. */
  signer?: ZoneSigner | null;
}

function baseResponse(q: DnsQuery, rcode: number): DnsResponse {
  return {
    id: q.id, opcode: q.opcode, aa: false, tc: false, rd: q.rd, ra: false, ad: false, cd: q.cd, rcode,
    question: q.question, answer: [], authority: [], additional: [],
    // RFC 6891 §7: an OPT in the query gets one in the response; DO is echoed (RFC 3225 §3).
    edns: q.edns ? { udpSize: EDNS_UDP_SIZE, version: 0, do: q.edns.do } : null,
  };
}

/** Builds the response to a decoded query for `zone` (null when no hosted zone matches). */
export async function answerQuery(q: DnsQuery, zone: Zone | null, options: AnswerOptions = {}): Promise<DnsResponse> {
  const qn = parseName(q.question.name);
  if (!qn.ok) return baseResponse(q, RCODE.FORMERR);
  const qname = qn.name;
  if (q.question.class !== CLASS_IN && q.question.class !== CLASS_ANY) return baseResponse(q, RCODE.REFUSED);
  if (!zone || !isSubdomain(qname, zone.apex)) return baseResponse(q, RCODE.REFUSED);
  const qtype = q.question.type;
  // Zone transfers are not offered on this path; MAILA/MAILB are obsolete meta-queries.
  if (qtype === TYPE.AXFR || qtype === TYPE.IXFR) return baseResponse(q, RCODE.REFUSED);
  if (qtype === TYPE.MAILA || qtype === TYPE.MAILB) return baseResponse(q, RCODE.NOTIMP);

  const signer = options.signer && options.signer.apex === zone.apex ? options.signer : null;
  const dnskey = signer ? signer.dnskeyRRset() : null;
  const r = resolve(zone, qname, qtype, { dnskey, any: options.any });
  const resp = baseResponse(q, r.rcode);
  resp.aa = r.aa;
  resp.answer = r.answer;
  resp.authority = r.authority;
  resp.additional = r.additional;
  if (signer && q.edns?.do) await sign(resp, r, zone, signer);
  return resp;
}

/** Adds RRSIGs and the compact-denial NSEC (RFC 4035 §3.1, RFC 9824) to a DO response. */
async function sign(resp: DnsResponse, r: Resolution, zone: Zone, signer: ZoneSigner): Promise<void> {
  const withSigs = async (rrsets: RRset[], skip: (rr: RRset) => boolean): Promise<RRset[]> => {
    const out: RRset[] = [];
    for (const rr of rrsets) {
      out.push(rr);
      if (skip(rr)) continue;
      // The SOA in a negative answer carries the negative TTL; its RRSIG covers the stored SOA
      // (original TTL in the RRSIG, RFC 4034 §3.1.4) and is served with the same TTL as the RR.
      const signed = rr.type === "SOA" ? zone.soa : rr;
      out.push({ ...(await signer.sign(signed)), ttl: rr.ttl });
    }
    return out;
  };
  resp.answer = await withSigs(resp.answer, () => false);
  if (r.referral) {
    // RFC 4035 §3.1.4: NS at a cut and glue are not signed; DS is, or its absence is proven.
    resp.authority = await withSigs(resp.authority, (rr) => rr.type === "NS");
    if (!r.referral.hasDs) {
      const nsec = nodataNsec(r.referral.cut, [TYPE.NS], negativeTtl(zone.soa));
      resp.authority.push(nsec, await signer.sign(nsec));
    }
    return;
  }
  resp.authority = await withSigs(resp.authority, () => false);
  if (r.denial) {
    const ttl = negativeTtl(zone.soa);
    const nsec = r.denial.kind === "nxdomain" ? nxnameNsec(r.denial.name, ttl) : nodataNsec(r.denial.name, r.denial.types, ttl);
    // RFC 9824: a nonexistent name is answered NOERROR; the NXNAME bit carries the truth.
    if (r.denial.kind === "nxdomain") resp.rcode = RCODE.NOERROR;
    resp.authority.push(nsec, await signer.sign(nsec));
  }
}

export interface RespondOptions extends AnswerOptions {
  /** Largest response to produce; larger ones are truncated (TC). DoH allows 65535. */
  maxSize?: number;
}

/**
 * Query octets in, response octets out; `pick` chooses the zone (see zone.ts findZone) and may
 * supply its signer. Returns null only when the input has no DNS header to answer. Never throws:
 * an unexpected internal failure becomes SERVFAIL.
 */
export async function respond(
  message: Uint8Array,
  pick: (q: DnsQuery) => Promise<{ zone: Zone; signer?: ZoneSigner | null } | null> | { zone: Zone; signer?: ZoneSigner | null } | null,
  options: RespondOptions = {},
): Promise<Uint8Array | null> {
  const decoded = decodeQuery(message);
  if (!decoded.ok) {
    const e = errorResponse(decoded);
    return e ? encodeResponse(e, options.maxSize ?? MAX_MESSAGE) : null;
  }
  const q = decoded.query;
  try {
    const picked = await pick(q);
    const resp = await answerQuery(q, picked?.zone ?? null, { ...options, signer: picked?.signer ?? options.signer ?? null });
    return encodeResponse(resp, options.maxSize ?? MAX_MESSAGE);
  } catch {
    return encodeResponse(baseResponse(q, RCODE.SERVFAIL), options.maxSize ?? MAX_MESSAGE);
  }
}
