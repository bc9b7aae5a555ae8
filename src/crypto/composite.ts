// Composite ML-DSA (IETF LAMPS, draft-ietf-lamps-pq-composite-sigs; implemented against the
// editor's copy whose test vectors are at lamps-wg/draft-composite-sigs commit 5aa6a70, October
// 2025, with the final PKIX arc 1.3.6.1.5.5.7.6.*) for one algorithm: id-MLDSA65-ECDSA-P256-SHA512.
//
//   M'        = Prefix || Label || len(ctx) || ctx || SHA-512(M)
//   mldsaSig  = ML-DSA-65.Sign(mldsaSK, M', ctx = Label)
//   tradSig   = ECDSA-P256-with-SHA256.Sign(tradSK, M')          (DER Ecdsa-Sig-Value)
//   signature = mldsaSig || tradSig;  publicKey = mldsaPK || uncompressed P-256 point;
//   privateKey = ML-DSA-65 seed (32 bytes) || ECPrivateKey (RFC 5915)
//
// Verification succeeds only when both component signatures verify. This is neither
// @peculiar/x509's older "composite" format nor @noble/post-quantum's combineSigners.

import { type Bytes, concatBytes, toBytes, utf8 } from "../encoding/bytes.ts";
import { readChildren, readSingle } from "../encoding/der-reader.ts";
import { octetString, oid, sequence, unsignedInteger } from "../encoding/der-writer.ts";
import { ecdsaDerToP1363, ecdsaP1363ToDer } from "../x509/signer.ts";
import { ML_DSA_SEED_BYTES, ML_DSA_SIZES, mlDsaKeygen, mlDsaSigningKey, mlDsaVerify } from "./ml-dsa.ts";

export const COMPOSITE_MLDSA65_P256_OID = "1.3.6.1.5.5.7.6.45";
const PREFIX = utf8("CompositeAlgorithmSignatures2025");
// The label of this draft revision (earlier revisions used "COMPSIG-MLDSA65-P256-SHA512").
const LABEL = utf8("COMPSIG-MLDSA65-ECDSA-P256-SHA512");
const MLDSA_PK = ML_DSA_SIZES["ML-DSA-65"].publicKey;
const MLDSA_SIG = ML_DSA_SIZES["ML-DSA-65"].signature;
const P256_POINT = 65;
const ECDSA = { name: "ECDSA", namedCurve: "P-256" } as const;

export interface CompositeKeyPair {
  publicKey: Bytes;
  privateKey: Bytes;
}

export interface CompositeSigningKey {
  readonly publicKey: Bytes;
  sign(message: Uint8Array, context?: Uint8Array): Promise<Bytes>;
}

/** The message representative M' of the draft (§ "Composite-ML-DSA.Sign"). */
export async function messageRepresentative(message: Uint8Array, context: Uint8Array = new Uint8Array(0)): Promise<Bytes> {
  if (context.length > 255) throw new RangeError("the context is at most 255 bytes");
  const ph = new Uint8Array(await crypto.subtle.digest("SHA-512", toBytes(message)));
  return concatBytes(PREFIX, LABEL, Uint8Array.of(context.length), context, ph);
}

function ecPkcs8(ecPrivateKey: Uint8Array): Bytes {
  return sequence(unsignedInteger(Uint8Array.of(0)), sequence(oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7")), octetString(ecPrivateKey));
}

export async function compositeKeygen(): Promise<CompositeKeyPair> {
  const ml = mlDsaKeygen("ML-DSA-65");
  const ec = (await crypto.subtle.generateKey(ECDSA, true, ["sign", "verify"])) as CryptoKeyPair;
  const point = new Uint8Array((await crypto.subtle.exportKey("raw", ec.publicKey)) as ArrayBuffer);
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", ec.privateKey)) as ArrayBuffer);
  const ecPrivateKey = readChildren(readSingle(pkcs8).content)[2]!.content;
  return { publicKey: concatBytes(ml.publicKey, point), privateKey: concatBytes(ml.seed, ecPrivateKey) };
}

export async function compositeSigningKey(privateKey: Uint8Array): Promise<CompositeSigningKey> {
  if (privateKey.length <= ML_DSA_SEED_BYTES) throw new RangeError("composite private key too short");
  const ml = await mlDsaSigningKey("ML-DSA-65", privateKey.subarray(0, ML_DSA_SEED_BYTES));
  const ec = await crypto.subtle.importKey("pkcs8", ecPkcs8(privateKey.subarray(ML_DSA_SEED_BYTES)), ECDSA, true, ["sign"]);
  const jwk = (await crypto.subtle.exportKey("jwk", ec)) as JsonWebKey;
  const pub = await crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }, ECDSA, true, ["verify"]);
  const point = new Uint8Array((await crypto.subtle.exportKey("raw", pub)) as ArrayBuffer);
  return {
    publicKey: concatBytes(ml.publicKey, point),
    async sign(message, context) {
      const mPrime = await messageRepresentative(message, context);
      const [mlSig, ecSig] = await Promise.all([
        ml.sign(mPrime, LABEL),
        crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, ec, mPrime),
      ]);
      return concatBytes(mlSig, ecdsaP1363ToDer(new Uint8Array(ecSig)));
    },
  };
}

/** True only when both the ML-DSA-65 and the ECDSA P-256 signatures verify over M'. */
export async function compositeVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, context?: Uint8Array): Promise<boolean> {
  if (publicKey.length !== MLDSA_PK + P256_POINT || signature.length <= MLDSA_SIG) return false;
  if (context && context.length > 255) return false;
  const mPrime = await messageRepresentative(message, context);
  const ecSig = ecdsaDerToP1363(signature.subarray(MLDSA_SIG), 32);
  if (!ecSig) return false;
  let ecKey: CryptoKey;
  try {
    ecKey = await crypto.subtle.importKey("raw", toBytes(publicKey.subarray(MLDSA_PK)), ECDSA, false, ["verify"]);
  } catch {
    return false;
  }
  const [mlOk, ecOk] = await Promise.all([
    mlDsaVerify("ML-DSA-65", publicKey.subarray(0, MLDSA_PK), mPrime, signature.subarray(0, MLDSA_SIG), LABEL),
    crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, ecKey, ecSig, mPrime),
  ]);
  return mlOk && ecOk;
}
