// A Signer turns to-be-signed DER into a signature and names its algorithm, so the certificate,
// CRL and OCSP builders do not care which key or algorithm signs.

import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { ECDSASigValue } from "@peculiar/asn1-ecc";
import { type Bytes, toBytes } from "../encoding/bytes.ts";
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

function unsignedInteger(bytes: Uint8Array): ArrayBuffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.subarray(i);
  const out = new Uint8Array(trimmed.length + (trimmed[0]! & 0x80 ? 1 : 0));
  out.set(trimmed, out.length - trimmed.length);
  return out.buffer;
}

/** WebCrypto's ECDSA output is r‖s (IEEE P1363); X.509 and OCSP want DER ECDSA-Sig-Value. */
export function ecdsaP1363ToDer(sig: Uint8Array): Bytes {
  const half = sig.length / 2;
  const value = new ECDSASigValue({ r: unsignedInteger(sig.subarray(0, half)), s: unsignedInteger(sig.subarray(half)) });
  return toBytes(AsnConvert.serialize(value));
}

export function ecdsaDerToP1363(der: Uint8Array, size: number): Bytes | null {
  try {
    const v = AsnConvert.parse(der, ECDSASigValue);
    const out = new Uint8Array(2 * size);
    for (const [k, field] of [[0, v.r], [1, v.s]] as const) {
      let b = new Uint8Array(field);
      while (b.length > size && b[0] === 0) b = b.subarray(1);
      if (b.length > size) return null;
      out.set(b, (k + 1) * size - b.length);
    }
    return out;
  } catch {
    return null;
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

