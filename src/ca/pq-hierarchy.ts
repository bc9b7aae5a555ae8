// The post-quantum hierarchy beside the classical one: an ML-DSA-87 root that signs an ML-DSA-65
// issuing CA, both with the RFC 9881 identifiers. Same profiles as the classical CAs
// (hierarchy.ts); the private keys are the RFC 9881 seed-form PKCS#8, sealed under the same KEK.

import { fromBase64, toBase64 } from "../encoding/bytes.ts";
import { type MlDsaLevel, mlDsaKeygen, mlDsaSigningKey } from "../crypto/ml-dsa.ts";
import { buildName, parseSpki } from "../x509/build.ts";
import { mlDsaPkcs8, mlDsaSeedFromPkcs8, mlDsaSigner, mlDsaSpki } from "../x509/ml-dsa.ts";
import type { Signer } from "../x509/signer.ts";
import { type LoadedHierarchy, type LoadedIssuer, loadedIssuer } from "./authority.ts";
import { type Issuer, createIntermediateCertificate, createRootCertificate, issuerFromCertificate } from "./hierarchy.ts";
import { type SealedKey, sealKey, unsealKey } from "./key-vault.ts";
import type { CaUrls } from "./urls.ts";

export const HIERARCHIES = ["classical", "pq"] as const;
export type HierarchyName = (typeof HIERARCHIES)[number];

export interface StoredPqIssuer {
  id: string;
  level: MlDsaLevel;
  certificate: string; // base64 DER
  key: SealedKey; // sealed RFC 9881 seed-form PKCS#8
}

export interface StoredPqHierarchy {
  version: 1;
  root: StoredPqIssuer;
  issuing: StoredPqIssuer;
  /** Issuing CAs this root had before, newest first (rotation.ts); absent before the first rotation. */
  retired?: StoredPqIssuer[];
}

export const PQ_ROOT_LEVEL: MlDsaLevel = "ML-DSA-87";
export const PQ_ISSUING_LEVEL: MlDsaLevel = "ML-DSA-65";

const ROOT_NAME = buildName([["C", "US"], ["O", "TrustChain"], ["CN", "TrustChain ML-DSA Root R1"]]);
const issuingName = (generation: number) => buildName([["C", "US"], ["O", "TrustChain"], ["CN", `TrustChain ML-DSA Issuing M${generation}`]]);

async function signerFor(level: MlDsaLevel, seed: Uint8Array): Promise<Signer> {
  return mlDsaSigner(await mlDsaSigningKey(level, seed));
}

export async function bootstrapPqHierarchy(kek: CryptoKey, urls: CaUrls, now: Date): Promise<StoredPqHierarchy> {
  const rootKeys = mlDsaKeygen(PQ_ROOT_LEVEL);
  const rootSigner = await signerFor(PQ_ROOT_LEVEL, rootKeys.seed);
  const rootDer = await createRootCertificate({
    name: ROOT_NAME,
    publicKey: parseSpki(mlDsaSpki(PQ_ROOT_LEVEL, rootKeys.publicKey)),
    signer: rootSigner,
    now,
  });
  const root = issuerFromCertificate(rootDer, rootSigner);
  return {
    version: 1,
    root: {
      id: root.id,
      level: PQ_ROOT_LEVEL,
      certificate: toBase64(rootDer),
      key: await sealKey(kek, `pq-root/${root.id}`, mlDsaPkcs8(PQ_ROOT_LEVEL, rootKeys.seed)),
    },
    issuing: await newPqIssuing(kek, root, urls, now, 1),
  };
}

/** A new ML-DSA-65 issuing CA signed by the ML-DSA root: at bootstrap (generation 1) and at each rotation. */
export async function newPqIssuing(kek: CryptoKey, root: Issuer, urls: CaUrls, now: Date, generation: number): Promise<StoredPqIssuer> {
  const keys = mlDsaKeygen(PQ_ISSUING_LEVEL);
  const der = await createIntermediateCertificate({
    name: issuingName(generation),
    publicKey: parseSpki(mlDsaSpki(PQ_ISSUING_LEVEL, keys.publicKey)),
    root,
    urls,
    now,
  });
  const issuing = issuerFromCertificate(der, await signerFor(PQ_ISSUING_LEVEL, keys.seed));
  return { id: issuing.id, level: PQ_ISSUING_LEVEL, certificate: toBase64(der), key: await sealKey(kek, `pq-issuing/${issuing.id}`, mlDsaPkcs8(PQ_ISSUING_LEVEL, keys.seed)) };
}

async function loadPqIssuer(kek: CryptoKey, slot: string, stored: StoredPqIssuer) {
  const key = mlDsaSeedFromPkcs8(await unsealKey(kek, `${slot}/${stored.id}`, stored.key));
  if (!key || key.level !== stored.level) throw new Error(`sealed ${slot} key is not an ${stored.level} seed`);
  const certDer = fromBase64(stored.certificate);
  if (!certDer) throw new Error(`stored ${slot} certificate is not base64`);
  return loadedIssuer(slot, stored.id, certDer, await signerFor(key.level, key.seed));
}

export async function loadPqHierarchy(kek: CryptoKey, stored: StoredPqHierarchy): Promise<LoadedHierarchy> {
  return {
    root: await loadPqIssuer(kek, "pq-root", stored.root),
    issuing: await loadPqIssuer(kek, "pq-issuing", stored.issuing),
    retired: await Promise.all((stored.retired ?? []).map((r) => loadPqIssuer(kek, "pq-issuing", r))),
  };
}

/**
 * A cross-certificate: the classical issuing CA's subject and public key, certified by the ML-DSA
 * root. It gives every classically issued leaf a second path, leaf → cross-certificate → ML-DSA
 * root, which ACME offers as an alternate chain (RFC 8555 §7.4.2). Same subject and key as the
 * classical issuing CA, so its subjectKeyIdentifier is the one the leaves' AKI names.
 */
export interface StoredCrossCertificate {
  version: 1;
  /** The classical issuing CA it certifies, and the ML-DSA root that signed it. */
  issuingId: string;
  pqRootId: string;
  certificate: string; // base64 DER
}

export async function crossCertify(pqRoot: LoadedIssuer, classicalIssuing: LoadedIssuer, urls: CaUrls, now: Date): Promise<StoredCrossCertificate> {
  const der = await createIntermediateCertificate({ name: classicalIssuing.issuer.name, publicKey: classicalIssuing.spki, root: pqRoot.issuer, urls, now });
  if (issuerFromCertificate(der, pqRoot.issuer.signer).id !== classicalIssuing.issuer.id) throw new Error("the cross-certificate's key identifier differs from the issuing CA's");
  return { version: 1, issuingId: classicalIssuing.issuer.id, pqRootId: pqRoot.issuer.id, certificate: toBase64(der) };
}

/** Where the cross-certificate is published under /ca/ (hex, like the CA certificates' names). */
export const crossCertificateId = (c: Pick<StoredCrossCertificate, "issuingId" | "pqRootId">): string => `${c.pqRootId}${c.issuingId}`;
