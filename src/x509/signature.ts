// Verifying an X.509-style signature (AlgorithmIdentifier + BIT STRING) with WebCrypto: CSRs'
// self-signatures today, other signed objects later. Returns "unsupported" for algorithms we do
// not accept (e.g. anything over SHA-1), so callers can tell that apart from a bad signature.

import { RsaSaPssParams } from "@peculiar/asn1-rsa";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, type SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import { OID } from "./oids.ts";
import { namedCurveOf } from "./public-key.ts";
import { ecdsaDerToP1363 } from "./signer.ts";
import { mlDsaLevelFromOid, mlDsaVerify } from "../crypto/ml-dsa.ts";
import { COMPOSITE_MLDSA65_P256_OID, compositeVerify } from "../crypto/composite.ts";

type Hash = "SHA-256" | "SHA-384" | "SHA-512";

const HASH_BY_OID: Record<string, Hash> = {
  [OID.sha256]: "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
};

const RSA_PKCS1: Record<string, Hash> = {
  "1.2.840.113549.1.1.11": "SHA-256",
  "1.2.840.113549.1.1.12": "SHA-384",
  "1.2.840.113549.1.1.13": "SHA-512",
};
const RSA_PSS = "1.2.840.113549.1.1.10";
const MGF1 = "1.2.840.113549.1.1.8";

const ECDSA: Record<string, Hash> = {
  [OID.ecdsaWithSha256]: "SHA-256",
  [OID.ecdsaWithSha384]: "SHA-384",
  "1.2.840.10045.4.3.4": "SHA-512",
};

export type SignatureCheck = boolean | "unsupported";

// Imported public keys by SPKI and algorithm: chains repeat the same few issuers (a CT log
// verifies every submission against the same roots), and importKey cost about as much as the
// ECDSA verification itself (bench:ct profile). Public keys only; bounded.
const KEY_CACHE_LIMIT = 64;
const importedKeys = new Map<string, CryptoKey>();

// The key itself is cached, not the import's promise: workerd does not let one request wait on
// something another request started.
async function publicKey(spkiDer: Uint8Array<ArrayBuffer>, alg: Parameters<SubtleCrypto["importKey"]>[2]): Promise<CryptoKey> {
  let id = JSON.stringify(alg);
  for (const b of spkiDer) id += String.fromCharCode(b);
  let key = importedKeys.get(id);
  // Least recently used first out, so one-off keys (CSRs) do not push out the issuers.
  if (key) importedKeys.delete(id);
  else {
    key = await crypto.subtle.importKey("spki", spkiDer, alg, false, ["verify"]);
    if (importedKeys.size >= KEY_CACHE_LIMIT) importedKeys.delete(importedKeys.keys().next().value!);
  }
  importedKeys.set(id, key);
  return key;
}

export async function verifySignature(
  alg: AlgorithmIdentifier,
  spkiDer: Uint8Array<ArrayBuffer>,
  spki: SubjectPublicKeyInfo,
  signature: Uint8Array<ArrayBuffer>,
  data: Uint8Array<ArrayBuffer>,
): Promise<SignatureCheck> {
  const keyAlg = spki.algorithm.algorithm;
  try {
    if (alg.algorithm in RSA_PKCS1 && keyAlg === OID.rsaEncryption) {
      const hash = RSA_PKCS1[alg.algorithm]!;
      const key = await publicKey(spkiDer, { name: "RSASSA-PKCS1-v1_5", hash });
      return await crypto.subtle.verify({ name: "RSASSA-PKCS1-v1_5" }, key, signature, data);
    }
    if (alg.algorithm === RSA_PSS && keyAlg === OID.rsaEncryption) {
      if (!alg.parameters) return "unsupported";
      const p = AsnConvert.parse(alg.parameters, RsaSaPssParams);
      const hash = HASH_BY_OID[p.hashAlgorithm.algorithm];
      // RFC 4055 §3.1: only MGF1 with the same hash is supported by WebCrypto (and sane).
      const mgfHash = p.maskGenAlgorithm.algorithm === MGF1 && p.maskGenAlgorithm.parameters
        ? HASH_BY_OID[AsnConvert.parse(p.maskGenAlgorithm.parameters, AlgorithmIdentifier).algorithm]
        : undefined;
      if (!hash || mgfHash !== hash) return "unsupported";
      const key = await publicKey(spkiDer, { name: "RSA-PSS", hash });
      return await crypto.subtle.verify({ name: "RSA-PSS", saltLength: p.saltLength }, key, signature, data);
    }
    if (alg.algorithm in ECDSA && keyAlg === OID.ecPublicKey) {
      const hash = ECDSA[alg.algorithm]!;
      const curveOid = namedCurveOf(spki);
      const curve = curveOid === OID.p256 ? { name: "P-256", size: 32 } : curveOid === OID.p384 ? { name: "P-384", size: 48 } : null;
      if (!curve) return "unsupported";
      const key = await publicKey(spkiDer, { name: "ECDSA", namedCurve: curve.name });
      const raw = ecdsaDerToP1363(signature, curve.size);
      return raw ? await crypto.subtle.verify({ name: "ECDSA", hash }, key, raw, data) : false;
    }
    if (alg.algorithm === OID.ed25519 && keyAlg === OID.ed25519) {
      if (alg.parameters) return false;
      const key = await publicKey(spkiDer, { name: "Ed25519" });
      return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, data);
    }
    // RFC 9881 §3: pure ML-DSA, empty context, parameters absent; the key must be of the same level.
    const level = mlDsaLevelFromOid(alg.algorithm);
    if (level && keyAlg === alg.algorithm) {
      if (alg.parameters) return false;
      return await mlDsaVerify(level, new Uint8Array(spki.subjectPublicKey), data, signature);
    }
    if (alg.algorithm === COMPOSITE_MLDSA65_P256_OID && keyAlg === alg.algorithm) {
      if (alg.parameters) return false;
      return await compositeVerify(new Uint8Array(spki.subjectPublicKey), data, signature);
    }
  } catch {
    return false;
  }
  return "unsupported";
}
