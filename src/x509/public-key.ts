// Subject public key policy: which keys this CA certifies (Baseline Requirements §6.1.5, §6.1.6).

import { AsnConvert } from "@peculiar/asn1-schema";
import { RSAPublicKey } from "@peculiar/asn1-rsa";
import type { SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import { toHex } from "../encoding/bytes.ts";
import { OID } from "./oids.ts";
import { rsaModulusWeakness } from "./weak-rsa.ts";
import { oidFromContents } from "../encoding/der-reader.ts";
import { ML_DSA_SIZES, mlDsaLevelFromOid } from "../crypto/ml-dsa.ts";

export type KeyKind = "rsa" | "ecdsa" | "ed25519" | "ml-dsa";

export interface KeyInfo {
  kind: KeyKind;
  /** e.g. rsa-2048, ecdsa-p256, ecdsa-p384, ed25519: what the index records. */
  label: string;
}

export type KeyCheck = { ok: true; key: KeyInfo } | { ok: false; reason: string };

export const MIN_RSA_BITS = 2048;
export const MAX_RSA_BITS = 8192;

function bigintFromBytes(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${toHex(b)}`);
}

function checkRsa(spki: SubjectPublicKeyInfo): KeyCheck {
  const params = spki.algorithm.parameters;
  // RFC 3279 §2.3.1: the parameters must be NULL (05 00); absent is tolerated by many encoders.
  if (params && !(params.byteLength === 2 && new Uint8Array(params)[0] === 0x05)) {
    return { ok: false, reason: "RSA key parameters must be NULL" };
  }
  let key: RSAPublicKey;
  try {
    key = AsnConvert.parse(spki.subjectPublicKey, RSAPublicKey);
  } catch {
    return { ok: false, reason: "RSA public key is not a valid RSAPublicKey" };
  }
  const n = bigintFromBytes(new Uint8Array(key.modulus));
  const e = bigintFromBytes(new Uint8Array(key.publicExponent));
  const bits = n.toString(2).length;
  if (bits < MIN_RSA_BITS) return { ok: false, reason: `RSA key is ${bits} bits; at least ${MIN_RSA_BITS} are required` };
  if (bits > MAX_RSA_BITS) return { ok: false, reason: `RSA key is ${bits} bits; at most ${MAX_RSA_BITS} are accepted` };
  if (bits % 8 !== 0) return { ok: false, reason: `RSA modulus size (${bits} bits) must be a multiple of 8` };
  // A long exponent is described by its size: its decimal digits (144,000 of them for 60 KB)
  // took 30 ms to print and filled the problem document.
  if (e !== 65537n) return { ok: false, reason: `RSA public exponent must be 65537, got ${e < 2n ** 64n ? e : `a ${e.toString(2).length}-bit number`}` };
  const weakness = rsaModulusWeakness(n);
  if (weakness) return { ok: false, reason: `weak RSA key: ${weakness}` };
  return { ok: true, key: { kind: "rsa", label: `rsa-${bits}` } };
}

/** The namedCurve OID of an id-ecPublicKey SPKI (RFC 5480 §2.1.1), or null. */
export function namedCurveOf(spki: SubjectPublicKeyInfo): string | null {
  return oidFromParameters(spki.algorithm.parameters);
}

function oidFromParameters(params: ArrayBuffer | null | undefined): string | null {
  if (!params) return null;
  const b = new Uint8Array(params);
  if (b[0] !== 0x06 || b[1] !== b.length - 2) return null;
  return oidFromContents(b.subarray(2));
}

/**
 * Checks a subject public key: RSA 2048–8192 bits with e = 65537 and none of the known
 * weaknesses, ECDSA on P-256 or P-384 with a point on the curve, Ed25519, or ML-DSA-44/65/87.
 */
export async function checkSubjectPublicKey(spkiDer: Uint8Array<ArrayBuffer>, spki: SubjectPublicKeyInfo): Promise<KeyCheck> {
  switch (spki.algorithm.algorithm) {
    case OID.rsaEncryption:
      return checkRsa(spki);
    case OID.ecPublicKey: {
      const curveOid = namedCurveOf(spki);
      const curve = curveOid === OID.p256 ? "P-256" : curveOid === OID.p384 ? "P-384" : null;
      if (!curve) return { ok: false, reason: `unsupported elliptic curve ${curveOid ?? "(not a named curve)"}; use P-256 or P-384` };
      try {
        // WebCrypto rejects points that are not on the curve.
        await crypto.subtle.importKey("spki", spkiDer, { name: "ECDSA", namedCurve: curve }, true, ["verify"]);
      } catch {
        return { ok: false, reason: "ECDSA public key is not a valid point on the curve" };
      }
      return { ok: true, key: { kind: "ecdsa", label: curve === "P-256" ? "ecdsa-p256" : "ecdsa-p384" } };
    }
    case OID.ed25519: {
      if (spki.algorithm.parameters) return { ok: false, reason: "Ed25519 key parameters must be absent" };
      if (spki.subjectPublicKey.byteLength !== 32) return { ok: false, reason: "Ed25519 public key must be 32 bytes" };
      try {
        await crypto.subtle.importKey("spki", spkiDer, { name: "Ed25519" }, true, ["verify"]);
      } catch {
        return { ok: false, reason: "Ed25519 public key is not valid" };
      }
      return { ok: true, key: { kind: "ed25519", label: "ed25519" } };
    }
    default: {
      // RFC 9881 §4: ML-DSA keys, parameters absent, the raw public key of the level's size.
      const level = mlDsaLevelFromOid(spki.algorithm.algorithm);
      if (level) {
        if (spki.algorithm.parameters) return { ok: false, reason: `${level} key parameters must be absent` };
        const size = ML_DSA_SIZES[level].publicKey;
        if (spki.subjectPublicKey.byteLength !== size) return { ok: false, reason: `${level} public key must be ${size} bytes` };
        return { ok: true, key: { kind: "ml-dsa", label: level.toLowerCase() } };
      }
      return { ok: false, reason: `unsupported public key algorithm ${spki.algorithm.algorithm}` };
    }
  }
}
