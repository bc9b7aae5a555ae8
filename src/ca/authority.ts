// The certificate authority's state and signing operations, independent of where they are stored:
// bootstrap a hierarchy, seal and unseal its keys, and sign leaves, CRLs and OCSP responses.

import type { SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate } from "@peculiar/asn1-x509";
import { type Bytes, fromBase64, sha256, toBase64, toBytes, toHex } from "../encoding/bytes.ts";
import { toPem } from "../encoding/pem.ts";
import type { Identifier } from "../names/identifiers.ts";
import { type OcspIssuer, ocspIssuer } from "../revocation/ocsp.ts";
import { buildName, signTbs } from "../x509/build.ts";
import type { KeyKind } from "../x509/public-key.ts";
import { type EcCurve, type Signer, ecdsaSigner } from "../x509/signer.ts";
import { type Issuer, createIntermediateCertificate, createRootCertificate, issuerFromCertificate } from "./hierarchy.ts";
import { type SealedKey, sealKey, unsealKey } from "./key-vault.ts";
import { BACKDATE_SECONDS, type Profile } from "./profiles.ts";
import { type LeafParams, buildLeafTbs } from "./leaf.ts";
import { newSerial } from "./serial.ts";
import type { CaUrls } from "./urls.ts";

export interface StoredIssuer {
  id: string;
  curve: EcCurve;
  certificate: string; // base64 DER
  key: SealedKey;
}

export interface StoredHierarchy {
  version: 1;
  root: StoredIssuer;
  issuing: StoredIssuer;
  /** Issuing CAs this root had before, newest first (rotation.ts); absent before the first rotation. */
  retired?: StoredIssuer[];
}

export interface LoadedIssuer {
  issuer: Issuer;
  certDer: Bytes;
  /** SHA-256 of the SubjectPublicKeyInfo: the RFC 6962 issuer_key_hash of its precertificates. */
  spkiSha256: Bytes;
  certPem: string;
  spki: SubjectPublicKeyInfo;
  ocsp: OcspIssuer;
}

/** An issuing CA and the root above it: what signing and logging a leaf need. */
export interface IssuingChain {
  root: LoadedIssuer;
  issuing: LoadedIssuer;
}

export interface LoadedHierarchy extends IssuingChain {
  /** Retired issuing CAs: they sign no leaf, only their own CRLs and OCSP responses. */
  retired: LoadedIssuer[];
}

const ROOT_NAME = buildName([["C", "US"], ["O", "TrustChain"], ["CN", "TrustChain Root R1"]]);
// Each issuing CA has its own name (E1, E2, … as rotation.ts numbers them), as Let's Encrypt's
// do: relying parties that pick a CRL or an issuer by name never confuse two generations.
const issuingName = (generation: number) => buildName([["C", "US"], ["O", "TrustChain"], ["CN", `TrustChain Issuing E${generation}`]]);

async function generate(curve: EcCurve): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: curve }, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function seal(kek: CryptoKey, slot: string, key: CryptoKey): Promise<SealedKey> {
  return sealKey(kek, slot, new Uint8Array(await crypto.subtle.exportKey("pkcs8", key) as ArrayBuffer));
}

/** Creates a new root and issuing intermediate, with their private keys sealed under the KEK. */
export async function bootstrapHierarchy(kek: CryptoKey, urls: CaUrls, now: Date): Promise<StoredHierarchy> {
  const rootKeys = await generate("P-384");
  const rootSigner = ecdsaSigner(rootKeys.privateKey, "P-384");
  const rootDer = await createRootCertificate({ name: ROOT_NAME, publicKey: rootKeys.publicKey, signer: rootSigner, now });
  const root = issuerFromCertificate(rootDer, rootSigner);
  return {
    version: 1,
    root: { id: root.id, curve: "P-384", certificate: toBase64(rootDer), key: await seal(kek, `root/${root.id}`, rootKeys.privateKey) },
    issuing: await newIssuing(kek, root, urls, now, 1),
  };
}

/** A new ECDSA P-256 issuing CA signed by `root`: at bootstrap (generation 1) and at each rotation. */
export async function newIssuing(kek: CryptoKey, root: Issuer, urls: CaUrls, now: Date, generation: number): Promise<StoredIssuer> {
  const keys = await generate("P-256");
  const der = await createIntermediateCertificate({ name: issuingName(generation), publicKey: keys.publicKey, root, urls, now });
  const issuing = issuerFromCertificate(der, ecdsaSigner(keys.privateKey, "P-256"));
  return { id: issuing.id, curve: "P-256", certificate: toBase64(der), key: await seal(kek, `issuing/${issuing.id}`, keys.privateKey) };
}

async function loadIssuer(kek: CryptoKey, slot: string, stored: StoredIssuer): Promise<LoadedIssuer> {
  const pkcs8 = await unsealKey(kek, `${slot}/${stored.id}`, stored.key);
  // Imported non-extractable: once unsealed, the key can sign but never leave WebCrypto again.
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: stored.curve }, false, ["sign"]);
  const certDer = fromBase64(stored.certificate);
  if (!certDer) throw new Error(`stored ${slot} certificate is not base64`);
  return loadedIssuer(slot, stored.id, certDer, ecdsaSigner(privateKey, stored.curve));
}

/** An issuer ready to sign, from its certificate and signer (any algorithm). */
export async function loadedIssuer(slot: string, id: string, certDer: Bytes, signer: Signer): Promise<LoadedIssuer> {
  const issuer = issuerFromCertificate(certDer, signer);
  if (issuer.id !== id) throw new Error(`stored ${slot} certificate does not match its id`);
  const spki = AsnConvert.parse(certDer, Certificate).tbsCertificate.subjectPublicKeyInfo;
  const spkiSha256 = await sha256(toBytes(AsnConvert.serialize(spki)));
  return { issuer, certDer, spkiSha256, certPem: toPem("CERTIFICATE", certDer), spki, ocsp: await ocspIssuer(issuer, spki) };
}

export async function loadHierarchy(kek: CryptoKey, stored: StoredHierarchy): Promise<LoadedHierarchy> {
  return {
    root: await loadIssuer(kek, "root", stored.root),
    issuing: await loadIssuer(kek, "issuing", stored.issuing),
    retired: await Promise.all((stored.retired ?? []).map((r) => loadIssuer(kek, "issuing", r))),
  };
}

export interface LeafRequest {
  spkiDer: Uint8Array;
  keyKind: KeyKind;
  identifiers: Identifier[];
  commonName?: string;
}

export interface SignedLeaf {
  der: Bytes;
  fingerprint: string;
}

/** Everything that fixes a leaf's content except the CT extensions: serial, validity, names. */
export function planLeaf(issuing: LoadedIssuer, urls: CaUrls, profile: Profile, req: LeafRequest, now: Date): LeafParams {
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - BACKDATE_SECONDS * 1000);
  const wanted = new Date(notBefore.getTime() + profile.validitySeconds * 1000);
  return {
    serial: newSerial(),
    spkiDer: req.spkiDer,
    keyKind: req.keyKind,
    identifiers: req.identifiers,
    commonName: req.commonName,
    notBefore,
    // Never past the issuer's own validity.
    notAfter: wanted < issuing.issuer.notAfter ? wanted : issuing.issuer.notAfter,
    issuer: issuing.issuer,
    urls,
  };
}

/** Signs the planned leaf with the given extra extensions (the poison, or the SCT list). */
export async function signLeaf(plan: LeafParams, extraExtensions: Uint8Array[]): Promise<SignedLeaf> {
  const der = await signTbs(await buildLeafTbs({ ...plan, extraExtensions }), plan.issuer.signer);
  return { der, fingerprint: toHex(await sha256(der)) };
}
