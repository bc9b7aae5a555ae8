// ML-DSA in X.509 (RFC 9881): AlgorithmIdentifier id-ml-dsa-* with the parameters absent, the
// public key as the raw FIPS 204 encoding in the SubjectPublicKeyInfo BIT STRING, and the private
// key in PKCS#8 as the 32-byte seed ("seed [0] IMPLICIT OCTET STRING", RFC 9881 §6).

import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { type Bytes, toBytes } from "../encoding/bytes.ts";
import { oidFromContents, readChildren, readSingle } from "../encoding/der-reader.ts";
import { bitString, octetString, oid, sequence, tlv, unsignedInteger } from "../encoding/der-writer.ts";
import { ML_DSA_OID, ML_DSA_SEED_BYTES, type MlDsaLevel, type MlDsaSigningKey, mlDsaLevelFromOid } from "../crypto/ml-dsa.ts";
import type { Signer } from "./signer.ts";

export function mlDsaAlgorithmDer(level: MlDsaLevel): Bytes {
  return sequence(oid(ML_DSA_OID[level]));
}

export function mlDsaSpki(level: MlDsaLevel, publicKey: Uint8Array): Bytes {
  return sequence(mlDsaAlgorithmDer(level), bitString(publicKey));
}

/** A certificate/CRL/OCSP Signer over an ML-DSA key: pure ML-DSA with the empty context (RFC 9881 §3). */
export function mlDsaSigner(key: MlDsaSigningKey): Signer {
  return {
    algorithm: new AlgorithmIdentifier({ algorithm: ML_DSA_OID[key.level] }),
    sign: (tbs) => key.sign(tbs),
  };
}

/** OneAsymmetricKey v0 { version 0, id-ml-dsa-*, OCTET STRING { [0] seed } }. */
export function mlDsaPkcs8(level: MlDsaLevel, seed: Uint8Array): Bytes {
  return sequence(unsignedInteger(Uint8Array.of(0)), mlDsaAlgorithmDer(level), octetString(tlv(0x80, seed)));
}

/** The level and seed of a seed-form (or "both"-form) ML-DSA PKCS#8 key; null if it is not one. */
export function mlDsaSeedFromPkcs8(der: Uint8Array): { level: MlDsaLevel; seed: Bytes } | null {
  try {
    const [version, alg, key] = readChildren(readSingle(der).content);
    if (!version || !alg || !key || key.tag !== 0x04) return null;
    const algOid = readChildren(alg.content)[0];
    if (!algOid) return null;
    const level = mlDsaLevelFromOid(oidFromContents(algOid.content));
    if (!level) return null;
    const inner = readSingle(key.content);
    // RFC 9881 §6: seed [0] IMPLICIT OCTET STRING, or both SEQUENCE { seed OCTET STRING, expandedKey }.
    const seed = inner.tag === 0x80 ? inner.content : inner.tag === 0x30 ? readChildren(inner.content)[0]?.content : undefined;
    if (!seed || seed.length !== ML_DSA_SEED_BYTES) return null;
    return { level, seed: toBytes(seed) };
  } catch {
    return null;
  }
}

