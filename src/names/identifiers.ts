// Identifiers a certificate may name: DNS names and IP addresses (RFC 5280 §4.2.1.6, RFC 8738).
// The rules are those of the CA/Browser Forum Baseline Requirements for server certificates.

import { formatIP, parseIP } from "./ip.ts";
import { punycodeDecode } from "./punycode.ts";

export type Identifier =
  | { type: "dns"; value: string }
  | { type: "ip"; value: string; bytes: Uint8Array };

export type IdentifierError = { value: string; reason: string };

const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Validates a DNS name for a certificate: LDH labels of 1–63 octets, at most 253 octets in all,
 * at least two labels, valid IDNA A-labels, and a wildcard only as the whole left-most label.
 */
export function checkDnsName(input: string): { ok: true; value: string } | { ok: false; reason: string } {
  const name = input.toLowerCase();
  if (name.length === 0) return { ok: false, reason: "empty name" };
  if (name.length > 253) return { ok: false, reason: `name is ${name.length} octets long; the limit is 253` };
  if (name.endsWith(".")) return { ok: false, reason: "name must not end with a dot" };
  const labels = name.split(".");
  if (labels.length < 2) return { ok: false, reason: "name must have at least two labels" };
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label === "*") {
      if (i !== 0) return { ok: false, reason: "a wildcard may only be the whole left-most label" };
      if (labels.length < 3) return { ok: false, reason: "a wildcard needs at least two labels below it" };
      continue;
    }
    if (label.length === 0) return { ok: false, reason: "empty label (consecutive dots)" };
    if (label.length > 63) return { ok: false, reason: `label "${label.slice(0, 20)}…" is ${label.length} octets long; the limit is 63` };
    if (label.includes("*")) return { ok: false, reason: "a wildcard may only be the whole left-most label" };
    if (!LDH_LABEL.test(label)) return { ok: false, reason: `label "${label}" is not letters, digits and inner hyphens` };
    if (label.length >= 4 && label[2] === "-" && label[3] === "-") {
      if (!label.startsWith("xn--")) return { ok: false, reason: `label "${label}" is a reserved R-LDH label` };
      const u = punycodeDecode(label.slice(4));
      if (u === null || u.length === 0 || /^[\x00-\x7f]*$/.test(u)) {
        return { ok: false, reason: `label "${label}" is not a valid IDNA A-label` };
      }
    }
  }
  const tld = labels[labels.length - 1]!;
  if (/^[0-9]+$/.test(tld)) return { ok: false, reason: "an IP address is not a DNS name" };
  return { ok: true, value: name };
}

/** Validates an IP address identifier; returns its canonical text (RFC 5952 for IPv6). */
export function checkIpAddress(bytes: Uint8Array): { ok: true; value: string } | { ok: false; reason: string } {
  const text = formatIP(bytes);
  if (text === null) return { ok: false, reason: `iPAddress must be 4 or 16 octets, got ${bytes.length}` };
  if (bytes.every((b) => b === 0)) return { ok: false, reason: "the unspecified address cannot be certified" };
  if ((bytes.length === 4 && bytes[0]! >= 224) || (bytes.length === 16 && bytes[0] === 0xff)) {
    return { ok: false, reason: "multicast and reserved addresses cannot be certified" };
  }
  return { ok: true, value: text };
}

export function ipIdentifierFromText(text: string): Identifier | null {
  const bytes = parseIP(text);
  if (!bytes) return null;
  const c = checkIpAddress(bytes);
  return c.ok ? { type: "ip", value: c.value, bytes } : null;
}

/** A stable text form used in the index and in comparisons: "dns:example.com", "ip:2001:db8::1". */
export function identifierKey(id: Identifier): string {
  return `${id.type}:${id.value}`;
}
