// The classical two-tier hierarchy: a long-lived ECDSA P-384 root that signs an ECDSA P-256
// issuing intermediate. Profiles follow RFC 5280 and the Baseline Requirements §7.1.2.

import { AsnConvert } from "@peculiar/asn1-schema";
import {
  AccessDescription,
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  CertificatePolicies,
  CRLDistributionPoints,
  DistributionPoint,
  DistributionPointName,
  ExtendedKeyUsage,
  Extensions,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  PolicyInformation,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_certificatePolicies,
  id_ce_cRLDistributionPoints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  id_pe_authorityInfoAccess,
} from "@peculiar/asn1-x509";
import { type Bytes, toHex } from "../encoding/bytes.ts";
import { buildName, extension, keyIdentifier, parseSpki, serialFromHex, signCertificate } from "../x509/build.ts";
import { OID } from "../x509/oids.ts";
import type { Signer } from "../x509/signer.ts";
import { newSerial } from "./serial.ts";
import type { CaUrls } from "./urls.ts";

/** What signing on behalf of a CA needs to know about it. */
export interface Issuer {
  /** Lowercase hex of the subjectKeyIdentifier: names the CA in URLs and the index. */
  id: string;
  name: Name;
  keyId: Bytes;
  notBefore: Date;
  notAfter: Date;
  signer: Signer;
}

export const ROOT_LIFETIME_YEARS = 25;
export const INTERMEDIATE_LIFETIME_YEARS = 5;

function addYears(d: Date, years: number): Date {
  const out = new Date(d);
  out.setUTCFullYear(out.getUTCFullYear() + years);
  return out;
}

export async function spkiOf(publicKey: CryptoKey): Promise<SubjectPublicKeyInfo> {
  return parseSpki(new Uint8Array((await crypto.subtle.exportKey("spki", publicKey)) as ArrayBuffer));
}

/** A WebCrypto key, or an SPKI built by hand for keys WebCrypto does not hold (ML-DSA). */
export type CaPublicKey = CryptoKey | SubjectPublicKeyInfo;

async function caSpki(key: CaPublicKey): Promise<SubjectPublicKeyInfo> {
  return key instanceof SubjectPublicKeyInfo ? key : spkiOf(key);
}

export async function createRootCertificate(opts: { name: Name; publicKey: CaPublicKey; signer: Signer; now: Date }): Promise<Bytes> {
  const spki = await caSpki(opts.publicKey);
  const ski = await keyIdentifier(spki);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialFromHex(newSerial()),
    issuer: opts.name,
    subject: opts.name,
    validity: new Validity({ notBefore: opts.now, notAfter: addYears(opts.now, ROOT_LIFETIME_YEARS) }),
    subjectPublicKeyInfo: spki,
    extensions: new Extensions([
      extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: true })),
      extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
      extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(ski)),
    ]),
  });
  return signCertificate(tbs, opts.signer);
}

export async function createIntermediateCertificate(opts: {
  name: Name;
  publicKey: CaPublicKey;
  root: Issuer;
  urls: CaUrls;
  now: Date;
}): Promise<Bytes> {
  const spki = await caSpki(opts.publicKey);
  const ski = await keyIdentifier(spki);
  const notAfter = addYears(opts.now, INTERMEDIATE_LIFETIME_YEARS);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialFromHex(newSerial()),
    issuer: opts.root.name,
    subject: opts.name,
    validity: new Validity({ notBefore: opts.now, notAfter: notAfter < opts.root.notAfter ? notAfter : opts.root.notAfter }),
    subjectPublicKeyInfo: spki,
    extensions: new Extensions([
      extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: true, pathLenConstraint: 0 })),
      // digitalSignature: the issuing CA signs OCSP responses itself.
      extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
      extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([OID.serverAuth, OID.clientAuth])),
      extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(ski)),
      extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(opts.root.keyId) })),
      extension(id_ce_certificatePolicies, false, new CertificatePolicies([new PolicyInformation({ policyIdentifier: OID.domainValidated })])),
      extension(id_ce_cRLDistributionPoints, false, new CRLDistributionPoints([
        new DistributionPoint({
          distributionPoint: new DistributionPointName({ fullName: [new GeneralName({ uniformResourceIdentifier: opts.urls.crl(opts.root.id) })] }),
        }),
      ])),
      extension(id_pe_authorityInfoAccess, false, new AuthorityInfoAccessSyntax([
        new AccessDescription({ accessMethod: OID.caIssuers, accessLocation: new GeneralName({ uniformResourceIdentifier: opts.urls.caIssuers(opts.root.id) }) }),
      ])),
    ]),
  });
  return signCertificate(tbs, opts.root.signer);
}

/** Reads the fields an Issuer needs from a CA certificate this CA made. */
export function issuerFromCertificate(certDer: Uint8Array, signer: Signer): Issuer {
  const cert = AsnConvert.parse(certDer, Certificate);
  const tbs = cert.tbsCertificate;
  const skiExt = tbs.extensions?.find((e) => e.extnID === id_ce_subjectKeyIdentifier);
  if (!skiExt) throw new Error("CA certificate without subjectKeyIdentifier");
  const keyId = new Uint8Array(AsnConvert.parse(skiExt.extnValue.buffer, SubjectKeyIdentifier).buffer);
  return { id: toHex(keyId), name: tbs.subject, keyId, notBefore: tbs.validity.notBefore.getTime(), notAfter: tbs.validity.notAfter.getTime(), signer };
}
