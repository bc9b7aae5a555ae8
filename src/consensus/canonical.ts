// One canonical byte encoding for what validators sign and hash: JSON with object keys sorted by
// UTF-16 code units, no whitespace, integers only (the RFC 8785 rules for the values we use), so
// every party that holds the same value computes the same bytes.

import { type Bytes, sha256, toHex, utf8 } from "../encoding/bytes.ts";

export type Canonical = string | number | boolean | null | readonly Canonical[] | { readonly [key: string]: Canonical | undefined };

/** The canonical JSON text of a value. */
export function encodeCanonical(v: Canonical | undefined): string {
  if (v === null) return "null";
  if (typeof v === "string" || typeof v === "boolean") return JSON.stringify(v);
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new RangeError(`canonical encoding holds integers only, got ${v}`);
    return String(v);
  }
  if (Array.isArray(v)) return `[${v.map(encodeCanonical).join(",")}]`;
  if (typeof v === "object") {
    const o = v as { readonly [key: string]: Canonical | undefined };
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${encodeCanonical(o[k])}`).join(",")}}`;
  }
  throw new TypeError(`cannot encode ${typeof v} canonically`);
}

/** The canonical bytes of a value, prefixed by a domain label so a signature over one kind of object never verifies as another. */
export function canonicalBytes(domain: string, value: Canonical): Bytes {
  return utf8(`${domain}\n${encodeCanonical(value)}`);
}

export async function canonicalHash(domain: string, value: Canonical): Promise<string> {
  return toHex(await sha256(canonicalBytes(domain, value)));
}
