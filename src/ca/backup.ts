// CA key backups sealed to an operator's hybrid post-quantum key: X-Wing (X25519 + ML-KEM-768,
// draft-connolly-cfrg-xwing-kem, @noble/post-quantum's ml_kem768_x25519) encapsulates a 32-byte
// secret that keys AES-256-GCM over the backup. The same envelope carries a backup from the
// CaSigner to the operator, and from the operator's restore script to a fresh CaSigner (sealed to
// a one-time key that CaSigner holds), so private keys never travel unencrypted.

// Its own copy of noble's code, so a backup does not slow ML-DSA in the same isolate (scripts/bundle-noble.ts).
import { ml_kem768_x25519 } from "../../build/noble-xwing.js";
import { type Bytes, concatBytes, fromBase64, sha256, toBase64, toBytes, toHex, utf8 } from "../encoding/bytes.ts";

export const ENVELOPE_FORMAT = "trustchain-sealed/v1";
export const XWING = "X-Wing (ML-KEM-768 + X25519)";
export const XWING_PUBLIC_KEY_BYTES = 1216;

export interface SealedEnvelope {
  format: typeof ENVELOPE_FORMAT;
  kem: typeof XWING;
  /** What is inside ("ca-keys"); bound into the AEAD additional data. */
  purpose: string;
  /** First 8 bytes of SHA-256 of the recipient public key, hex: which key opens it. */
  recipient: string;
  encapsulated: string;
  iv: string;
  ciphertext: string;
}

export interface KemKeyPair {
  publicKey: Bytes;
  secretKey: Bytes;
}

export function kemKeygen(): KemKeyPair {
  const { publicKey, secretKey } = ml_kem768_x25519.keygen();
  return { publicKey: toBytes(publicKey), secretKey: toBytes(secretKey) };
}

export async function recipientId(publicKey: Uint8Array): Promise<string> {
  return toHex((await sha256(toBytes(publicKey))).subarray(0, 8));
}

async function aead(secret: Uint8Array, usage: "encrypt" | "decrypt"): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", toBytes(secret), { name: "AES-GCM" }, false, [usage]);
}

function additionalData(purpose: string, encapsulated: Uint8Array): Bytes {
  return concatBytes(utf8(`${ENVELOPE_FORMAT}\n${purpose}\n`), encapsulated);
}

export async function sealTo(recipientPublicKey: Uint8Array, purpose: string, plaintext: Uint8Array): Promise<SealedEnvelope> {
  if (recipientPublicKey.length !== XWING_PUBLIC_KEY_BYTES) throw new RangeError(`an X-Wing public key is ${XWING_PUBLIC_KEY_BYTES} bytes`);
  const { cipherText, sharedSecret } = ml_kem768_x25519.encapsulate(recipientPublicKey);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: additionalData(purpose, cipherText) }, await aead(sharedSecret, "encrypt"), toBytes(plaintext));
  return {
    format: ENVELOPE_FORMAT,
    kem: XWING,
    purpose,
    recipient: await recipientId(recipientPublicKey),
    encapsulated: toBase64(cipherText),
    iv: toBase64(iv),
    ciphertext: toBase64(new Uint8Array(ct)),
  };
}

export type OpenFailure = { kind: "malformed"; detail: string } | { kind: "wrong-key"; detail: string };

/** Opens an envelope; a wrong key or an altered file is a typed failure, never an exception. */
export async function openSealed(keys: KemKeyPair, purpose: string, envelope: unknown): Promise<Bytes | OpenFailure> {
  const e = envelope as Partial<SealedEnvelope> | null;
  if (!e || typeof e !== "object" || e.format !== ENVELOPE_FORMAT || e.kem !== XWING) return { kind: "malformed", detail: `not a ${ENVELOPE_FORMAT} envelope` };
  if (e.purpose !== purpose) return { kind: "malformed", detail: `the envelope holds "${String(e.purpose)}", not "${purpose}"` };
  const enc = typeof e.encapsulated === "string" ? fromBase64(e.encapsulated) : null;
  const iv = typeof e.iv === "string" ? fromBase64(e.iv) : null;
  const ct = typeof e.ciphertext === "string" ? fromBase64(e.ciphertext) : null;
  if (!enc || !iv || !ct || iv.length !== 12) return { kind: "malformed", detail: "the envelope's fields are not valid base64" };
  if (e.recipient !== (await recipientId(keys.publicKey))) {
    return { kind: "wrong-key", detail: `the envelope is sealed to key ${String(e.recipient)}, not to ${await recipientId(keys.publicKey)}` };
  }
  try {
    const secret = ml_kem768_x25519.decapsulate(enc, keys.secretKey);
    const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: additionalData(purpose, enc) }, await aead(secret, "decrypt"), ct);
    return new Uint8Array(pt);
  } catch {
    return { kind: "wrong-key", detail: "the envelope does not open with this key (wrong key or altered contents)" };
  }
}

export function isOpenFailure(v: Bytes | OpenFailure): v is OpenFailure {
  return !(v instanceof Uint8Array);
}

/** The recipient and identity files of `npm run ca:backup-keygen` (JSON, base64 keys). */
export interface RecipientFile {
  type: "trustchain-backup-recipient";
  kem: typeof XWING;
  public_key: string;
}

export interface IdentityFile {
  type: "trustchain-backup-identity";
  kem: typeof XWING;
  public_key: string;
  secret_key: string;
}

export function parseRecipient(text: string): Bytes | null {
  try {
    const f = JSON.parse(text) as { type?: unknown; public_key?: unknown };
    if ((f.type !== "trustchain-backup-recipient" && f.type !== "trustchain-backup-identity") || typeof f.public_key !== "string") return null;
    const pk = fromBase64(f.public_key);
    return pk && pk.length === XWING_PUBLIC_KEY_BYTES ? pk : null;
  } catch {
    return null;
  }
}

export function parseIdentity(text: string): KemKeyPair | null {
  try {
    const f = JSON.parse(text) as Partial<IdentityFile>;
    if (f.type !== "trustchain-backup-identity" || typeof f.public_key !== "string" || typeof f.secret_key !== "string") return null;
    const publicKey = fromBase64(f.public_key);
    const secretKey = fromBase64(f.secret_key);
    return publicKey && secretKey ? { publicKey, secretKey } : null;
  } catch {
    return null;
  }
}
