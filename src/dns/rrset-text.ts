// RRsets in the zone API and in zone storage: owner, type, TTL and each record's RDATA in
// presentation format (the text of an RFC 1035 §5 master file line after the type).

import { parseName, isSubdomain } from "./names.ts";
import { formatRdata, parseRdata, tokenize } from "./rdata-text.ts";
import { checkRRset, MAX_TTL, type RecordError } from "./records.ts";
import { isRRType, typeNumber, typeName, type RData, type RRset, type RRType } from "./types.ts";

export interface RRsetText {
  name: string;
  type: RRType;
  ttl: number;
  records: string[];
}

export function rrsetToText(rr: RRset): RRsetText {
  return { name: rr.name, type: rr.type, ttl: rr.ttl, records: (rr.rdata as RData[]).map((rd) => formatRdata(rr.type, rd as never)) };
}

/** Type mnemonic, TYPEnnn or number to one of the stored types; null otherwise. */
export function rrTypeFromText(text: string): RRType | null {
  const n = /^[0-9]{1,5}$/.test(text) ? Number(text) : typeNumber(text);
  if (n === null) return null;
  const name = typeName(n);
  return isRRType(name) ? name : null;
}

/**
 * An owner name as the API accepts it: "@" is the apex, a name ending in "." is absolute, a name
 * that already ends with the apex (without its dot) is taken as absolute, anything else is
 * relative to the apex. Must lie inside the zone.
 */
export function ownerInZone(text: string, apex: string): { ok: true; name: string } | { ok: false; error: string } {
  const bare = apex.replace(/\.$/, "");
  const lower = text.toLowerCase();
  const absolute = text === "@" ? apex : text.endsWith(".") ? text : lower === bare || lower.endsWith(`.${bare}`) ? `${text}.` : undefined;
  const r = absolute === undefined ? parseName(text, apex) : parseName(absolute);
  if (!r.ok) return { ok: false, error: `name "${text.slice(0, 300)}": ${r.error}` };
  if (!isSubdomain(r.name, apex)) return { ok: false, error: `${r.name} is not inside the zone ${apex}` };
  return { ok: true, name: r.name };
}

/**
 * Parses and validates one RRset given as presentation-format records. Relative names inside
 * the records are completed with `origin` (the zone apex), as in a master file.
 */
export function rrsetFromText(input: { name: string; type: RRType; ttl: unknown; records: unknown }, origin: string): { ok: true; rrset: RRset } | { ok: false; error: RecordError } {
  const fail = (message: string) => ({ ok: false as const, error: { name: input.name, type: input.type, message } });
  if (typeof input.ttl !== "number" || !Number.isInteger(input.ttl) || input.ttl < 0 || input.ttl > MAX_TTL) return fail(`ttl must be an integer 0–${MAX_TTL}`);
  if (!Array.isArray(input.records) || input.records.length === 0) return fail("records must be a non-empty array of strings");
  const rdata: RData[] = [];
  for (const [i, rec] of input.records.entries()) {
    if (typeof rec !== "string") return fail(`records[${i}] must be a string`);
    const t = tokenize(rec);
    if (!t.ok) return fail(`records[${i}]: ${t.error}`);
    const rd = parseRdata(input.type, t.tokens, origin);
    if (!rd.ok) return fail(`records[${i}]: ${rd.error}`);
    rdata.push(rd.rdata);
  }
  const c = checkRRset({ name: input.name, type: input.type, ttl: input.ttl, rdata } as RRset);
  return c.ok ? { ok: true, rrset: c.value } : { ok: false, error: c.error };
}
