// ML-DSA-44 cosignatures (c2sp.org/tlog-cosignature, "ML-DSA-44 signed message"): a note
// signature line of type 0x06 on a checkpoint.
//
//   key ID    = SHA-256(<name> || "\n" || 0x06 || 1312-byte ML-DSA-44 public key)[:4]
//   signature = timestamped_signature { u64 timestamp (big-endian); opaque ml_dsa_44_signature[2420] }
//   signed    = cosigned_message { "subtree/v1\n\0"; opaque cosigner_name<1..255>; u64 timestamp;
//                                  opaque log_origin<1..255>; u64 start = 0; u64 end = tree size; hash[32] }
//
// Pure ML-DSA-44 with the empty context. Extension lines of the checkpoint are not signed.

import { type MlDsaSigningKey, ML_DSA_SIZES, mlDsaVerify } from "../crypto/ml-dsa.ts";
import { type Bytes, concatBytes, toBytes, utf8 } from "../encoding/bytes.ts";
import { parseCheckpoint } from "./checkpoint.ts";
import { type NoteSigner, type NoteVerifier, computeKeyId, encodeVerifierKey } from "./note.ts";

export const SIGNATURE_TYPE_MLDSA44_COSIGNATURE = 0x06;
const LABEL = utf8("subtree/v1\n\0");
const SIG_BYTES = ML_DSA_SIZES["ML-DSA-44"].signature;

function u64(n: number | bigint): Bytes {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

function opaque8(b: Uint8Array): Bytes {
  if (b.length < 1 || b.length > 255) throw new RangeError("opaque<1..2^8-1> out of range");
  return concatBytes(Uint8Array.of(b.length), b);
}

/** The cosigned_message for a whole checkpoint (start = 0, end = tree size). */
export function cosignedMessage(cosignerName: string, timestamp: number, origin: string, size: number, rootHash: Uint8Array): Bytes {
  return concatBytes(LABEL, opaque8(utf8(cosignerName)), u64(timestamp), opaque8(utf8(origin)), u64(0), u64(size), rootHash);
}

export function cosignatureKeyId(name: string, publicKey: Uint8Array): number {
  return computeKeyId(name, SIGNATURE_TYPE_MLDSA44_COSIGNATURE, publicKey);
}

/** The vkey ("<name>+<key id>+<base64(0x06 || public key)>") clients configure to check the cosignature. */
export function cosignatureVerifierKey(name: string, publicKey: Uint8Array): string {
  return encodeVerifierKey(name, SIGNATURE_TYPE_MLDSA44_COSIGNATURE, publicKey);
}

export function mlDsa44Cosigner(name: string, key: MlDsaSigningKey, now: () => number = () => Math.floor(Date.now() / 1000)): NoteSigner {
  if (key.level !== "ML-DSA-44") throw new RangeError("tlog cosignatures use ML-DSA-44");
  return {
    name,
    keyId: cosignatureKeyId(name, key.publicKey),
    async sign(text) {
      const cp = parseCheckpoint(new TextDecoder().decode(text));
      if (!cp) throw new RangeError("an ML-DSA-44 cosignature signs checkpoints only");
      const timestamp = now();
      const signature = await key.sign(cosignedMessage(name, timestamp, cp.origin, cp.size, cp.rootHash));
      return concatBytes(u64(timestamp), signature);
    },
  };
}

export function mlDsa44CosignatureVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  return {
    name,
    keyId: cosignatureKeyId(name, publicKey),
    async verify(text, sig) {
      if (sig.length !== 8 + SIG_BYTES) return false;
      const cp = parseCheckpoint(new TextDecoder().decode(text));
      if (!cp) return false;
      const timestamp = new DataView(toBytes(sig).buffer, 0, 8).getBigUint64(0);
      if (timestamp > 2n ** 63n - 1n) return false;
      const message = concatBytes(LABEL, opaque8(utf8(name)), u64(timestamp), opaque8(utf8(cp.origin)), u64(0), u64(cp.size), cp.rootHash);
      return mlDsaVerify("ML-DSA-44", publicKey, message, sig.subarray(8));
    },
  };
}

/** The cosignature's timestamp, seconds since the epoch. */
export function cosignatureTimestamp(sig: Uint8Array): number {
  return Number(new DataView(toBytes(sig).buffer, 0, 8).getBigUint64(0));
}

