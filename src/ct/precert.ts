// RFC 6962 §3.2: the TBSCertificate a precertificate is logged (and its SCT signed) over. It is
// the precertificate's TBSCertificate with the poison extension removed; when a Precertificate
// Signing Certificate (PSC) signed it, the issuer is changed to the PSC's issuer and the
// Authority Key Identifier to the one of the final issuing CA (the PSC's own AKI). Everything
// else is kept byte for byte, so the result equals the final certificate's TBSCertificate minus
// the SCT list extension, which is what TLS clients reconstruct (RFC 6962 §5.2).

import { type Bytes, bytesEqual } from "../encoding/bytes.ts";
import { DerError, type DerElement, readChildren, readSingle } from "../encoding/der-reader.ts";
import { TAG, oid, tlv } from "../encoding/der-writer.ts";

/** RFC 6962 §3.1: the critical poison extension that makes a certificate a precertificate. */
export const OID_CT_POISON = "1.3.6.1.4.1.11129.2.4.3";
/** RFC 6962 §3.1: the Extended Key Usage of a Precertificate Signing Certificate. */
export const OID_CT_PRECERT_SIGNING = "1.3.6.1.4.1.11129.2.4.4";
const OID_AUTHORITY_KEY_IDENTIFIER = "2.5.29.35";

const EXPLICIT_VERSION = 0xa0;
const EXPLICIT_EXTENSIONS = 0xa3;

const POISON_OID_DER = oid(OID_CT_POISON);
const AKI_OID_DER = oid(OID_AUTHORITY_KEY_IDENTIFIER);

/** The parts of a TBSCertificate (RFC 5280 §4.1) this module needs, as raw elements. */
export interface TbsParts {
  readonly fields: readonly DerElement[];
  /** Position of the issuer Name in `fields` (after the optional version). */
  readonly issuerAt: number;
  readonly subjectPublicKeyInfo: DerElement;
  /** Position of the [3] extensions element in `fields`, or -1. */
  readonly extensionsAt: number;
  readonly extensions: readonly DerElement[];
}

/** Splits a DER TBSCertificate into its fields; throws DerError when it is not one. */
export function tbsParts(tbsDer: Uint8Array): TbsParts {
  const tbs = readSingle(tbsDer);
  if (tbs.tag !== TAG.sequence) throw new DerError("TBSCertificate is not a SEQUENCE");
  const fields = readChildren(tbs.content);
  const first = fields[0]?.tag === EXPLICIT_VERSION ? 1 : 0;
  // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
  if (fields.length < first + 6) throw new DerError("TBSCertificate has too few fields");
  const issuerAt = first + 2;
  const extensionsAt = fields.findIndex((f) => f.tag === EXPLICIT_EXTENSIONS);
  let extensions: DerElement[] = [];
  if (extensionsAt >= 0) {
    const seq = readSingle(fields[extensionsAt]!.content);
    if (seq.tag !== TAG.sequence) throw new DerError("extensions are not a SEQUENCE");
    extensions = readChildren(seq.content);
  }
  return { fields, issuerAt, subjectPublicKeyInfo: fields[first + 5]!, extensionsAt, extensions };
}

function extensionOid(ext: DerElement): Uint8Array {
  const children = readChildren(ext.content);
  const id = children[0];
  if (ext.tag !== TAG.sequence || id === undefined || id.tag !== TAG.oid) throw new DerError("malformed Extension");
  return id.raw;
}

/** The raw Extension with this OID (encoded as DER), or undefined. */
function findExtension(parts: TbsParts, oidDer: Uint8Array): DerElement | undefined {
  return parts.extensions.find((e) => bytesEqual(extensionOid(e), oidDer));
}

/** True when the TBSCertificate carries the CT poison extension, critical or not. */
export function hasPoison(tbsDer: Uint8Array): boolean {
  return findExtension(tbsParts(tbsDer), POISON_OID_DER) !== undefined;
}

/** The precertificate signing certificate's fields that replace the precertificate's (RFC 6962 §3.2). */
export interface PrecertSigningCert {
  readonly tbsDer: Uint8Array;
}

/**
 * Builds the RFC 6962 §3.2 PreCert.tbs_certificate. Throws DerError when the input is not a
 * TBSCertificate with the poison extension, or when a PSC is used, the precertificate has an
 * AKI and the PSC does not (there would be nothing to replace it with).
 */
export function precertTbs(tbsDer: Uint8Array, psc?: PrecertSigningCert): Bytes {
  const parts = tbsParts(tbsDer);
  if (parts.extensionsAt < 0 || findExtension(parts, POISON_OID_DER) === undefined) throw new DerError("the certificate has no CT poison extension");
  let pscParts: TbsParts | undefined;
  let pscAki: DerElement | undefined;
  if (psc !== undefined) {
    pscParts = tbsParts(psc.tbsDer);
    pscAki = findExtension(pscParts, AKI_OID_DER);
  }
  const extensions: Uint8Array[] = [];
  for (const ext of parts.extensions) {
    const id = extensionOid(ext);
    if (bytesEqual(id, POISON_OID_DER)) continue;
    if (pscParts !== undefined && bytesEqual(id, AKI_OID_DER)) {
      if (pscAki === undefined) throw new DerError("the precertificate has an Authority Key Identifier but its signing certificate has none");
      extensions.push(pscAki.raw);
      continue;
    }
    extensions.push(ext.raw);
  }
  const fields: Uint8Array[] = parts.fields.map((f) => f.raw);
  if (pscParts !== undefined) fields[parts.issuerAt] = pscParts.fields[pscParts.issuerAt]!.raw;
  if (extensions.length > 0) fields[parts.extensionsAt] = tlv(EXPLICIT_EXTENSIONS, tlv(TAG.sequence, ...extensions));
  else fields.splice(parts.extensionsAt, 1);
  return tlv(TAG.sequence, ...fields);
}
