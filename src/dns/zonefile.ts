// RFC 1035 §5 master files: parsing (with $ORIGIN, $TTL, relative names, "@", blank owners,
// parentheses, quoted strings and comments) into validated RRsets with line-numbered errors,
// and serialization back to text that parses to the same RRsets.

import { compareNames, parseName, relativeName } from "./names.ts";
import { formatRdata, parseRdata, type Token } from "./rdata-text.ts";
import { checkRRset, MAX_TTL } from "./records.ts";
import { isRRType, TYPE, typeName, typeNumber, type RData, type RRset, type RRType } from "./types.ts";

export interface ZoneFileError {
  line: number;
  message: string;
}

export type ZoneFileResult = { ok: true; origin: string; rrsets: RRset[] } | { ok: false; errors: ZoneFileError[] };

interface Entry {
  line: number;
  /** The entry's line began with white space: the owner is the previous one (RFC 1035 §5.1). */
  blankOwner: boolean;
  tokens: Token[];
}

const TOKEN_END = new Set([" ", "\t", "\r", "\n", ";", "(", ")", '"']);

/** Splits master-file text into entries, joining parenthesized continuations (RFC 1035 §5.1). */
function entries(text: string): { ok: true; entries: Entry[] } | { ok: false; error: ZoneFileError } {
  const out: Entry[] = [];
  let line = 1, depth = 0, i = 0, openLine = 0;
  let current: Entry | null = null;
  let lineStart = true;
  while (i < text.length) {
    const c = text[i]!;
    if (lineStart && depth === 0) {
      if (current && current.tokens.length) out.push(current);
      current = { line, blankOwner: c === " " || c === "\t", tokens: [] };
      lineStart = false;
    }
    if (c === "\n") {
      line++;
      i++;
      lineStart = true;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") { i++; continue; }
    if (c === ";") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    if (c === "(") {
      if (depth === 0) openLine = line;
      depth++;
      i++;
      continue;
    }
    if (c === ")") {
      if (depth === 0) return { ok: false, error: { line, message: 'unbalanced ")"' } };
      depth--;
      i++;
      continue;
    }
    if (current!.tokens.length === 0) current!.line = line;
    if (c === '"') {
      let j = i + 1, s = "";
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === "\n") return { ok: false, error: { line, message: "unterminated quoted string" } };
        if (text[j] === "\\" && j + 1 < text.length) { s += text[j]! + text[j + 1]!; j++; } else s += text[j];
      }
      if (j >= text.length) return { ok: false, error: { line, message: "unterminated quoted string" } };
      current!.tokens.push({ text: s, quoted: true });
      i = j + 1;
      continue;
    }
    // A token ends exactly at the characters handled above, so it always takes at least one
    // character: other white space (form feed, vertical tab, U+00A0...) belongs to the token and
    // fails its validation with a line number, rather than stopping the scan where it stands.
    let j = i, s = "";
    for (; j < text.length && !TOKEN_END.has(text[j]!); j++) {
      if (text[j] === "\\" && j + 1 < text.length) { s += text[j]! + text[j + 1]!; j++; } else s += text[j];
    }
    current!.tokens.push({ text: s, quoted: false });
    i = j;
  }
  if (depth !== 0) return { ok: false, error: { line: openLine, message: 'unbalanced "(": missing ")"' } };
  if (current && current.tokens.length) out.push(current);
  return { ok: true, entries: out };
}

/** TTLs as seconds or with BIND-style units ("1h30m", "2d", "1w"); null when malformed. */
export function parseTtl(text: string): number | null {
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    return n <= MAX_TTL ? n : null;
  }
  if (!/^([0-9]+[wdhms])+$/i.test(text)) return null;
  const unit: Record<string, number> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };
  let total = 0;
  for (const m of text.toLowerCase().matchAll(/([0-9]+)([wdhms])/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total <= MAX_TTL ? total : null;
}

const CLASSES = new Set(["IN", "CH", "HS", "CS"]);

export interface ParseOptions {
  /** Initial $ORIGIN (the zone apex); the text may override it. */
  origin?: string;
  /** TTL for records before any $TTL and without their own. */
  defaultTtl?: number;
}

/**
 * Errors reported at most. A 1 MiB file of 512K bad lines gave 512K errors: 1.7 s of CPU and a
 * 46 MB problem document, more than a Durable Object may return (the client saw a 500).
 */
export const MAX_ZONE_FILE_ERRORS = 100;

/** Parses master-file text into validated RRsets; problems are reported with their lines. */
export function parseZoneFile(text: string, options: ParseOptions = {}): ZoneFileResult {
  const split = entries(text);
  if (!split.ok) return { ok: false, errors: [split.error] };
  const errors: ZoneFileError[] = [];
  let origin: string | undefined;
  if (options.origin !== undefined) {
    const o = parseName(options.origin);
    if (!o.ok) return { ok: false, errors: [{ line: 0, message: `origin: ${o.error}` }] };
    origin = o.name;
  }
  let defaultTtl = options.defaultTtl;
  let lastTtl: number | undefined;
  let lastOwner: string | undefined;
  const sets = new Map<string, { rrset: RRset; line: number }>();

  let stoppedAt: number | undefined;
  for (const e of split.entries) {
    if (errors.length >= MAX_ZONE_FILE_ERRORS) { stoppedAt = e.line; break; }
    const err = (message: string): void => { errors.push({ line: e.line, message }); };
    const t = e.tokens;
    const head = t[0]!;
    if (!e.blankOwner && !head.quoted && head.text.startsWith("$")) {
      const directive = head.text.toUpperCase();
      if (directive === "$ORIGIN") {
        const o = t[1] && t.length === 2 ? parseName(t[1].text, origin) : null;
        if (!o || !o.ok) { err(`$ORIGIN needs one domain name${o && !o.ok ? `: ${o.error}` : ""}`); continue; }
        origin = o.name;
      } else if (directive === "$TTL") {
        const ttl = t[1] && t.length === 2 ? parseTtl(t[1].text) : null;
        if (ttl === null) { err("$TTL needs one TTL value"); continue; }
        defaultTtl = ttl;
      } else {
        err(`${head.text} is not supported (only $ORIGIN and $TTL)`);
      }
      continue;
    }

    let k = 0;
    let owner: string;
    if (e.blankOwner) {
      if (lastOwner === undefined) { err("the first record needs an owner name"); continue; }
      owner = lastOwner;
    } else {
      const n = parseName(head.text, origin);
      if (!n.ok) { err(`owner "${head.text}": ${n.error}`); continue; }
      owner = n.name;
      k = 1;
    }
    lastOwner = owner;

    // RFC 1035 §5.1: [<TTL>] [<class>] <type> <RDATA>, TTL and class in either order.
    let ttl: number | undefined;
    let klass: string | undefined;
    for (let guard = 0; guard < 2 && k < t.length; guard++) {
      const tok = t[k]!.text;
      if (ttl === undefined && /^[0-9]/.test(tok)) {
        const v = parseTtl(tok);
        if (v === null) break;
        ttl = v;
        k++;
      } else if (klass === undefined && CLASSES.has(tok.toUpperCase())) {
        klass = tok.toUpperCase();
        k++;
      }
    }
    if (klass !== undefined && klass !== "IN") { err(`class ${klass} is not served; only IN`); continue; }
    const typeTok = t[k];
    if (!typeTok) { err("missing record type"); continue; }
    const num = typeNumber(typeTok.text);
    const canonicalType = num === null ? typeTok.text.toUpperCase() : typeName(num);
    if (!isRRType(canonicalType)) { err(`unsupported record type "${typeTok.text}"`); continue; }
    if (ttl === undefined) ttl = defaultTtl ?? lastTtl;
    if (ttl === undefined) { err("no TTL: give one on the record or with $TTL"); continue; }
    lastTtl = ttl;

    const rd = parseRdata(canonicalType, t.slice(k + 1), origin);
    if (!rd.ok) { err(rd.error); continue; }
    const key = `${owner}|${canonicalType}`;
    const existing = sets.get(key);
    if (existing) {
      // RFC 2181 §5.2: all RRs of an RRset share one TTL.
      if (existing.rrset.ttl !== ttl) { err(`TTL ${ttl} differs from ${existing.rrset.ttl} given earlier for this RRset (RFC 2181 §5.2)`); continue; }
      (existing.rrset.rdata as RData[]).push(rd.rdata);
    } else {
      sets.set(key, { rrset: { name: owner, type: canonicalType, ttl, rdata: [rd.rdata] } as RRset, line: e.line });
    }
  }

  const rrsets: RRset[] = [];
  for (const { rrset, line } of sets.values()) {
    const c = checkRRset(rrset);
    if (c.ok) rrsets.push(c.value);
    else errors.push({ line, message: `${c.error.name} ${c.error.type}: ${c.error.message}` });
  }
  if (errors.length) {
    errors.sort((a, b) => a.line - b.line);
    if (stoppedAt === undefined && errors.length <= MAX_ZONE_FILE_ERRORS) return { ok: false, errors };
    const rest = stoppedAt === undefined ? "" : `; lines from ${stoppedAt} on were not checked`;
    const last = errors[MAX_ZONE_FILE_ERRORS - 1]!.line;
    return { ok: false, errors: [...errors.slice(0, MAX_ZONE_FILE_ERRORS), { line: last, message: `more than ${MAX_ZONE_FILE_ERRORS} errors; only the first are listed${rest}` }] };
  }
  if (origin === undefined) {
    const soa = rrsets.find((r) => r.type === "SOA");
    origin = soa?.name ?? ".";
  }
  return { ok: true, origin, rrsets };
}

const TYPE_ORDER = (t: RRType): number => (t === "SOA" ? -2 : t === "NS" ? -1 : TYPE[t]);

/**
 * Master-file text for RRsets: $ORIGIN first, the SOA and apex NS first, then names in canonical
 * order (RFC 4034 §6.1). Owners are relative to the origin; RDATA names are absolute.
 */
export function serializeZone(origin: string, rrsets: readonly RRset[]): string {
  const sorted = [...rrsets].sort((a, b) => {
    const an = a.name === origin ? 0 : 1, bn = b.name === origin ? 0 : 1;
    if (an !== bn) return an - bn;
    return compareNames(a.name, b.name) || TYPE_ORDER(a.type) - TYPE_ORDER(b.type);
  });
  const lines = [`$ORIGIN ${origin}`];
  for (const rr of sorted) {
    const owner = relativeName(rr.name, origin);
    for (const rd of rr.rdata as RData[]) {
      lines.push(`${owner}\t${rr.ttl}\tIN\t${rr.type}\t${formatRdata(rr.type, rd as never)}`);
    }
  }
  return lines.join("\n") + "\n";
}
