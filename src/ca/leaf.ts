// The subscriber (leaf) certificate profile: Baseline Requirements §7.1.2.7, domain-validated.
// The TBSCertificate is written with the small DER writer: the parts that are the same for every
// leaf of an issuer (issuer name, AKI, AIA, CRL DP, policies, EKU, ...) are encoded once.

import { AsnConvert } from "@peculiar/asn1-schema";
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
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  PolicyInformation,
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
import { type Bytes, fromHex, sha1, toBytes } from "../encoding/bytes.ts";
import type { Identifier } from "../names/identifiers.ts";
import { parseSpki } from "../x509/build.ts";
import { TAG, extensionDer, octetString, oid, sequence, time, tlv, unsignedInteger, utf8String } from "../encoding/der-writer.ts";
import { OID } from "../x509/oids.ts";
import type { KeyKind } from "../x509/public-key.ts";
import { signerAlgorithmDer } from "../x509/build.ts";
import type { Issuer } from "./hierarchy.ts";
import type { CaUrls } from "./urls.ts";

export interface LeafParams {
  serial: string;
  /** The subject's SubjectPublicKeyInfo exactly as the CSR carried it. */
  spkiDer: Uint8Array;
  keyKind: KeyKind;
  identifiers: Identifier[];
  /** Must be one of the identifiers; omitted means an empty subject and a critical SAN. */
  commonName?: string;
  notBefore: Date;
  notAfter: Date;
  issuer: Issuer;
  urls: CaUrls;
  /** DER Extensions appended after the standard ones (e.g. CT poison or SCT list). */
  extraExtensions?: Uint8Array[];
}

interface IssuerParts {
  algorithm: Bytes;
  issuerName: Bytes;
  keyUsageSignature: Bytes;
  keyUsageRsa: Bytes;
  /** EKU and BasicConstraints, which precede the per-certificate SKI. */
  head: Bytes[];
  /** AKI and AIA, between SKI and SAN. */
  middle: Bytes[];
  /** Policies and CRL DP, after the SAN. */
  tail: Bytes[];
}

const partsCache = new WeakMap<Issuer, Map<string, IssuerParts>>();

function ext(id: string, critical: boolean, value: object): Bytes {
  return extensionDer(id, critical, toBytes(AsnConvert.serialize(value)));
}

function issuerParts(issuer: Issuer, urls: CaUrls): IssuerParts {
  let byUrls = partsCache.get(issuer);
  if (!byUrls) partsCache.set(issuer, (byUrls = new Map()));
  const key = `${urls.ocsp} ${urls.crl(issuer.id)}`;
  const cached = byUrls.get(key);
  if (cached) return cached;
  const parts: IssuerParts = {
    algorithm: signerAlgorithmDer(issuer.signer),
    issuerName: toBytes(AsnConvert.serialize(issuer.name)),
    keyUsageSignature: ext(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature)),
    // RSA keys may also be used for key transport in TLS 1.2 RSA key exchange.
    keyUsageRsa: ext(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment)),
    head: [
      ext(id_ce_extKeyUsage, false, new ExtendedKeyUsage([OID.serverAuth, OID.clientAuth])),
      ext(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
    ],
    middle: [
      ext(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuer.keyId) })),
      ext(id_pe_authorityInfoAccess, false, new AuthorityInfoAccessSyntax([
        new AccessDescription({ accessMethod: OID.ocsp, accessLocation: new GeneralName({ uniformResourceIdentifier: urls.ocsp }) }),
        new AccessDescription({ accessMethod: OID.caIssuers, accessLocation: new GeneralName({ uniformResourceIdentifier: urls.caIssuers(issuer.id) }) }),
      ])),
    ],
    tail: [
      ext(id_ce_certificatePolicies, false, new CertificatePolicies([new PolicyInformation({ policyIdentifier: OID.domainValidated })])),
      ext(id_ce_cRLDistributionPoints, false, new CRLDistributionPoints([
        new DistributionPoint({
          distributionPoint: new DistributionPointName({ fullName: [new GeneralName({ uniformResourceIdentifier: urls.crl(issuer.id) })] }),
        }),
      ])),
    ],
  };
  byUrls.set(key, parts);
  return parts;
}

/** GeneralNames with dNSName [2] IA5String and iPAddress [7] OCTET STRING (RFC 5280 §4.2.1.6). */
function subjectAltNames(ids: Identifier[]): Bytes {
  return sequence(...ids.map((id) => (id.type === "dns" ? tlv(0x82, new TextEncoder().encode(id.value)) : tlv(0x87, id.bytes))));
}

export async function buildLeafTbs(p: LeafParams): Promise<Bytes> {
  const parts = issuerParts(p.issuer, p.urls);
  const spki = parseSpki(p.spkiDer);
  // RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits.
  const ski = extensionDer(id_ce_subjectKeyIdentifier, false, octetString(await sha1(new Uint8Array(spki.subjectPublicKey))));
  // RFC 5280 §4.2.1.6: with an empty subject the SAN extension must be critical.
  const san = extensionDer(id_ce_subjectAltName, !p.commonName, subjectAltNames(p.identifiers));
  const subject = p.commonName ? sequence(tlv(TAG.set, sequence(oid(OID.commonName), utf8String(p.commonName)))) : sequence();
  const extensions = [
    p.keyKind === "rsa" ? parts.keyUsageRsa : parts.keyUsageSignature,
    ...parts.head,
    ski,
    ...parts.middle,
    san,
    ...parts.tail,
    ...(p.extraExtensions ?? []),
  ];
  return sequence(
    tlv(0xa0, unsignedInteger(Uint8Array.of(2))), // [0] EXPLICIT version v3
    unsignedInteger(fromHex(p.serial)!),
    parts.algorithm,
    parts.issuerName,
    sequence(time(p.notBefore), time(p.notAfter)),
    subject,
    toBytes(p.spkiDer),
    tlv(0xa3, sequence(...extensions)),
  );
}
