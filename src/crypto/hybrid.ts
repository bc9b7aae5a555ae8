// Hybrid signatures for what this project signs outside X.509 (validator votes, quorum
// certificates, log statements): a classical Ed25519 signature and a post-quantum one (ML-DSA-44
// or FALCON-1024) over the same domain-separated message. verify() is true only when both halves
// verify, so a forger must break both algorithms.
//
// Encoding (all lengths fixed by the scheme byte, except the Falcon signature, which is the rest):
//   public key = scheme || Ed25519 public key (32) || PQ public key (ML-DSA-44: 1312, FALCON-1024: 1793)
//   signature  = scheme || Ed25519 signature (64)  || PQ signature  (ML-DSA-44: 2420, FALCON-1024: ≤ 1462)
//   secret key = scheme || Ed25519 seed (32)       || PQ secret     (ML-DSA-44: 32-byte seed, FALCON-1024: 2305)
//   signed message M' = "trustchain/hybrid-signature/v1" || 0x00 || scheme || message
// Both halves sign M' (ML-DSA-44 with the empty context): binding the scheme and the label stops a
// half from being stripped off and passed as a plain Ed25519 or PQ signature over the message.

import { type Bytes, concatBytes, fromHex, toBytes, utf8 } from "../encoding/bytes.ts";
import { FALCON1024_SIZES, falconKeygen, falconSign, falconVerify } from "./falcon.ts";
import { ML_DSA_SEED_BYTES, ML_DSA_SIZES, mlDsaKeygen, mlDsaSigningKey, mlDsaVerify } from "./ml-dsa.ts";

export type HybridScheme = "ed25519+ml-dsa-44" | "ed25519+falcon-1024";

const SCHEME_BYTE: Record<HybridScheme, number> = { "ed25519+ml-dsa-44": 0x01, "ed25519+falcon-1024": 0x02 };
const PQ = {
  "ed25519+ml-dsa-44": { publicKey: ML_DSA_SIZES["ML-DSA-44"].publicKey, secretKey: ML_DSA_SEED_BYTES, signature: ML_DSA_SIZES["ML-DSA-44"].signature },
  "ed25519+falcon-1024": { publicKey: FALCON1024_SIZES.publicKey, secretKey: FALCON1024_SIZES.secretKey, signature: FALCON1024_SIZES.maxSignature },
} as const;
const LABEL = utf8("trustchain/hybrid-signature/v1\0");
// RFC 8410 PKCS#8 for an Ed25519 seed: SEQUENCE { 0, { id-Ed25519 }, OCTET STRING { OCTET STRING seed } }.
const ED25519_PKCS8_PREFIX = fromHex("302e020100300506032b657004220420")!;

function schemeOf(byte: number | undefined): HybridScheme | null {
  return (Object.keys(SCHEME_BYTE) as HybridScheme[]).find((s) => SCHEME_BYTE[s] === byte) ?? null;
}

/** The scheme a hybrid public key (or signature) names in its first byte, or null. */
export function hybridSchemeOf(publicKey: Uint8Array): HybridScheme | null {
  return schemeOf(publicKey[0]);
}

function signedMessage(scheme: HybridScheme, message: Uint8Array): Bytes {
  return concatBytes(LABEL, Uint8Array.of(SCHEME_BYTE[scheme]), message);
}

export interface HybridKeyPair {
  scheme: HybridScheme;
  publicKey: Bytes;
  secretKey: Bytes;
}

/** A post-quantum half: ML-DSA-44's 32-byte seed or FALCON-1024's 2305-byte secret key, and its public key. */
interface PqHalf {
  pk: Bytes;
  sk: Bytes;
}

function pqKeygen(scheme: HybridScheme): PqHalf {
  if (scheme === "ed25519+ml-dsa-44") {
    const k = mlDsaKeygen("ML-DSA-44");
    return { pk: k.publicKey, sk: k.seed };
  }
  const k = falconKeygen();
  return { pk: k.publicKey, sk: k.secretKey };
}

/** A new key pair. FALCON-1024 key generation takes about half a second: do it once, at setup. */
export async function hybridKeygen(scheme: HybridScheme = "ed25519+ml-dsa-44"): Promise<HybridKeyPair> {
  const edSeed = crypto.getRandomValues(new Uint8Array(32));
  return assemble(scheme, edSeed, await ed25519PublicKey(edSeed), pqKeygen(scheme));
}

function assemble(scheme: HybridScheme, edSeed: Uint8Array, edPublic: Uint8Array, pq: PqHalf): HybridKeyPair {
  const b = Uint8Array.of(SCHEME_BYTE[scheme]);
  return { scheme, publicKey: concatBytes(b, edPublic, pq.pk), secretKey: concatBytes(b, edSeed, pq.sk) };
}

/**
 * A hybrid pair around an Ed25519 key that already has an identity (its RFC 8410 PKCS#8), so a
 * signer's classical public key stays what others pinned while it gains (or changes) its PQ half.
 * Without `pqSecret` a new PQ key is generated (FALCON-1024: about half a second). With it: for
 * ML-DSA-44 the 32-byte seed (the public key is derived), for FALCON-1024 the 2305-byte secret
 * key and `pqPublic`, stored beside it (deriving it would cost a key generation).
 */
export async function hybridFromEd25519(
  ed25519Pkcs8: Uint8Array,
  scheme: HybridScheme = "ed25519+ml-dsa-44",
  pqSecret?: Uint8Array,
  pqPublic?: Uint8Array,
): Promise<HybridKeyPair> {
  if (ed25519Pkcs8.length !== ED25519_PKCS8_PREFIX.length + 32 || !ED25519_PKCS8_PREFIX.every((b, i) => ed25519Pkcs8[i] === b)) {
    throw new RangeError("not an RFC 8410 Ed25519 PKCS#8 private key");
  }
  const edSeed = ed25519Pkcs8.subarray(ED25519_PKCS8_PREFIX.length);
  let pq: PqHalf;
  if (pqSecret === undefined) pq = pqKeygen(scheme);
  else if (scheme === "ed25519+ml-dsa-44") pq = { pk: mlDsaKeygen("ML-DSA-44", pqSecret).publicKey, sk: toBytes(pqSecret) };
  else if (pqSecret.length === FALCON1024_SIZES.secretKey && pqPublic?.length === FALCON1024_SIZES.publicKey) pq = { pk: toBytes(pqPublic), sk: toBytes(pqSecret) };
  else throw new RangeError("a FALCON-1024 half needs its 2305-byte secret key and 1793-byte public key");
  return assemble(scheme, edSeed, await ed25519PublicKey(edSeed), pq);
}

async function ed25519Private(seed: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("pkcs8", concatBytes(ED25519_PKCS8_PREFIX, seed), { name: "Ed25519" }, true, ["sign"]);
}

async function ed25519PublicKey(seed: Uint8Array): Promise<Bytes> {
  const jwk = (await crypto.subtle.exportKey("jwk", await ed25519Private(seed))) as JsonWebKey;
  const x = jwk.x!.replace(/-/g, "+").replace(/_/g, "/");
  return toBytes(Uint8Array.from(atob(x + "=".repeat((4 - (x.length % 4)) % 4)), (c) => c.charCodeAt(0)));
}

export interface HybridSigner {
  readonly scheme: HybridScheme;
  readonly publicKey: Bytes;
  sign(message: Uint8Array): Promise<Bytes>;
}

/** A signer for repeated signing: keys are loaded once and stay in memory (Ed25519 inside WebCrypto). */
export async function hybridSigner(pair: HybridKeyPair): Promise<HybridSigner> {
  if (pair.secretKey[0] !== SCHEME_BYTE[pair.scheme] || pair.secretKey.length !== 1 + 32 + PQ[pair.scheme].secretKey) {
    throw new RangeError("not a secret key of this hybrid scheme");
  }
  const ed = await ed25519Private(pair.secretKey.subarray(1, 33));
  const pqSecret = toBytes(pair.secretKey.subarray(33));
  const pqSign =
    pair.scheme === "ed25519+ml-dsa-44"
      ? await mlDsaSigningKey("ML-DSA-44", pqSecret).then((k) => (m: Uint8Array) => k.sign(m))
      : async (m: Uint8Array) => falconSign(pqSecret, m);
  return signerOf(pair.scheme, pair.publicKey, ed, pqSign);
}

function signerOf(scheme: HybridScheme, publicKey: Bytes, ed: CryptoKey, pqSign: (m: Uint8Array) => Promise<Bytes>): HybridSigner {
  return {
    scheme,
    publicKey,
    async sign(message) {
      const m = signedMessage(scheme, message);
      const [edSig, pqSig] = await Promise.all([crypto.subtle.sign({ name: "Ed25519" }, ed, m), pqSign(m)]);
      return concatBytes(Uint8Array.of(SCHEME_BYTE[scheme]), new Uint8Array(edSig), pqSig);
    },
  };
}

/** Signs once with a key pair; for repeated signing keep a hybridSigner. */
export async function hybridSign(pair: HybridKeyPair, message: Uint8Array): Promise<Bytes> {
  return (await hybridSigner(pair)).sign(message);
}

/** True only when the scheme bytes agree and both the Ed25519 and the post-quantum halves verify. */
export async function hybridVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const scheme = schemeOf(publicKey[0]);
  if (!scheme || signature[0] !== publicKey[0]) return false;
  const sizes = PQ[scheme];
  if (publicKey.length !== 1 + 32 + sizes.publicKey) return false;
  const pqSig = signature.subarray(1 + 64);
  if (pqSig.length === 0 || pqSig.length > sizes.signature || (scheme === "ed25519+ml-dsa-44" && pqSig.length !== sizes.signature)) return false;
  const m = signedMessage(scheme, message);
  const pqPublic = publicKey.subarray(33);
  let ed: CryptoKey;
  try {
    ed = await crypto.subtle.importKey("raw", toBytes(publicKey.subarray(1, 33)), { name: "Ed25519" }, false, ["verify"]);
  } catch {
    return false;
  }
  // The Ed25519 half first, and the post-quantum half only when it holds: the PQ verification is
  // pure JS (about 2.5 ms, a hundred times the native Ed25519 one), and anyone can post up to 86
  // forged votes to /consensus/validate_proofs, which cost half a second of CPU per request while
  // both halves were always checked. A forger without the classical key now costs one Ed25519 check.
  if (!(await crypto.subtle.verify({ name: "Ed25519" }, ed, toBytes(signature.subarray(1, 65)), m))) return false;
  return scheme === "ed25519+ml-dsa-44" ? mlDsaVerify("ML-DSA-44", pqPublic, m, pqSig) : falconVerify(pqPublic, m, pqSig);
}
