// ML-DSA (FIPS 204) signing and verification. The runtime's own WebCrypto ML-DSA is used when it
// has one (the WICG "modern algorithms" names: "ML-DSA-44/65/87" with "raw-seed" and
// "raw-public" key formats, as in Node 24); workerd does not offer it yet (probed with
// crypto.subtle.generateKey({name: "ML-DSA-65"}) in 2026-11: NotSupportedError), so inside
// Workers every operation runs on @noble/post-quantum.
//
// Private keys are kept as the 32-byte seed ξ (FIPS 204 §6.1; RFC 9881 §6 "seed" form): the
// expanded key is derived once when a key is loaded, never stored.

import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { type Bytes, toBytes } from "../encoding/bytes.ts";

export type MlDsaLevel = "ML-DSA-44" | "ML-DSA-65" | "ML-DSA-87";

export const ML_DSA_LEVELS: readonly MlDsaLevel[] = ["ML-DSA-44", "ML-DSA-65", "ML-DSA-87"];

/** RFC 9881 §2: id-ml-dsa-44/65/87 (NIST CSOR sigAlgs 17, 18, 19). */
export const ML_DSA_OID: Record<MlDsaLevel, string> = {
  "ML-DSA-44": "2.16.840.1.101.3.4.3.17",
  "ML-DSA-65": "2.16.840.1.101.3.4.3.18",
  "ML-DSA-87": "2.16.840.1.101.3.4.3.19",
};

const IMPL = { "ML-DSA-44": ml_dsa44, "ML-DSA-65": ml_dsa65, "ML-DSA-87": ml_dsa87 } as const;

/** FIPS 204 Table 2 sizes, in bytes. */
export const ML_DSA_SIZES: Record<MlDsaLevel, { publicKey: number; signature: number }> = {
  "ML-DSA-44": { publicKey: 1312, signature: 2420 },
  "ML-DSA-65": { publicKey: 1952, signature: 3309 },
  "ML-DSA-87": { publicKey: 2592, signature: 4627 },
};

export const ML_DSA_SEED_BYTES = 32;

export function mlDsaLevelFromOid(oid: string): MlDsaLevel | null {
  return ML_DSA_LEVELS.find((l) => ML_DSA_OID[l] === oid) ?? null;
}

let nativeProbe: Promise<boolean> | null = null;

/** True when this runtime's WebCrypto implements ML-DSA (checked once per isolate). */
export function nativeMlDsa(): Promise<boolean> {
  nativeProbe ??= crypto.subtle
    .importKey("raw-seed" as "raw", new Uint8Array(ML_DSA_SEED_BYTES), { name: "ML-DSA-44" }, false, ["sign"])
    .then(() => true, () => false);
  return nativeProbe;
}

export interface MlDsaKeyPair {
  level: MlDsaLevel;
  /** The 32-byte seed ξ: the private key. */
  seed: Bytes;
  publicKey: Bytes;
}

export function mlDsaKeygen(level: MlDsaLevel, seed: Uint8Array = crypto.getRandomValues(new Uint8Array(ML_DSA_SEED_BYTES))): MlDsaKeyPair {
  if (seed.length !== ML_DSA_SEED_BYTES) throw new RangeError(`an ML-DSA seed is ${ML_DSA_SEED_BYTES} bytes`);
  const { publicKey } = IMPL[level].keygen(seed);
  return { level, seed: toBytes(seed), publicKey: toBytes(publicKey) };
}

export interface MlDsaSigningKey {
  readonly level: MlDsaLevel;
  readonly publicKey: Bytes;
  /** Pure ML-DSA (FIPS 204 Algorithm 2, hedged), with an optional context string of at most 255 bytes. */
  sign(message: Uint8Array, context?: Uint8Array): Promise<Bytes>;
}

/** A signing key from its seed; the expanded key (or the native CryptoKey) lives only in memory. */
export async function mlDsaSigningKey(level: MlDsaLevel, seed: Uint8Array): Promise<MlDsaSigningKey> {
  const pair = mlDsaKeygen(level, seed);
  if (await nativeMlDsa()) {
    const key = await crypto.subtle.importKey("raw-seed" as "raw", toBytes(seed), { name: level }, false, ["sign"]);
    return {
      level,
      publicKey: pair.publicKey,
      async sign(message, context) {
        const params = { name: level, ...(context ? { context: toBytes(context) } : {}) };
        return new Uint8Array(await crypto.subtle.sign(params, key, toBytes(message)));
      },
    };
  }
  const { secretKey } = IMPL[level].keygen(seed);
  return {
    level,
    publicKey: pair.publicKey,
    async sign(message, context) {
      return toBytes(IMPL[level].sign(message, secretKey, context ? { context } : {}));
    },
  };
}

/** Verifies a pure ML-DSA signature; malformed keys or signatures are simply invalid. */
export async function mlDsaVerify(level: MlDsaLevel, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, context?: Uint8Array): Promise<boolean> {
  const sizes = ML_DSA_SIZES[level];
  if (publicKey.length !== sizes.publicKey || signature.length !== sizes.signature) return false;
  try {
    if (await nativeMlDsa()) {
      const key = await crypto.subtle.importKey("raw-public" as "raw", toBytes(publicKey), { name: level }, false, ["verify"]);
      const params = { name: level, ...(context ? { context: toBytes(context) } : {}) };
      return await crypto.subtle.verify(params, key, toBytes(signature), toBytes(message));
    }
    return IMPL[level].verify(signature, message, publicKey, context ? { context } : {});
  } catch {
    return false;
  }
}
