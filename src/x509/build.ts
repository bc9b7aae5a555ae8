// Building blocks for DER certificates and CRLs on top of the @peculiar/asn1-x509 schemas.

import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  AttributeTypeAndValue,
  AttributeValue,
  Extension,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  TBSCertList,
} from "@peculiar/asn1-x509";
import { type Bytes, fromHex, sha1, toBytes } from "../encoding/bytes.ts";
import { bitString, sequence } from "../encoding/der-writer.ts";
import { OID } from "./oids.ts";
import type { Signer } from "./signer.ts";

export function extension(extnID: string, critical: boolean, value: object): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

export type NameAttribute = "CN" | "O" | "C";
const ATTRIBUTE_OID: Record<NameAttribute, string> = { CN: OID.commonName, O: OID.organizationName, C: OID.countryName };

/** An X.501 Name, one attribute per RDN, most significant first (C, O, CN). */
export function buildName(attrs: [NameAttribute, string][]): Name {
  return new Name(
    attrs.map(([type, value]) =>
      new RelativeDistinguishedName([
        new AttributeTypeAndValue({
          type: ATTRIBUTE_OID[type],
          // RFC 5280 §4.1.2.4: UTF8String, except countryName which is PrintableString.
          value: type === "C" ? new AttributeValue({ printableString: value }) : new AttributeValue({ utf8String: value }),
        }),
      ]),
    ),
  );
}

export function parseSpki(der: Uint8Array): SubjectPublicKeyInfo {
  return AsnConvert.parse(der, SubjectPublicKeyInfo);
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING contents. */
export async function keyIdentifier(spki: SubjectPublicKeyInfo): Promise<Bytes> {
  return sha1(new Uint8Array(spki.subjectPublicKey));
}

const algorithmDerCache = new WeakMap<Signer, Bytes>();

function algorithmDer(signer: Signer): Bytes {
  let der = algorithmDerCache.get(signer);
  if (!der) {
    der = toBytes(AsnConvert.serialize(signer.algorithm));
    algorithmDerCache.set(signer, der);
  }
  return der;
}

/**
 * Signs DER to-be-signed bytes and wraps them as SEQUENCE { tbs, signatureAlgorithm, BIT STRING }:
 * the common shape of Certificate (RFC 5280 §4.1) and CertificateList (§5.1). The tbs must already
 * name the signer's algorithm.
 */
export async function signTbs(tbsDer: Bytes, signer: Signer): Promise<Bytes> {
  const signature = await signer.sign(tbsDer);
  return sequence(tbsDer, algorithmDer(signer), bitString(signature));
}

export function signerAlgorithmDer(signer: Signer): Bytes {
  return algorithmDer(signer);
}

export async function signCertificate(tbs: TBSCertificate, signer: Signer): Promise<Bytes> {
  tbs.signature = signer.algorithm;
  return signTbs(toBytes(AsnConvert.serialize(tbs)), signer);
}

export async function signCrl(tbs: TBSCertList, signer: Signer): Promise<Bytes> {
  tbs.signature = signer.algorithm;
  return signTbs(toBytes(AsnConvert.serialize(tbs)), signer);
}

/** A serial number (lowercase hex, as in the index) as the DER INTEGER body the schemas expect. */
export function serialFromHex(hex: string): ArrayBuffer {
  const bytes = fromHex(hex);
  if (!bytes) throw new Error(`serial ${hex} is not hex`);
  return bytes.buffer;
}
