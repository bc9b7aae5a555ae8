// The subscriber (leaf) certificate profile: Baseline Requirements §7.1.2.7, domain-validated.

import {
  AccessDescription,
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CertificatePolicies,
  CRLDistributionPoints,
  DistributionPoint,
  DistributionPointName,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  PolicyInformation,
  SubjectAlternativeName,
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
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_pe_authorityInfoAccess,
} from "@peculiar/asn1-x509";
import type { Identifier } from "../names/identifiers.ts";
import { buildName, extension, keyIdentifier, serialFromHex } from "../x509/build.ts";
import { OID } from "../x509/oids.ts";
import type { KeyKind } from "../x509/public-key.ts";
import type { Issuer } from "./hierarchy.ts";
import type { CaUrls } from "./urls.ts";

export interface LeafParams {
  serial: string;
  spki: SubjectPublicKeyInfo;
  keyKind: KeyKind;
  identifiers: Identifier[];
  /** Must be one of the identifiers; omitted means an empty subject and a critical SAN. */
  commonName?: string;
  notBefore: Date;
  notAfter: Date;
  issuer: Issuer;
  urls: CaUrls;
  /** Added after the standard extensions (e.g. CT poison or SCT list). */
  extraExtensions?: Extension[];
}

export async function buildLeafTbs(p: LeafParams): Promise<TBSCertificate> {
  const subject = p.commonName ? buildName([["CN", p.commonName]]) : new Name();
  const san = new SubjectAlternativeName(
    p.identifiers.map((id) => (id.type === "dns" ? new GeneralName({ dNSName: id.value }) : new GeneralName({ iPAddress: id.value }))),
  );
  // RSA keys may also be used for key transport in TLS 1.2 RSA key exchange.
  const usage = KeyUsageFlags.digitalSignature | (p.keyKind === "rsa" ? KeyUsageFlags.keyEncipherment : 0);
  const extensions = [
    extension(id_ce_keyUsage, true, new KeyUsage(usage)),
    extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([OID.serverAuth, OID.clientAuth])),
    extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
    extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(await keyIdentifier(p.spki))),
    extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(p.issuer.keyId) })),
    extension(id_pe_authorityInfoAccess, false, new AuthorityInfoAccessSyntax([
      new AccessDescription({ accessMethod: OID.ocsp, accessLocation: new GeneralName({ uniformResourceIdentifier: p.urls.ocsp }) }),
      new AccessDescription({ accessMethod: OID.caIssuers, accessLocation: new GeneralName({ uniformResourceIdentifier: p.urls.caIssuers(p.issuer.id) }) }),
    ])),
    // RFC 5280 §4.2.1.6: with an empty subject the SAN extension must be critical.
    extension(id_ce_subjectAltName, !p.commonName, san),
    extension(id_ce_certificatePolicies, false, new CertificatePolicies([new PolicyInformation({ policyIdentifier: OID.domainValidated })])),
    extension(id_ce_cRLDistributionPoints, false, new CRLDistributionPoints([
      new DistributionPoint({
        distributionPoint: new DistributionPointName({ fullName: [new GeneralName({ uniformResourceIdentifier: p.urls.crl(p.issuer.id) })] }),
      }),
    ])),
    ...(p.extraExtensions ?? []),
  ];
  return new TBSCertificate({
    version: Version.v3,
    serialNumber: serialFromHex(p.serial),
    issuer: p.issuer.name,
    subject,
    validity: new Validity({ notBefore: p.notBefore, notAfter: p.notAfter }),
    subjectPublicKeyInfo: p.spki,
    extensions: new Extensions(extensions),
  });
}
