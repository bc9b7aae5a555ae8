// Domain names: presentation text (RFC 1035 §5.1), wire labels (RFC 1035 §3.1), canonical
// ordering (RFC 4034 §6.1) and the tree relations the answer engine needs (RFC 1034 §4.3.2,
// RFC 4592 wildcards).
//
// A name in this module's model is a fully-qualified presentation string ending in "." with
// ASCII letters folded to lowercase ("www.example.com.", the root is "."). Labels keep RFC 1035
// escapes ("\." for a dot inside a label, "\DDD" for any other octet), so the string is an
// unambiguous, comparable key: two names are equal exactly when their strings are equal.
// Lowercasing on the way in is what makes the stored form also the DNSSEC canonical form
// (RFC 4034 §6.2), so signing never has to remember to fold case.

import { concatBytes, type Bytes } from "../encoding/bytes.ts";

export type NameResult = { ok: true; name: string } | { ok: false; error: string };

/** RFC 1035 §2.3.4: a label is at most 63 octets, a name at most 255 octets on the wire. */
export const MAX_LABEL = 63;
export const MAX_NAME_WIRE = 255;

/** Folds ASCII A–Z only: DNS case-insensitivity is defined on ASCII octets (RFC 4343 §3). */
function foldByte(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
}

/**
 * Parses presentation text into label octets. A relative name (no trailing dot) is completed
 * with `origin`; "@" is the origin itself (RFC 1035 §5.1). Case is preserved here; callers that
 * want the canonical key use {@link parseName}.
 */
export function parseLabels(text: string, origin?: string): { ok: true; labels: Bytes[] } | { ok: false; error: string } {
  if (text === "@") {
    if (origin === undefined) return { ok: false, error: '"@" used without an origin' };
    return parseLabels(origin);
  }
  if (text === ".") return { ok: true, labels: [] };
  if (text.length === 0) return { ok: false, error: "empty name" };
  const labels: Bytes[] = [];
  let current: number[] = [];
  let absolute = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) {
      const d = text.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(d)) {
        const v = Number(d);
        if (v > 255) return { ok: false, error: `escape \\${d} is not an octet` };
        current.push(v);
        i += 3;
      } else if (i + 1 < text.length) {
        const e = text.charCodeAt(i + 1);
        if (e > 0x7e) return { ok: false, error: "names must be ASCII (use IDNA A-labels)" };
        current.push(e);
        i += 1;
      } else {
        return { ok: false, error: "name ends with a lone backslash" };
      }
    } else if (c === 0x2e /* . */) {
      if (current.length === 0) return { ok: false, error: "empty label (consecutive dots or a leading dot)" };
      labels.push(Uint8Array.from(current));
      current = [];
      if (i === text.length - 1) absolute = true;
    } else if (c < 0x21 || c > 0x7e) {
      return { ok: false, error: "names must be printable ASCII; escape other octets as \\DDD" };
    } else {
      current.push(c);
    }
    if (current.length > MAX_LABEL) return { ok: false, error: `label longer than ${MAX_LABEL} octets` };
  }
  if (!absolute) {
    labels.push(Uint8Array.from(current));
    if (origin === undefined) return { ok: false, error: "relative name without an origin" };
    const o = parseLabels(origin);
    if (!o.ok) return o;
    labels.push(...o.labels);
  }
  if (wireLength(labels) > MAX_NAME_WIRE) return { ok: false, error: `name longer than ${MAX_NAME_WIRE} octets on the wire` };
  return { ok: true, labels };
}

function wireLength(labels: readonly Uint8Array[]): number {
  return labels.reduce((n, l) => n + l.length + 1, 1);
}

/** Presentation form of one label's octets, escaping what RFC 1035 §5.1 master files need. */
export function formatLabel(label: Uint8Array): string {
  let s = "";
  for (const b of label) {
    if (b === 0x2e || b === 0x5c || b === 0x22 || b === 0x28 || b === 0x29 || b === 0x3b || b === 0x40 || b === 0x24) {
      s += "\\" + String.fromCharCode(b);
    } else if (b < 0x21 || b > 0x7e) {
      s += "\\" + b.toString().padStart(3, "0");
    } else {
      s += String.fromCharCode(b);
    }
  }
  return s;
}

/** Fully-qualified presentation text of wire labels, case preserved. */
export function formatLabels(labels: readonly Uint8Array[]): string {
  if (labels.length === 0) return ".";
  return labels.map(formatLabel).join(".") + ".";
}

/** Parses a name to its canonical key: absolute, lowercase, escapes normalized. */
export function parseName(text: string, origin?: string): NameResult {
  const r = parseLabels(text, origin);
  if (!r.ok) return r;
  return { ok: true, name: formatLabels(r.labels.map(lowerLabel)) };
}

function lowerLabel(label: Uint8Array): Bytes {
  const out = new Uint8Array(label.length);
  for (let i = 0; i < label.length; i++) out[i] = foldByte(label[i]!);
  return out;
}

/** Label octets of a canonical name (left to right, root excluded). */
export function nameLabels(name: string): Bytes[] {
  const r = parseLabels(name);
  return r.ok ? r.labels : [];
}

/** Uncompressed wire form (RFC 1035 §3.1); for canonical keys this is the RFC 4034 §6.2 form. */
export function nameToWire(name: string): Bytes {
  const labels = nameLabels(name);
  const parts: Uint8Array[] = [];
  for (const l of labels) parts.push(Uint8Array.of(l.length), l);
  parts.push(Uint8Array.of(0));
  return concatBytes(parts);
}

/** Presentation labels of a canonical name, split on unescaped dots. */
export function splitName(name: string): string[] {
  if (name === ".") return [];
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === "\\") {
      i += /^[0-9]{3}/.test(name.slice(i + 1, i + 4)) ? 3 : 1;
    } else if (c === ".") {
      out.push(name.slice(start, i));
      start = i + 1;
    }
  }
  return out;
}

/** RFC 4034 §3.1.3 / §4.1.3 label count: root and a leading "*" label are not counted. */
export function labelCount(name: string): number {
  const labels = splitName(name);
  return labels[0] === "*" ? labels.length - 1 : labels.length;
}

/** The name with its leftmost label removed; the root's parent is null. */
export function parentName(name: string): string | null {
  const labels = splitName(name);
  if (labels.length === 0) return null;
  return labels.length === 1 ? "." : labels.slice(1).join(".") + ".";
}

/** True when `name` equals `ancestor` or lies below it (both canonical). */
export function isSubdomain(name: string, ancestor: string): boolean {
  if (ancestor === ".") return true;
  if (name === ancestor) return true;
  // Compare on label boundaries: "xexample.com." is not below "example.com.". An escaped dot
  // ("a\.example.com.") is a single label, so the boundary must be an unescaped dot.
  if (!name.endsWith("." + ancestor)) return false;
  const cut = name.length - ancestor.length - 1;
  let backslashes = 0;
  for (let i = cut - 1; i >= 0 && name[i] === "\\"; i--) backslashes++;
  return backslashes % 2 === 0;
}

export function isWildcard(name: string): boolean {
  return name.startsWith("*.") || name === "*.";
}

/** The wildcard owner that could synthesize answers below `encloser` (RFC 4592 §2.1.1). */
export function wildcardAt(encloser: string): string {
  return encloser === "." ? "*." : "*." + encloser;
}

/** Joins a label (presentation) in front of a canonical name. */
export function prependLabel(label: string, name: string): string {
  return name === "." ? `${label}.` : `${label}.${name}`;
}

/**
 * RFC 4034 §6.1 canonical order: compare the rightmost labels first, each label as a string of
 * lowercase octets where a shorter label sorting first when it is a prefix of the other; a name
 * that runs out of labels sorts first.
 */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  const la = nameLabels(a).map(lowerLabel);
  const lb = nameLabels(b).map(lowerLabel);
  let i = la.length - 1, j = lb.length - 1;
  for (; i >= 0 && j >= 0; i--, j--) {
    const c = compareOctets(la[i]!, lb[j]!);
    if (c !== 0) return c;
  }
  return la.length - lb.length;
}

export function compareOctets(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Renders `name` relative to `origin` for master files ("@" for the origin itself). */
export function relativeName(name: string, origin: string): string {
  if (name === origin) return "@";
  if (origin !== "." && isSubdomain(name, origin)) return name.slice(0, name.length - origin.length - 1);
  return name;
}
