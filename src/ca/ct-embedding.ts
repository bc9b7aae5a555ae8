// Certificate Transparency on the CA side (RFC 6962 §3.1, §3.3): the precertificate poison, the
// embedded SCT list, and the log entries the CA submits to its log for both certificates.

import type { Bytes } from "../encoding/bytes.ts";
import { OID_SCT_LIST, type SignedEntry, decodeDigitallySigned, encodeSct, sctListExtensionValue } from "../ct/structures.ts";
import { OID_CT_POISON } from "../ct/precert.ts";
import { extensionDer } from "../encoding/der-writer.ts";

/** Critical extension whose value is ASN.1 NULL: no relying party accepts a precertificate. */
export const POISON_EXTENSION: Bytes = extensionDer(OID_CT_POISON, true, Uint8Array.of(0x05, 0x00));

/** What a log returns for one submission (the fields of an RFC 6962 SCT). */
export interface ReceivedSct {
  logId: Uint8Array;
  timestamp: number;
  extensions: Uint8Array;
  /** TLS-encoded DigitallySigned. */
  signature: Uint8Array;
}

export function serializeSct(s: ReceivedSct): Bytes {
  return encodeSct({ logId: s.logId, timestamp: s.timestamp, extensions: s.extensions, signature: decodeDigitallySigned(s.signature) });
}

/** The SignedCertificateTimestampList extension (non-critical) carrying the given SCTs. */
export function sctListExtension(scts: ReceivedSct[]): Bytes {
  return extensionDer(OID_SCT_LIST, false, sctListExtensionValue(scts.map(serializeSct)));
}

/**
 * The precert_entry for a precertificate this CA signs itself: RFC 6962 §3.2 defines its
 * TBSCertificate as the precertificate's with the poison removed, which is exactly the leaf TBS
 * built without extra extensions, and issuer_key_hash as SHA-256 of the issuer's SPKI.
 */
export function precertEntry(tbsWithoutPoison: Uint8Array, issuerSpkiSha256: Uint8Array): SignedEntry {
  return { type: "precert", issuerKeyHash: issuerSpkiSha256, tbsCertificate: tbsWithoutPoison };
}

