// RDATA presentation format: the text of master files (RFC 1035 §5) and of the `data` field of
// DoH JSON answers. Per-type syntax follows each type's RFC (see rdata-wire.ts for the list);
// RFC 3597 §5 "\# <length> <hex>" is accepted for every type.

import { fromBase64, fromHex, toBase64, toHex, type Bytes } from "../encoding/bytes.ts";
import { parseName } from "./names.ts";
import { decodeRdata } from "./rdata-wire.ts";
import { formatSvcParams, parseSvcParams } from "./svcb.ts";
import { typeName, typeNumber, type RData, type RRType } from "./types.ts";

/** One whitespace-separated field of a master-file line; `quoted` fields came in "…". */
export interface Token {
  text: string;
  quoted: boolean;
}

export type RdataResult<T extends RRType = RRType> = { ok: true; rdata: RData<T> } | { ok: false; error: string };

/** Character-string presentation (RFC 1035 §5.1): quoted, with " and \ and non-printables escaped. */
export function formatCharString(text: string): string {
  let s = '"';
  for (const b of new TextEncoder().encode(text)) {
    if (b === 0x22 || b === 0x5c) s += "\\" + String.fromCharCode(b);
    else if (b < 0x20 || b > 0x7e) s += "\\" + b.toString().padStart(3, "0");
    else s += String.fromCharCode(b);
  }
  return s + '"';
}

/** Resolves \X and \DDD escapes of a character-string to octets; null on a bad escape. */
export function unescapeCharString(raw: string): Bytes | null {
  const out: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === "\\") {
      const d = raw.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(d)) {
        if (Number(d) > 255) return null;
        out.push(Number(d));
        i += 3;
      } else if (i + 1 < raw.length) {
        out.push(...enc.encode(raw[i + 1]!));
        i += 1;
      } else {
        return null;
      }
    } else {
      out.push(...enc.encode(c));
    }
  }
  return Uint8Array.from(out);
}

/** RFC 4034 §3.2: RRSIG times as YYYYMMDDHHmmSS (UTC). */
export function formatSigTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number, w = 2): string => n.toString().padStart(w, "0");
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

function parseSigTime(text: string): number | null {
  const m = /^([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})$/.exec(text);
  if (m) {
    const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
    return Number.isFinite(t) && t >= 0 && t <= 0xffffffff ? t : null;
  }
  return /^[0-9]{1,10}$/.test(text) && Number(text) <= 0xffffffff ? Number(text) : null;
}

/** Presentation text of RDATA; names are printed absolute (with the trailing dot). */
export function formatRdata<T extends RRType>(type: T, rdata: RData<T>): string;
export function formatRdata(type: RRType, rdata: RData): string {
  switch (type) {
    case "A":
    case "AAAA": return (rdata as RData<"A">).address;
    case "CNAME":
    case "PTR": return (rdata as RData<"CNAME">).target;
    case "NS": return (rdata as RData<"NS">).host;
    case "MX": { const r = rdata as RData<"MX">; return `${r.preference} ${r.exchange}`; }
    case "TXT": return (rdata as RData<"TXT">).strings.map(formatCharString).join(" ");
    case "SOA": {
      const r = rdata as RData<"SOA">;
      return `${r.mname} ${r.rname} ${r.serial} ${r.refresh} ${r.retry} ${r.expire} ${r.minimum}`;
    }
    case "SRV": { const r = rdata as RData<"SRV">; return `${r.priority} ${r.weight} ${r.port} ${r.target}`; }
    case "CAA": { const r = rdata as RData<"CAA">; return `${r.flags} ${r.tag} ${formatCharString(r.value)}`; }
    case "TLSA": { const r = rdata as RData<"TLSA">; return `${r.usage} ${r.selector} ${r.matchingType} ${toHex(r.data).toUpperCase()}`; }
    case "HTTPS":
    case "SVCB": {
      const r = rdata as RData<"SVCB">;
      const params = formatSvcParams(r.params);
      return params ? `${r.priority} ${r.target} ${params}` : `${r.priority} ${r.target}`;
    }
    case "DS": { const r = rdata as RData<"DS">; return `${r.keyTag} ${r.algorithm} ${r.digestType} ${toHex(r.digest).toUpperCase()}`; }
    case "DNSKEY": { const r = rdata as RData<"DNSKEY">; return `${r.flags} ${r.protocol} ${r.algorithm} ${toBase64(r.publicKey)}`; }
    case "RRSIG": {
      const r = rdata as RData<"RRSIG">;
      return `${typeName(r.typeCovered)} ${r.algorithm} ${r.labels} ${r.originalTtl} ${formatSigTime(r.expiration)} ${formatSigTime(r.inception)} ${r.keyTag} ${r.signerName} ${toBase64(r.signature)}`;
    }
    case "NSEC": {
      const r = rdata as RData<"NSEC">;
      return [r.next, ...[...r.types].sort((a, b) => a - b).map(typeName)].join(" ");
    }
    case "HINFO": { const r = rdata as RData<"HINFO">; return `${formatCharString(r.cpu)} ${formatCharString(r.os)}`; }
  }
}

function uint(text: string | undefined, max: number): number | null {
  if (text === undefined || !/^[0-9]{1,10}$/.test(text)) return null;
  const n = Number(text);
  return n <= max ? n : null;
}

/**
 * Parses RDATA presentation tokens (everything after the type). Relative names are completed
 * with `origin`. Returns unvalidated RDATA: run records.ts `checkRdata` for the semantic rules.
 */
export function parseRdata<T extends RRType>(type: T, tokens: readonly Token[], origin?: string): RdataResult<T>;
export function parseRdata(type: RRType, tokens: readonly Token[], origin?: string): RdataResult {
  const fail = (error: string): RdataResult => ({ ok: false, error: `${type}: ${error}` });
  const t = tokens.map((x) => x.text);
  const unquoted = (i: number): string | undefined => (tokens[i] && !tokens[i]!.quoted ? tokens[i]!.text : undefined);
  const name = (i: number): string | null => {
    const s = unquoted(i);
    if (s === undefined) return null;
    const r = parseName(s, origin);
    return r.ok ? r.name : null;
  };
  const count = (n: number): boolean => tokens.length === n;

  // RFC 3597 §5 generic form, usable for any type.
  if (tokens[0]?.text === "\\#" && !tokens[0].quoted) {
    const len = uint(t[1], 0xffff);
    const hex = fromHex(t.slice(2).join(""));
    if (len === null || !hex || hex.length !== len) return fail("bad \\# generic RDATA");
    const d = decodeRdata(type, hex);
    return d.ok ? d : fail(d.error);
  }

  switch (type) {
    case "A":
    case "AAAA": return count(1) && unquoted(0) ? { ok: true, rdata: { address: t[0]! } } : fail("expects one address");
    case "CNAME":
    case "PTR": { const n = name(0); return count(1) && n ? { ok: true, rdata: { target: n } } : fail("expects one domain name"); }
    case "NS": { const n = name(0); return count(1) && n ? { ok: true, rdata: { host: n } } : fail("expects one domain name"); }
    case "MX": {
      const preference = uint(unquoted(0), 0xffff), exchange = name(1);
      return count(2) && preference !== null && exchange ? { ok: true, rdata: { preference, exchange } } : fail("expects <preference> <exchange>");
    }
    case "TXT": {
      if (tokens.length === 0) return fail("expects at least one character-string");
      const strings: string[] = [];
      for (const tok of tokens) {
        const b = unescapeCharString(tok.text);
        if (!b) return fail("bad escape in character-string");
        if (b.length > 255) return fail("a character-string is at most 255 octets; split long values into several quoted strings");
        strings.push(new TextDecoder().decode(b));
      }
      return { ok: true, rdata: { strings } };
    }
    case "SOA": {
      const mname = name(0), rname = name(1);
      const nums = [2, 3, 4, 5, 6].map((i) => uint(unquoted(i), 0xffffffff));
      if (!count(7) || !mname || !rname || nums.some((n) => n === null)) return fail("expects <mname> <rname> <serial> <refresh> <retry> <expire> <minimum>");
      const [serial, refresh, retry, expire, minimum] = nums as number[];
      return { ok: true, rdata: { mname, rname, serial: serial!, refresh: refresh!, retry: retry!, expire: expire!, minimum: minimum! } };
    }
    case "SRV": {
      const priority = uint(unquoted(0), 0xffff), weight = uint(unquoted(1), 0xffff), port = uint(unquoted(2), 0xffff), target = name(3);
      if (!count(4) || priority === null || weight === null || port === null || !target) return fail("expects <priority> <weight> <port> <target>");
      return { ok: true, rdata: { priority, weight, port, target } };
    }
    case "CAA": {
      const flags = uint(unquoted(0), 255), tag = unquoted(1);
      const value = tokens[2] ? unescapeCharString(tokens[2].text) : null;
      if (!count(3) || flags === null || !tag || !value) return fail('expects <flags> <tag> "<value>"');
      return { ok: true, rdata: { flags, tag, value: new TextDecoder().decode(value) } };
    }
    case "TLSA": {
      const usage = uint(unquoted(0), 255), selector = uint(unquoted(1), 255), matchingType = uint(unquoted(2), 255);
      const data = fromHex(t.slice(3).join(""));
      if (tokens.length < 4 || usage === null || selector === null || matchingType === null || !data) return fail("expects <usage> <selector> <matching type> <hex>");
      return { ok: true, rdata: { usage, selector, matchingType, data } };
    }
    case "HTTPS":
    case "SVCB": {
      const priority = uint(unquoted(0), 0xffff);
      const target = unquoted(1) === "." ? "." : name(1);
      if (priority === null || !target) return fail("expects <priority> <target> [params]");
      const p = parseSvcParams(t.slice(2));
      return p.ok ? { ok: true, rdata: { priority, target, params: p.params } } : fail(p.error);
    }
    case "DS": {
      const keyTag = uint(unquoted(0), 0xffff), algorithm = uint(unquoted(1), 255), digestType = uint(unquoted(2), 255);
      const digest = fromHex(t.slice(3).join(""));
      if (tokens.length < 4 || keyTag === null || algorithm === null || digestType === null || !digest) return fail("expects <key tag> <algorithm> <digest type> <hex>");
      return { ok: true, rdata: { keyTag, algorithm, digestType, digest } };
    }
    case "DNSKEY": {
      const flags = uint(unquoted(0), 0xffff), protocol = uint(unquoted(1), 255), algorithm = uint(unquoted(2), 255);
      const publicKey = fromBase64(t.slice(3).join(""));
      if (tokens.length < 4 || flags === null || protocol === null || algorithm === null || !publicKey) return fail("expects <flags> <protocol> <algorithm> <base64 key>");
      return { ok: true, rdata: { flags, protocol, algorithm, publicKey } };
    }
    case "RRSIG": {
      const typeCovered = t[0] !== undefined ? typeNumber(t[0]) : null;
      const algorithm = uint(unquoted(1), 255), labels = uint(unquoted(2), 255), originalTtl = uint(unquoted(3), 0xffffffff);
      const expiration = t[4] !== undefined ? parseSigTime(t[4]) : null, inception = t[5] !== undefined ? parseSigTime(t[5]) : null;
      const keyTag = uint(unquoted(6), 0xffff), signerName = name(7), signature = fromBase64(t.slice(8).join(""));
      if (tokens.length < 9 || typeCovered === null || algorithm === null || labels === null || originalTtl === null || expiration === null ||
          inception === null || keyTag === null || !signerName || !signature) return fail("malformed RRSIG presentation");
      return { ok: true, rdata: { typeCovered, algorithm, labels, originalTtl, expiration, inception, keyTag, signerName, signature } };
    }
    case "NSEC": {
      const next = name(0);
      const types = t.slice(1).map(typeNumber);
      if (!next || types.some((x) => x === null)) return fail("expects <next name> <type>...");
      return { ok: true, rdata: { next, types: types as number[] } };
    }
    case "HINFO": {
      const cpu = tokens[0] ? unescapeCharString(tokens[0].text) : null, os = tokens[1] ? unescapeCharString(tokens[1].text) : null;
      if (!count(2) || !cpu || !os) return fail("expects <cpu> <os>");
      return { ok: true, rdata: { cpu: new TextDecoder().decode(cpu), os: new TextDecoder().decode(os) } };
    }
  }
}

const TOKEN_END = new Set([" ", "\t", "\n", "\r", '"']);

/** Splits presentation text into tokens: whitespace separates, "…" groups, \-escapes kept raw. */
export function tokenize(text: string): { ok: true; tokens: Token[] } | { ok: false; error: string } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") { i++; continue; }
    if (c === '"') {
      let j = i + 1, s = "";
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === "\\" && j + 1 < text.length) { s += text[j]! + text[j + 1]!; j++; } else s += text[j];
      }
      if (j >= text.length) return { ok: false, error: "unterminated quoted string" };
      tokens.push({ text: s, quoted: true });
      i = j + 1;
      continue;
    }
    // A token ends exactly at the characters handled above, so it always takes at least one
    // character (other white space, e.g. a form feed, is part of it and fails its validation).
    let j = i, s = "";
    for (; j < text.length && !TOKEN_END.has(text[j]!); j++) {
      if (text[j] === "\\" && j + 1 < text.length) { s += text[j]! + text[j + 1]!; j++; } else s += text[j];
    }
    tokens.push({ text: s, quoted: false });
    i = j;
  }
  return { ok: true, tokens };
}
