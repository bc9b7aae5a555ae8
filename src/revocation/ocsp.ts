// OCSP responder logic (RFC 6960, profiled by RFC 5019): parse a request, look up each
// certificate, and sign a BasicOCSPResponse with the issuing CA's own key.

import {
  BasicOCSPResponse,
  CertID,
  CertStatus,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
  KeyHash,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
} from "@peculiar/asn1-ocsp";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { CRLReason, Extension, SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import type { Issuer } from "../ca/hierarchy.ts";
import { type Bytes, bytesEqual, sha1, sha256, toBytes, toHex } from "../encoding/bytes.ts";
import { readSingle } from "../encoding/der-reader.ts";
import { OID } from "../x509/oids.ts";
import type { OcspResponseCache } from "./ocsp-cache.ts";

export type CertificateStatus =
  | { status: "good" }
  | { status: "revoked"; revokedAt: Date; reason: number }
  | { status: "unknown" };

/** An issuer this responder answers for, with the CertID hashes precomputed. */
export interface OcspIssuer {
  issuer: Issuer;
  /** SHA-1 of the issuer's public key bits: the ResponderID byKey. */
  keyHashSha1: Bytes;
  hashes: { algorithm: string; nameHash: Bytes; keyHash: Bytes }[];
}

export const OCSP_VALIDITY_SECONDS = 3600;
export const MAX_REQUESTS_PER_OCSP = 8;

/**
 * How many ASN.1 elements a request may have (asn1js counts them while decoding, as for CSRs in
 * src/x509/csr.ts). openssl's request for MAX_REQUESTS_PER_OCSP certificates with a nonce has 88,
 * a signed one carrying its signer's certificate about 200; ordinary structures take some six
 * bytes an element, so a request within the 4 KiB body limit has about 650 at most. Two-byte
 * elements could reach 2,048, and mapping them onto the schema (CHOICEs such as a GeneralName
 * requestorName tried alternative by alternative) took up to 20 ms each time, in the one
 * CaSigner object that also signs every certificate.
 */
export const MAX_OCSP_ELEMENTS = 768;

/** RFC 9654 (which obsoletes RFC 8954): Nonce ::= OCTET STRING (SIZE(1..128)); other lengths get malformedRequest. */
export const MAX_OCSP_NONCE_OCTETS = 128;

/**
 * The nonce's length. RFC 9654 wraps it in an OCTET STRING inside extnValue; clients written
 * against RFC 6960's looser wording put the bare octets there, so those count as they are.
 */
function nonceOctets(extnValue: Uint8Array): number {
  try {
    const inner = readSingle(extnValue);
    if (inner.tag === 0x04) return inner.content.length;
  } catch {
    // not DER: the bare nonce
  }
  return extnValue.length;
}

export async function ocspIssuer(issuer: Issuer, issuerSpki: SubjectPublicKeyInfo): Promise<OcspIssuer> {
  const nameDer = toBytes(AsnConvert.serialize(issuer.name));
  const key = new Uint8Array(issuerSpki.subjectPublicKey);
  const keyHashSha1 = await sha1(key);
  return {
    issuer,
    keyHashSha1,
    hashes: [
      { algorithm: OID.sha1, nameHash: await sha1(nameDer), keyHash: keyHashSha1 },
      { algorithm: OID.sha256, nameHash: await sha256(nameDer), keyHash: await sha256(key) },
    ],
  };
}

function statusOnly(status: OCSPResponseStatus): Bytes {
  return toBytes(AsnConvert.serialize(new OCSPResponse({ responseStatus: status })));
}

export function matchIssuer(certId: CertID, issuers: OcspIssuer[]): OcspIssuer | null {
  for (const oi of issuers) {
    for (const h of oi.hashes) {
      if (
        h.algorithm === certId.hashAlgorithm.algorithm &&
        bytesEqual(h.nameHash, new Uint8Array(certId.issuerNameHash.buffer)) &&
        bytesEqual(h.keyHash, new Uint8Array(certId.issuerKeyHash.buffer))
      ) return oi;
    }
  }
  return null;
}

/** Serial from a CertID as the index stores it: lowercase hex without leading zero octets. */
export function certIdSerial(certId: CertID): string {
  let b = new Uint8Array(certId.serialNumber);
  while (b.length > 1 && b[0] === 0) b = b.subarray(1);
  return toHex(b);
}

/**
 * Answers an OCSP request. Never throws: a request that cannot be parsed gets malformedRequest,
 * one for an issuer we do not serve gets unauthorized (RFC 5019 §2.2.3).
 */
export async function respondOcsp(
  requestDer: Uint8Array,
  opts: {
    issuers: OcspIssuer[];
    lookup: (issuerId: string, serial: string) => Promise<CertificateStatus>;
    now: Date;
    /** Responses to reuse for nonce-less requests about one certificate (ocsp-cache.ts). */
    reuse?: OcspResponseCache;
  },
): Promise<Bytes> {
  let req: OCSPRequest;
  try {
    req = AsnConvert.parse(requestDer, OCSPRequest, { berOptions: { maxNodes: MAX_OCSP_ELEMENTS } });
  } catch {
    return statusOnly(OCSPResponseStatus.malformedRequest);
  }
  const list = req.tbsRequest.requestList;
  if (list.length === 0 || list.length > MAX_REQUESTS_PER_OCSP) return statusOnly(OCSPResponseStatus.malformedRequest);
  const nonce = req.tbsRequest.requestExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
  if (nonce) {
    const n = nonceOctets(new Uint8Array(nonce.extnValue.buffer));
    if (n < 1 || n > MAX_OCSP_NONCE_OCTETS) return statusOnly(OCSPResponseStatus.malformedRequest);
  }

  const matched = list.map((r) => matchIssuer(r.reqCert, opts.issuers));
  const signerIssuer = matched[0];
  if (!signerIssuer || matched.some((m) => m !== signerIssuer)) return statusOnly(OCSPResponseStatus.unauthorized);

  const now = new Date(Math.floor(opts.now.getTime() / 1000) * 1000);
  const nextUpdate = new Date(now.getTime() + OCSP_VALIDITY_SECONDS * 1000);
  // The CertID as the client encoded it (hash algorithm, its parameters, hashes, serial): the
  // response echoes it, and clients compare the two byte for byte.
  const reuseKey = opts.reuse && !nonce && list.length === 1 ? `${signerIssuer.issuer.id}/${toHex(toBytes(AsnConvert.serialize(list[0]!.reqCert)))}` : null;
  if (reuseKey) {
    const reused = opts.reuse!.get(reuseKey, opts.now.getTime());
    if (reused) return reused;
  }
  const generation = opts.reuse?.generation ?? 0;
  const responses: SingleResponse[] = [];
  let known = true;
  for (const r of list) {
    const st = await opts.lookup(signerIssuer.issuer.id, certIdSerial(r.reqCert));
    if (st.status === "unknown") known = false;
    const certStatus =
      st.status === "good"
        ? new CertStatus({ good: null })
        : st.status === "revoked"
          ? new CertStatus({
              revoked: new RevokedInfo({
                revocationTime: new Date(Math.floor(st.revokedAt.getTime() / 1000) * 1000),
                revocationReason: new CRLReason(st.reason),
              }),
            })
          : new CertStatus({ unknown: null });
    responses.push(new SingleResponse({ certID: r.reqCert, certStatus, thisUpdate: now, nextUpdate }));
  }

  const tbs = new ResponseData({
    responderID: new ResponderID({ byKey: new KeyHash(signerIssuer.keyHashSha1) }),
    producedAt: now,
    responses,
    responseExtensions: nonce ? [new Extension({ extnID: id_pkix_ocsp_nonce, critical: false, extnValue: nonce.extnValue })] : undefined,
  });
  const tbsDer = toBytes(AsnConvert.serialize(tbs));
  const signer = signerIssuer.issuer.signer;
  const signature = await signer.sign(tbsDer);
  const basic = new BasicOCSPResponse({ tbsResponseData: tbs, signatureAlgorithm: signer.algorithm, signature: signature.buffer });
  const response = toBytes(
    AsnConvert.serialize(
      new OCSPResponse({
        responseStatus: OCSPResponseStatus.successful,
        responseBytes: new ResponseBytes({ responseType: id_pkix_ocsp_basic, response: new OctetString(AsnConvert.serialize(basic)) }),
      }),
    ),
  );
  // Not an "unknown": the certificate may be in the index a moment later.
  if (reuseKey && known) opts.reuse!.put(reuseKey, response, now.getTime(), generation);
  return response;
}
