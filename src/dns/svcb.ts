// SVCB/HTTPS SvcParams (RFC 9460 §2.2, §7): wire encoding, presentation text and the
// consistency rules of §8. dns-packet 5.6 has no codec for these types, so this one is ours.

import { concatBytes, fromBase64, toBase64, type Bytes } from "../encoding/bytes.ts";
import { formatIP, parseIPv4, parseIPv6 } from "../names/ip.ts";
import type { SvcParams } from "./types.ts";

/** RFC 9460 §14.3.2 registry. */
export const SVC_KEY = { mandatory: 0, alpn: 1, "no-default-alpn": 2, port: 3, ipv4hint: 4, ech: 5, ipv6hint: 6 } as const;
type KeyName = keyof typeof SVC_KEY;
const KEY_NAMES = Object.keys(SVC_KEY) as KeyName[];

function keyName(key: number): string {
  return KEY_NAMES.find((k) => SVC_KEY[k] === key) ?? `key${key}`;
}

function keyNumber(text: string): number | null {
  if ((KEY_NAMES as string[]).includes(text)) return SVC_KEY[text as KeyName];
  const m = /^key([0-9]{1,5})$/.exec(text);
  return m && Number(m[1]) <= 0xffff ? Number(m[1]) : null;
}

const u16 = (n: number): Bytes => Uint8Array.of((n >> 8) & 0xff, n & 0xff);

/** Present keys in ascending order, as §2.2 requires on the wire. */
function presentKeys(p: SvcParams): number[] {
  const keys: number[] = [];
  if (p.mandatory !== undefined) keys.push(0);
  if (p.alpn !== undefined) keys.push(1);
  if (p.noDefaultAlpn) keys.push(2);
  if (p.port !== undefined) keys.push(3);
  if (p.ipv4hint !== undefined) keys.push(4);
  if (p.ech !== undefined) keys.push(5);
  if (p.ipv6hint !== undefined) keys.push(6);
  return keys;
}

function valueBytes(p: SvcParams, key: number): Bytes {
  const enc = new TextEncoder();
  switch (key) {
    case 0: return concatBytes([...(p.mandatory ?? [])].sort((a, b) => a - b).map(u16));
    case 1: return concatBytes((p.alpn ?? []).map((id) => { const b = enc.encode(id); return concatBytes(Uint8Array.of(b.length), b); }));
    case 2: return new Uint8Array(0);
    case 3: return u16(p.port ?? 0);
    case 4: return concatBytes((p.ipv4hint ?? []).map((a) => parseIPv4(a) ?? new Uint8Array(4)));
    case 5: return p.ech ?? new Uint8Array(0);
    default: return concatBytes((p.ipv6hint ?? []).map((a) => parseIPv6(a) ?? new Uint8Array(16)));
  }
}

export function encodeSvcParams(p: SvcParams): Bytes {
  const parts: Uint8Array[] = [];
  for (const key of presentKeys(p)) {
    const v = valueBytes(p, key);
    parts.push(u16(key), u16(v.length), v);
  }
  return concatBytes(parts);
}

/** Decodes SvcParams; errors on unknown keys, bad lengths or keys out of order (§2.2). */
export function decodeSvcParams(b: Uint8Array): { ok: true; params: SvcParams } | { ok: false; error: string } {
  const p: SvcParams = {};
  let off = 0, last = -1;
  while (off < b.length) {
    if (off + 4 > b.length) return { ok: false, error: "truncated SvcParam" };
    const key = (b[off]! << 8) | b[off + 1]!;
    const len = (b[off + 2]! << 8) | b[off + 3]!;
    off += 4;
    if (key <= last) return { ok: false, error: "SvcParamKeys not in strictly increasing order" };
    last = key;
    if (off + len > b.length) return { ok: false, error: "SvcParam value overruns RDATA" };
    const v = b.subarray(off, off + len);
    off += len;
    switch (key) {
      case 0:
        if (len % 2 !== 0 || len === 0) return { ok: false, error: "bad mandatory length" };
        p.mandatory = [];
        for (let i = 0; i < len; i += 2) p.mandatory.push((v[i]! << 8) | v[i + 1]!);
        break;
      case 1: {
        p.alpn = [];
        for (let i = 0; i < v.length; ) {
          const l = v[i]!;
          if (l === 0 || i + 1 + l > v.length) return { ok: false, error: "bad alpn value" };
          p.alpn.push(new TextDecoder().decode(v.subarray(i + 1, i + 1 + l)));
          i += 1 + l;
        }
        if (p.alpn.length === 0) return { ok: false, error: "empty alpn" };
        break;
      }
      case 2:
        if (len !== 0) return { ok: false, error: "no-default-alpn takes no value" };
        p.noDefaultAlpn = true;
        break;
      case 3:
        if (len !== 2) return { ok: false, error: "port must be 2 octets" };
        p.port = (v[0]! << 8) | v[1]!;
        break;
      case 4:
        if (len === 0 || len % 4 !== 0) return { ok: false, error: "bad ipv4hint length" };
        p.ipv4hint = [];
        for (let i = 0; i < len; i += 4) p.ipv4hint.push(formatIP(v.subarray(i, i + 4))!);
        break;
      case 5:
        p.ech = Uint8Array.from(v);
        break;
      case 6:
        if (len === 0 || len % 16 !== 0) return { ok: false, error: "bad ipv6hint length" };
        p.ipv6hint = [];
        for (let i = 0; i < len; i += 16) p.ipv6hint.push(formatIP(v.subarray(i, i + 16))!);
        break;
      default:
        return { ok: false, error: `unsupported SvcParamKey ${key}` };
    }
  }
  return { ok: true, params: p };
}

/** RFC 9460 §8 and §7 value rules; returns the first problem or null. */
export function checkSvcParams(priority: number, p: SvcParams): string | null {
  if (priority === 0 && presentKeys(p).length > 0) return "AliasMode (priority 0) records carry no SvcParams (RFC 9460 §2.4.2)";
  if (p.mandatory !== undefined) {
    if (p.mandatory.length === 0) return "mandatory lists no keys";
    if (p.mandatory.includes(0)) return "mandatory must not list itself (RFC 9460 §8)";
    if (new Set(p.mandatory).size !== p.mandatory.length) return "mandatory lists a key twice";
    const present = presentKeys(p);
    for (const k of p.mandatory) if (!present.includes(k)) return `mandatory key ${keyName(k)} is missing (RFC 9460 §8)`;
  }
  if (p.noDefaultAlpn && p.alpn === undefined) return "no-default-alpn requires alpn (RFC 9460 §7.1.1)";
  if (p.alpn !== undefined) {
    if (p.alpn.length === 0) return "alpn lists no protocol";
    for (const id of p.alpn) {
      const n = new TextEncoder().encode(id).length;
      if (n === 0 || n > 255) return "alpn ids are 1–255 octets";
      // Commas and backslashes would need RFC 9460 Appendix A.1 double escaping in zone files;
      // no registered ALPN id contains them, so they are refused rather than half-supported.
      if (/[,\\\s"]/.test(id)) return `alpn id "${id}" contains a comma, backslash, quote or space`;
    }
  }
  if (p.port !== undefined && !(Number.isInteger(p.port) && p.port >= 0 && p.port <= 0xffff)) return "port out of range";
  for (const a of p.ipv4hint ?? []) if (!parseIPv4(a)) return `ipv4hint ${a} is not an IPv4 address`;
  for (const a of p.ipv6hint ?? []) if (!parseIPv6(a)) return `ipv6hint ${a} is not an IPv6 address`;
  if (p.ipv4hint?.length === 0 || p.ipv6hint?.length === 0) return "address hints list no address";
  return null;
}

/** Presentation form (RFC 9460 §2.1): key=value pairs in key order. */
export function formatSvcParams(p: SvcParams): string {
  const out: string[] = [];
  for (const key of presentKeys(p)) {
    switch (key) {
      case 0: out.push(`mandatory=${[...p.mandatory!].sort((a, b) => a - b).map(keyName).join(",")}`); break;
      case 1: out.push(`alpn=${p.alpn!.join(",")}`); break;
      case 2: out.push("no-default-alpn"); break;
      case 3: out.push(`port=${p.port}`); break;
      case 4: out.push(`ipv4hint=${p.ipv4hint!.join(",")}`); break;
      case 5: out.push(`ech=${toBase64(p.ech!)}`); break;
      case 6: out.push(`ipv6hint=${p.ipv6hint!.map((a) => formatIP(parseIPv6(a) ?? new Uint8Array(16))).join(",")}`); break;
    }
  }
  return out.join(" ");
}

/** Parses presentation tokens (already unquoted) into SvcParams. */
export function parseSvcParams(tokens: readonly string[]): { ok: true; params: SvcParams } | { ok: false; error: string } {
  const p: SvcParams = {};
  const seen = new Set<number>();
  for (const t of tokens) {
    const eq = t.indexOf("=");
    const name = (eq < 0 ? t : t.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? null : t.slice(eq + 1);
    const key = keyNumber(name);
    if (key === null || key > 6) return { ok: false, error: `unsupported SvcParamKey "${name}"` };
    if (seen.has(key)) return { ok: false, error: `SvcParamKey "${name}" appears twice (RFC 9460 §2.1)` };
    seen.add(key);
    if (key === 2) {
      if (value !== null) return { ok: false, error: "no-default-alpn takes no value" };
      p.noDefaultAlpn = true;
      continue;
    }
    if (value === null || value === "") return { ok: false, error: `SvcParamKey "${name}" needs a value` };
    const list = splitCommaList(value);
    switch (key) {
      case 0: {
        const keys = list.map(keyNumber);
        if (keys.some((k) => k === null)) return { ok: false, error: `unknown key in mandatory=${value}` };
        p.mandatory = keys as number[];
        break;
      }
      case 1: p.alpn = list; break;
      case 3:
        if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 0xffff) return { ok: false, error: `bad port ${value}` };
        p.port = Number(value);
        break;
      case 4:
        if (list.some((a) => !parseIPv4(a))) return { ok: false, error: `bad ipv4hint ${value}` };
        p.ipv4hint = list;
        break;
      case 5: {
        const b = fromBase64(value);
        if (!b) return { ok: false, error: "ech is not base64" };
        p.ech = b;
        break;
      }
      case 6:
        if (list.some((a) => !parseIPv6(a))) return { ok: false, error: `bad ipv6hint ${value}` };
        p.ipv6hint = list.map((a) => formatIP(parseIPv6(a)!)!);
        break;
    }
  }
  return { ok: true, params: p };
}

/** RFC 9460 Appendix A.1 value-list: commas separate items, "\," is a literal comma. */
function splitCommaList(value: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === "\\" && i + 1 < value.length) {
      cur += value[++i];
    } else if (c === ",") {
      out.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}
