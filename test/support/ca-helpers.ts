// Helpers for CA tests inside workerd: the published CA certificates, and revocation status read
// the way a relying party reads it (OCSP and the CRL, each signature checked against the issuer).

import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { BasicOCSPResponse, CertID, OCSPRequest, OCSPResponse, Request, TBSRequest } from "@peculiar/asn1-ocsp";
import { AlgorithmIdentifier, Certificate, CertificateList } from "@peculiar/asn1-x509";
import { type Bytes, fromHex, sha1, toBytes, toHex } from "../../src/encoding/bytes.ts";
import { parsePem } from "../../src/encoding/pem.ts";
import { verifySignature } from "../../src/x509/signature.ts";
import { spkiDerOf, verifiesWith } from "./pq-helpers.ts";
import { call } from "./worker-helpers.ts";

export interface CaCertJson {
  id: string;
  pem: string;
}

export interface IssuingCaJson extends CaCertJson {
  status: "current" | "retired";
  not_before: string;
  not_after: string;
}

export interface CaJson {
  root: CaCertJson;
  intermediates: IssuingCaJson[];
  pq: { root: CaCertJson; intermediates: IssuingCaJson[]; cross_certificates: (CaCertJson & { issuing_id: string })[] };
}

export const derOf = (pem: string): Bytes => parsePem(pem)![0]!.der;

export async function caJson(): Promise<CaJson> {
  const r = await call("/api/v1/ca");
  if (r.status !== 200) throw new Error(`GET /api/v1/ca: ${r.status} ${await r.text()}`);
  return (await r.json()) as CaJson;
}

/** The OCSP CertID of `serial` under the issuer certificate `issuerDer` (SHA-1 of its name and key). */
export async function ocspCertId(issuerDer: Uint8Array, serial: string): Promise<CertID> {
  const ic = AsnConvert.parse(toBytes(issuerDer), Certificate).tbsCertificate;
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: "1.3.14.3.2.26" }),
    issuerNameHash: new OctetString(await sha1(toBytes(AsnConvert.serialize(ic.subject)))),
    issuerKeyHash: new OctetString(await sha1(new Uint8Array(ic.subjectPublicKeyInfo.subjectPublicKey))),
    serialNumber: fromHex(serial)!.buffer,
  });
}

/**
 * Asks /ocsp about `serial` with a CertID made from `issuerDer` and checks the response's
 * signature with that issuer's key.
 */
export async function ocspStatus(issuerDer: Uint8Array, serial: string): Promise<{ status: "good" | "revoked" | "unknown"; signedByIssuer: boolean; signatureAlgorithm: string }> {
  const ic = AsnConvert.parse(toBytes(issuerDer), Certificate).tbsCertificate;
  const certId = await ocspCertId(issuerDer, serial);
  const req = new OCSPRequest({ tbsRequest: new TBSRequest({ requestList: [new Request({ reqCert: certId })] }) });
  const res = await call("/ocsp", { method: "POST", body: toBytes(AsnConvert.serialize(req)), headers: { "content-type": "application/ocsp-request" } });
  const parsed = AsnConvert.parse(new Uint8Array(await res.arrayBuffer()), OCSPResponse);
  if (parsed.responseStatus !== 0) throw new Error(`OCSP response status ${parsed.responseStatus}`);
  const basic = AsnConvert.parse(parsed.responseBytes!.response.buffer, BasicOCSPResponse);
  const single = basic.tbsResponseData.responses[0]!;
  const status = single.certStatus.good !== undefined ? "good" : single.certStatus.revoked ? "revoked" : "unknown";
  const tbs = toBytes(AsnConvert.serialize(basic.tbsResponseData));
  const signedByIssuer = (await verifySignature(basic.signatureAlgorithm, spkiDerOf(issuerDer), ic.subjectPublicKeyInfo, new Uint8Array(basic.signature), tbs)) === true;
  return { status, signedByIssuer, signatureAlgorithm: basic.signatureAlgorithm.algorithm };
}

/** The serials on the issuer's published CRL (/crl/<id>.crl), after checking its signature. */
export async function crlSerials(issuerId: string, issuerDer: Uint8Array): Promise<{ serials: string[]; crlNumber: string; der: Bytes }> {
  const r = await call(`/crl/${issuerId}.crl`);
  if (r.status !== 200) throw new Error(`/crl/${issuerId}.crl: ${r.status}`);
  const der = new Uint8Array(await r.arrayBuffer());
  if (!(await verifiesWith(der, spkiDerOf(issuerDer)))) throw new Error(`the CRL of ${issuerId} is not signed by that issuer`);
  const crl = AsnConvert.parse(der, CertificateList);
  const number = crl.tbsCertList.crlExtensions?.find((e) => e.extnID === "2.5.29.20");
  return {
    serials: (crl.tbsCertList.revokedCertificates ?? []).map((e) => toHex(new Uint8Array(e.userCertificate)).replace(/^00/, "")),
    crlNumber: number ? toHex(new Uint8Array(number.extnValue.buffer)) : "",
    der,
  };
}
