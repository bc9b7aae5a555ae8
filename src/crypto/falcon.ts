// FALCON-1024 (round-3 Falcon as @noble/post-quantum implements it; not yet FIPS 206 FN-DSA):
// detached signatures in the compressed format (header 0x3A, 40-byte nonce, compressed s2), the
// same encoding liboqs calls "Falcon-1024". Key generation takes about half a second in JS, so
// keys are generated once (validator or log setup) and stored; never per request.

// Its own copy of noble's code (scripts/bundle-noble.ts says why: ML-DSA ran at half speed beside it).
import { falcon1024 } from "../../build/noble-falcon.js";
import { type Bytes, toBytes } from "../encoding/bytes.ts";

export const FALCON1024_SIZES = { publicKey: 1793, secretKey: 2305, maxSignature: 1462 } as const;

export interface FalconKeyPair {
  publicKey: Bytes;
  secretKey: Bytes;
}

export function falconKeygen(seed?: Uint8Array): FalconKeyPair {
  const { publicKey, secretKey } = seed ? falcon1024.keygen(seed) : falcon1024.keygen();
  return { publicKey: toBytes(publicKey), secretKey: toBytes(secretKey) };
}

export function falconSign(secretKey: Uint8Array, message: Uint8Array): Bytes {
  return toBytes(falcon1024.sign(message, secretKey));
}

export function falconVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== FALCON1024_SIZES.publicKey || signature.length === 0 || signature.length > FALCON1024_SIZES.maxSignature) return false;
  try {
    return falcon1024.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}
