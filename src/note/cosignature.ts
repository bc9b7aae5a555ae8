// Post-quantum checkpoint cosignatures: note signature lines over the c2sp.org/tlog-cosignature
// cosigned_message, in two algorithms.
//
//   ML-DSA-44 (c2sp.org/tlog-cosignature, "ML-DSA-44 signed message"), signature type 0x06:
//     key ID    = SHA-256(<name> || "\n" || 0x06 || 1312-byte ML-DSA-44 public key)[:4]
//     signature = timestamped_signature { u64 timestamp (big-endian); opaque ml_dsa_44_signature[2420] }
//   FALCON-1024 (round-3 Falcon, compressed, as liboqs "Falcon-1024"): no C2SP signature type
//   exists, so it takes 0xff, which c2sp.org/signed-note reserves for "signature types without an
//   identifier byte assigned by this specification", followed (as that spec recommends) by a
//   longer identifier, FALCON_COSIGNATURE_ID:
//     key ID    = SHA-256(<name> || "\n" || 0xff || FALCON_COSIGNATURE_ID || 1793-byte public key)[:4]
//     vkey      = <name>+<key ID>+base64(0xff || FALCON_COSIGNATURE_ID || public key)
//     signature = u64 timestamp (big-endian) || FALCON-1024 signature (variable length, ≤ 1462: the rest)
//   Both sign the same cosigned_message:
//     { "subtree/v1\n\0"; opaque cosigner_name<1..255>; u64 timestamp; opaque log_origin<1..255>;
//       u64 start = 0; u64 end = tree size; hash[32] }
//
// Pure ML-DSA-44 with the empty context. Extension lines of the checkpoint are not signed.

import { FALCON1024_SIZES, falconSign, falconVerify } from "../crypto/falcon.ts";
import { type MlDsaSigningKey, ML_DSA_SIZES, mlDsaVerify } from "../crypto/ml-dsa.ts";
import { type Bytes, bytesEqual, concatBytes, toBytes, utf8 } from "../encoding/bytes.ts";
import { parseCheckpoint } from "./checkpoint.ts";
import { type NoteSigner, type NoteVerifier, computeKeyId, encodeVerifierKey, parseVerifierKey } from "./note.ts";

export const SIGNATURE_TYPE_MLDSA44_COSIGNATURE = 0x06;
/** signed-note: 0xff = a signature type without an assigned byte, followed by a longer identifier. */
export const SIGNATURE_TYPE_UNASSIGNED = 0xff;
/** The identifier after 0xff for FALCON-1024 cosignatures (newline-terminated, so it delimits itself). */
export const FALCON_COSIGNATURE_ID = "trustchain/falcon-1024-cosignature/v1\n";

export type CosignatureAlgorithm = "ml-dsa-44" | "falcon-1024";

const LABEL = utf8("subtree/v1\n\0");
const ML_DSA_SIG_BYTES = ML_DSA_SIZES["ML-DSA-44"].signature;
const FALCON_ID = utf8(FALCON_COSIGNATURE_ID);

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
export function cosignedMessage(cosignerName: string, timestamp: number | bigint, origin: string, size: number, rootHash: Uint8Array): Bytes {
  return concatBytes(LABEL, opaque8(utf8(cosignerName)), u64(timestamp), opaque8(utf8(origin)), u64(0), u64(size), rootHash);
}

/** The signature type byte and the key material hashed into key IDs and vkeys after it. */
function typed(alg: CosignatureAlgorithm, publicKey: Uint8Array): { type: number; material: Bytes } {
  return alg === "ml-dsa-44" ? { type: SIGNATURE_TYPE_MLDSA44_COSIGNATURE, material: toBytes(publicKey) } : { type: SIGNATURE_TYPE_UNASSIGNED, material: concatBytes(FALCON_ID, publicKey) };
}

export function cosignatureKeyId(name: string, publicKey: Uint8Array, alg: CosignatureAlgorithm = "ml-dsa-44"): number {
  const t = typed(alg, publicKey);
  return computeKeyId(name, t.type, t.material);
}

/** The vkey clients configure to check the cosignature (type 0x06, or 0xff with FALCON_COSIGNATURE_ID). */
export function cosignatureVerifierKey(name: string, publicKey: Uint8Array, alg: CosignatureAlgorithm = "ml-dsa-44"): string {
  const t = typed(alg, publicKey);
  return encodeVerifierKey(name, t.type, t.material);
}

/** Parses a cosignature vkey of either algorithm; null for anything else (wrong type, identifier or key size). */
export function parseCosignatureVerifierKey(vkey: string): { name: string; alg: CosignatureAlgorithm; publicKey: Bytes } | null {
  const k = parseVerifierKey(vkey);
  if (k?.type === SIGNATURE_TYPE_MLDSA44_COSIGNATURE && k.publicKey.length === ML_DSA_SIZES["ML-DSA-44"].publicKey) return { name: k.name, alg: "ml-dsa-44", publicKey: k.publicKey };
  if (k?.type === SIGNATURE_TYPE_UNASSIGNED && k.publicKey.length === FALCON_ID.length + FALCON1024_SIZES.publicKey && bytesEqual(k.publicKey.subarray(0, FALCON_ID.length), FALCON_ID)) {
    return { name: k.name, alg: "falcon-1024", publicKey: k.publicKey.slice(FALCON_ID.length) };
  }
  return null;
}

function cosigner(alg: CosignatureAlgorithm, name: string, publicKey: Uint8Array, sign: (m: Bytes) => Promise<Bytes>, now: () => number): NoteSigner {
  return {
    name,
    keyId: cosignatureKeyId(name, publicKey, alg),
    async sign(text) {
      const cp = parseCheckpoint(new TextDecoder().decode(text));
      if (!cp) throw new RangeError("a cosignature signs checkpoints only");
      const timestamp = now();
      return concatBytes(u64(timestamp), await sign(cosignedMessage(name, timestamp, cp.origin, cp.size, cp.rootHash)));
    },
  };
}

function cosignatureVerifier(alg: CosignatureAlgorithm, name: string, publicKey: Uint8Array, verify: (m: Bytes, sig: Uint8Array) => Promise<boolean>): NoteVerifier {
  return {
    name,
    keyId: cosignatureKeyId(name, publicKey, alg),
    async verify(text, sig) {
      if (sig.length <= 8) return false;
      const cp = parseCheckpoint(new TextDecoder().decode(text));
      // cosigned_message carries the origin as opaque<1..255>: a longer one cannot have been
      // cosigned, and a hostile checkpoint must get "invalid signature", not a throw out of openNote.
      if (!cp || utf8(cp.origin).length > 255) return false;
      const timestamp = new DataView(toBytes(sig).buffer, 0, 8).getBigUint64(0);
      if (timestamp > 2n ** 63n - 1n) return false;
      return verify(cosignedMessage(name, timestamp, cp.origin, cp.size, cp.rootHash), sig.subarray(8));
    },
  };
}

const seconds = () => Math.floor(Date.now() / 1000);

export function mlDsa44Cosigner(name: string, key: MlDsaSigningKey, now: () => number = seconds): NoteSigner {
  if (key.level !== "ML-DSA-44") throw new RangeError("tlog cosignatures use ML-DSA-44");
  return cosigner("ml-dsa-44", name, key.publicKey, (m) => key.sign(m), now);
}

export function mlDsa44CosignatureVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  return cosignatureVerifier("ml-dsa-44", name, publicKey, async (m, sig) => sig.length === ML_DSA_SIG_BYTES && mlDsaVerify("ML-DSA-44", publicKey, m, sig));
}

/** FALCON-1024 signing is synchronous CPU (about 7 ms in pure JS): keep it off latency-critical paths. */
export function falcon1024Cosigner(name: string, secretKey: Uint8Array, publicKey: Uint8Array, now: () => number = seconds): NoteSigner {
  if (secretKey.length !== FALCON1024_SIZES.secretKey || publicKey.length !== FALCON1024_SIZES.publicKey) throw new RangeError("not a FALCON-1024 key pair");
  return cosigner("falcon-1024", name, publicKey, async (m) => falconSign(secretKey, m), now);
}

export function falcon1024CosignatureVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  return cosignatureVerifier("falcon-1024", name, publicKey, async (m, sig) => falconVerify(publicKey, m, sig));
}

/** A verifier for a cosignature vkey of either algorithm, or null when it is not one. */
export function cosignatureVerifierFromKey(vkey: string): NoteVerifier | null {
  const k = parseCosignatureVerifierKey(vkey);
  if (!k) return null;
  return k.alg === "ml-dsa-44" ? mlDsa44CosignatureVerifier(k.name, k.publicKey) : falcon1024CosignatureVerifier(k.name, k.publicKey);
}

/** The cosignature's timestamp, seconds since the epoch. */
export function cosignatureTimestamp(sig: Uint8Array): number {
  return Number(new DataView(toBytes(sig).buffer, 0, 8).getBigUint64(0));
}
