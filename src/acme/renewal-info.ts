// ACME Renewal Information (RFC 9773): the certificate identifier (§4.1), the renewal window we
// suggest (§4.2), and the `replaces` field of newOrder (§5).

import { AsnConvert } from "@peculiar/asn1-schema";
import { AuthorityKeyIdentifier, Certificate, id_ce_authorityKeyIdentifier } from "@peculiar/asn1-x509";
import { normalizeSerial } from "../ca/serial.ts";
import { type Bytes, fromBase64Url, toBase64Url, toBytes, toHex } from "../encoding/bytes.ts";

/** §4.1: base64url(AKI keyIdentifier) "." base64url(DER serial INTEGER contents). */
export interface CertId {
  aki: Bytes;
  /** Our index's spelling: lower-case hex without a leading zero octet. */
  serial: string;
}

export function parseCertId(text: string): CertId | null {
  const m = /^([A-Za-z0-9_-]{1,128})\.([A-Za-z0-9_-]{1,64})$/.exec(text);
  if (!m) return null;
  const aki = fromBase64Url(m[1]!);
  const serialBytes = fromBase64Url(m[2]!);
  // A DER INTEGER's contents: no negative serials, no needless leading zero octets.
  if (!aki || !serialBytes || serialBytes.length === 0 || serialBytes[0]! & 0x80) return null;
  if (serialBytes.length > 1 && serialBytes[0] === 0 && !(serialBytes[1]! & 0x80)) return null;
  const serial = normalizeSerial(toHex(serialBytes));
  return serial ? { aki, serial } : null;
}

/** The certID of a certificate, or null when it has no AKI keyIdentifier. */
export function certIdOf(der: Uint8Array): { id: string; aki: Bytes; serial: string } | null {
  const cert = AsnConvert.parse(der, Certificate);
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_authorityKeyIdentifier);
  if (!ext) return null;
  const aki = AsnConvert.parse(ext.extnValue.buffer, AuthorityKeyIdentifier).keyIdentifier;
  if (!aki) return null;
  const akiBytes = toBytes(aki.buffer);
  const serialBytes = new Uint8Array(cert.tbsCertificate.serialNumber);
  const serial = normalizeSerial(toHex(serialBytes));
  if (!serial) return null;
  return { id: `${toBase64Url(akiBytes)}.${toBase64Url(serialBytes)}`, aki: akiBytes, serial };
}

export interface RenewalInfo {
  suggestedWindow: { start: string; end: string };
  explanationURL?: string;
}

/** How often a client should ask again (§4.3 Retry-After), in seconds. */
export interface RenewalAdvice {
  info: RenewalInfo;
  retryAfter: number;
}

const iso = (unix: number) => new Date(unix * 1000).toISOString();

/**
 * §4.2: renew in the third of the lifetime before the last sixth (Let's Encrypt's shape: a
 * window around two thirds of the lifetime, wide enough to spread load); a revoked certificate
 * gets a window in the past, which tells the client to renew now. Clients are asked to come back
 * after a twelfth of the lifetime, between one minute and six hours.
 */
export function renewalAdvice(cert: { notBefore: number; notAfter: number; revoked: boolean }, now: number): RenewalAdvice {
  const lifetime = Math.max(1, cert.notAfter - cert.notBefore);
  const retryAfter = Math.min(6 * 3600, Math.max(60, Math.floor(lifetime / 12)));
  if (cert.revoked) return { info: { suggestedWindow: { start: iso(now - 2 * 3600), end: iso(now - 3600) } }, retryAfter };
  const start = cert.notAfter - Math.floor(lifetime / 3);
  const end = cert.notAfter - Math.floor(lifetime / 6);
  return { info: { suggestedWindow: { start: iso(start), end: iso(end) } }, retryAfter };
}
