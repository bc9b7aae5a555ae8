// A Signer turns to-be-signed DER into a signature and names its algorithm, so the certificate,
// CRL and OCSP builders do not care which key or algorithm signs.

import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { type Bytes } from "../encoding/bytes.ts";
import { DerError, readChildren, readSingle } from "../encoding/der-reader.ts";
import { OID } from "./oids.ts";

export interface Signer {
  /** The signatureAlgorithm written into what this signer signs. */
  readonly algorithm: AlgorithmIdentifier;
  sign(tbs: Uint8Array<ArrayBuffer>): Promise<Bytes>;
}

export type EcCurve = "P-256" | "P-384";

const CURVE_HASH: Record<EcCurve, { hash: "SHA-256" | "SHA-384"; oid: string; size: number }> = {
  "P-256": { hash: "SHA-256", oid: OID.ecdsaWithSha256, size: 32 },
  "P-384": { hash: "SHA-384", oid: OID.ecdsaWithSha384, size: 48 },
};

/** The contents octets of a DER INTEGER holding this unsigned big-endian value (X.690 §8.3). */
function unsignedInteger(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.subarray(i);
  const out = new Uint8Array(trimmed.length + (trimmed[0]! & 0x80 ? 1 : 0));
  out.set(trimmed, out.length - trimmed.length);
  return out;
}

// ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 5480 §2.2 / RFC 3279 §2.2.3). Written
// and read by hand: the CT log converts one per SCT and per chain check, and a schema
// (de)serializer cost several times the signature itself there.

/** WebCrypto's ECDSA output is r‖s (IEEE P1363); X.509 and OCSP want DER ECDSA-Sig-Value. */
export function ecdsaP1363ToDer(sig: Uint8Array): Bytes {
  const half = sig.length / 2;
  const r = unsignedInteger(sig.subarray(0, half));
  const s = unsignedInteger(sig.subarray(half));
  const body = 2 + r.length + 2 + s.length; // both INTEGERs are < 128 octets for P-256..P-521
  const lengthOctets = body < 0x80 ? [body] : [0x81, body];
  const out = new Uint8Array(1 + lengthOctets.length + body);
  out.set([0x30, ...lengthOctets, 0x02, r.length]);
  let at = 1 + lengthOctets.length + 2;
  out.set(r, at);
  at += r.length;
  out.set([0x02, s.length], at);
  out.set(s, at + 2);
  return out;
}

/** r‖s of `size` octets each from a DER ECDSA-Sig-Value; null unless it is exactly that. */
export function ecdsaDerToP1363(der: Uint8Array, size: number): Bytes | null {
  try {
    const seq = readSingle(der);
    const parts = seq.tag === 0x30 ? readChildren(seq.content) : [];
    if (parts.length !== 2) return null;
    const out = new Uint8Array(2 * size);
    for (const [k, field] of parts.entries()) {
      let b = field.content;
      // A DER INTEGER: minimal, and r, s are positive (X.690 §8.3.2).
      if (field.tag !== 0x02 || b.length === 0 || b[0]! & 0x80 || (b.length > 1 && b[0] === 0 && !(b[1]! & 0x80))) return null;
      if (b[0] === 0) b = b.subarray(1);
      if (b.length > size) return null;
      out.set(b, (k + 1) * size - b.length);
    }
    return out;
  } catch (e) {
    if (e instanceof DerError) return null;
    throw e;
  }
}

export function ecdsaSigner(privateKey: CryptoKey, curve: EcCurve): Signer {
  const { hash, oid } = CURVE_HASH[curve];
  return {
    algorithm: new AlgorithmIdentifier({ algorithm: oid }),
    async sign(tbs) {
      const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash }, privateKey, tbs));
      return ecdsaP1363ToDer(raw);
    },
  };
}

/** Verifies a DER ECDSA signature made by ecdsaSigner (used for self-checks and tests). */
export async function ecdsaVerify(publicKey: CryptoKey, curve: EcCurve, signatureDer: Uint8Array, data: Uint8Array<ArrayBuffer>): Promise<boolean> {
  const { hash, size } = CURVE_HASH[curve];
  const raw = ecdsaDerToP1363(signatureDer, size);
  if (!raw) return false;
  return crypto.subtle.verify({ name: "ECDSA", hash }, publicKey, raw, data);
}

