// The revokeCert payload (RFC 8555 §7.6): the certificate (base64url DER) and an optional
// RFC 5280 reason code, read into what the authorization check and the CaSigner need.

import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate } from "@peculiar/asn1-x509";
import { normalizeSerial } from "../ca/serial.ts";
import { type Bytes, fromBase64Url, toBytes, toHex } from "../encoding/bytes.ts";
import { ProblemType, type Result, fail, ok, problem } from "../problem.ts";
import { REVOCATION_REASONS, parseReason } from "../revocation/reasons.ts";

export interface RevokeRequest {
  der: Bytes;
  serial: string;
  spkiDer: Bytes;
  reason: number;
}

/**
 * ASN.1 elements a certificate we issued can have: one per name and about a hundred more (198 for
 * 100 names). asn1js's default of 10,000 let a 48 KiB certificate of repeated RDNs take around
 * 100 ms of CPU to decode and map before it was found not to be ours.
 */
const MAX_CERT_NODES = 2048;

export function parseRevokeRequest(payload: Record<string, unknown>): Result<RevokeRequest> {
  const der = typeof payload.certificate === "string" ? fromBase64Url(payload.certificate) : null;
  if (!der || der.length === 0 || der.length > 64 * 1024) return fail(problem(ProblemType.malformed, 400, '"certificate" must be the base64url DER of a certificate'));
  // §7.6: reason is an integer CRLReason code; the codes we accept are listed in the problem.
  if (payload.reason !== undefined && typeof payload.reason !== "number") return fail(problem(ProblemType.badRevocationReason, 400, '"reason" must be an integer'));
  const reason = parseReason(payload.reason);
  if (reason === null) {
    return fail(problem(ProblemType.badRevocationReason, 400, `reason must be one of ${Object.entries(REVOCATION_REASONS).map(([k, v]) => `${k} (${v})`).join(", ")}`));
  }
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der, Certificate, { berOptions: { maxNodes: MAX_CERT_NODES } });
  } catch {
    return fail(problem(ProblemType.malformed, 400, `"certificate" is not a DER X.509 certificate of at most ${MAX_CERT_NODES} ASN.1 elements`));
  }
  const serial = normalizeSerial(toHex(new Uint8Array(cert.tbsCertificate.serialNumber)));
  if (!serial) return fail(problem(ProblemType.malformed, 400, "the certificate's serial number is not one we issue"));
  return ok({ der, serial, spkiDer: toBytes(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo)), reason });
}
