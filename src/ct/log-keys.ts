// The log's two keys (c2sp.org/static-ct-api): ECDSA P-256 signs SCTs and tree heads (RFC 6962
// §2.1.4), and, wrapped as a type 0x05 note signature, the checkpoint; Ed25519 adds a plain
// signed-note signature that generic tlog tooling (golang.org/x/mod/sumdb/note) verifies.
// Private keys rest sealed under the CA_KEK exactly like the CA's (src/ca/key-vault.ts), each in
// its own slot so sealed keys cannot be swapped between roles or shards.
// post-quantum: an ML-DSA-44 key adds a c2sp.org/tlog-cosignature type 0x06 line to every
// checkpoint, and a FALCON-1024 key a line of type 0xff + identifier over the same message
// (src/note/cosignature.ts); classical-only verifiers ignore both.

import { type Bytes, fromBase64, toBase64 } from "../encoding/bytes.ts";
import { type SealedKey, sealKey, unsealKey } from "../ca/key-vault.ts";
import { formatCheckpoint } from "../note/checkpoint.ts";
import { type NoteSigner, ed25519Signer, encodeVerifierKey, parseNote, rfc6962NoteSignature, SIGNATURE_TYPE_ED25519, signNote } from "../note/note.ts";
import { type DigitallySigned, logIdFromSpki, signTreeHead } from "./structures.ts";
import { mlDsaKeygen, mlDsaSigningKey } from "../crypto/ml-dsa.ts";
import { cosignatureVerifierKey, falcon1024Cosigner, mlDsa44Cosigner } from "../note/cosignature.ts";
import { falconKeygen } from "../crypto/falcon.ts";
import { mlDsaPkcs8, mlDsaSeedFromPkcs8 } from "../x509/ml-dsa.ts";

export interface StoredLogKeys {
  readonly version: 1;
  /** DER SubjectPublicKeyInfo of the ECDSA P-256 key (base64). */
  readonly ecdsaSpki: string;
  readonly ecdsaKey: SealedKey;
  /** Raw 32-byte Ed25519 public key (base64). */
  readonly ed25519Public: string;
  readonly ed25519Key: SealedKey;
  /** Raw 1312-byte ML-DSA-44 public key (base64); absent in logs created before cosignatures. */
  readonly mlDsa44Public?: string;
  readonly mlDsa44Key?: SealedKey;
  /** Raw 1793-byte FALCON-1024 public key (base64) and its sealed 2305-byte secret key; absent in logs created before. */
  readonly falcon1024Public?: string;
  readonly falcon1024Key?: SealedKey;
}

export interface LogKeys {
  /** RFC 6962 §3.2 LogID: SHA-256 of the DER SPKI. */
  readonly logId: Bytes;
  readonly spkiDer: Bytes;
  readonly ecdsaPrivate: CryptoKey;
  readonly ecdsaPublic: CryptoKey;
  readonly ed25519Public: Bytes;
  readonly noteSigner: NoteSigner;
  /** The Ed25519 verifier key string ("<origin>+<key id>+<base64>") for tlog clients. */
  readonly noteVerifierKey: string;
  /** Add the post-quantum lines: ML-DSA-44, then FALCON-1024. */
  readonly cosigners: readonly NoteSigner[];
  /** The ML-DSA-44 line's vkey, type 0x06 (c2sp.org/tlog-cosignature). */
  readonly cosignatureVerifierKey: string;
  /** The FALCON-1024 line's vkey, type 0xff + FALCON_COSIGNATURE_ID. */
  readonly falconVerifierKey: string;
}

const slot = (logName: string, role: string) => `ct-log/${logName}/${role}`;

async function exportPkcs8(key: CryptoKey): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array((await crypto.subtle.exportKey("pkcs8", key)) as ArrayBuffer);
}

export async function generateLogKeys(kek: CryptoKey, logName: string): Promise<StoredLogKeys> {
  const ecdsa = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const ed = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  return {
    version: 1,
    ecdsaSpki: toBase64(new Uint8Array((await crypto.subtle.exportKey("spki", ecdsa.publicKey)) as ArrayBuffer)),
    ecdsaKey: await sealKey(kek, slot(logName, "ecdsa-p256"), await exportPkcs8(ecdsa.privateKey)),
    ed25519Public: toBase64(new Uint8Array((await crypto.subtle.exportKey("raw", ed.publicKey)) as ArrayBuffer)),
    ed25519Key: await sealKey(kek, slot(logName, "ed25519"), await exportPkcs8(ed.privateKey)),
    ...(await cosignatureKey(kek, logName)),
    ...(await falconKey(kek, logName)),
  };
}

/**
 * Adds the post-quantum keys a log created before them lacks (ML-DSA-44, FALCON-1024), once the
 * existing keys have proved this is the right KEK (throws otherwise, like loadLogKeys). Null when
 * the log has them all. FALCON-1024 key generation takes about half a second: once per log.
 */
export async function withPostQuantumKeys(kek: CryptoKey, logName: string, stored: StoredLogKeys): Promise<StoredLogKeys | null> {
  if (stored.mlDsa44Key && stored.falcon1024Key) return null;
  await unsealKey(kek, slot(logName, "ecdsa-p256"), stored.ecdsaKey);
  return { ...stored, ...(stored.mlDsa44Key ? {} : await cosignatureKey(kek, logName)), ...(stored.falcon1024Key ? {} : await falconKey(kek, logName)) };
}

/** A fresh sealed ML-DSA-44 cosignature key. */
async function cosignatureKey(kek: CryptoKey, logName: string): Promise<{ mlDsa44Public: string; mlDsa44Key: SealedKey }> {
  const ml = mlDsaKeygen("ML-DSA-44");
  return { mlDsa44Public: toBase64(ml.publicKey), mlDsa44Key: await sealKey(kek, slot(logName, "ml-dsa-44"), mlDsaPkcs8("ML-DSA-44", ml.seed)) };
}

/** A fresh sealed FALCON-1024 key (the raw round-3 secret key: there is no standard PKCS#8 form for Falcon). */
async function falconKey(kek: CryptoKey, logName: string): Promise<{ falcon1024Public: string; falcon1024Key: SealedKey }> {
  const f = falconKeygen();
  return { falcon1024Public: toBase64(f.publicKey), falcon1024Key: await sealKey(kek, slot(logName, "falcon-1024"), f.secretKey) };
}

/** Unseals the keys; throws when the KEK does not open them. Private keys are imported non-extractable. */
export async function loadLogKeys(kek: CryptoKey, logName: string, origin: string, stored: StoredLogKeys): Promise<LogKeys> {
  const spkiDer = fromBase64(stored.ecdsaSpki);
  const edPublic = fromBase64(stored.ed25519Public);
  if (!spkiDer || !edPublic) throw new Error("stored log keys are not base64");
  const ecdsaPkcs8 = await unsealKey(kek, slot(logName, "ecdsa-p256"), stored.ecdsaKey);
  const edPkcs8 = await unsealKey(kek, slot(logName, "ed25519"), stored.ed25519Key);
  const ecdsaPrivate = await crypto.subtle.importKey("pkcs8", ecdsaPkcs8, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  const ecdsaPublic = await crypto.subtle.importKey("spki", spkiDer, { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"]);
  const edPrivate = await crypto.subtle.importKey("pkcs8", edPkcs8, { name: "Ed25519" }, false, ["sign"]);
  const mlPublic = stored.mlDsa44Public ? fromBase64(stored.mlDsa44Public) : null;
  const mlKey = stored.mlDsa44Key ? mlDsaSeedFromPkcs8(await unsealKey(kek, slot(logName, "ml-dsa-44"), stored.mlDsa44Key)) : null;
  if (!mlPublic || !mlKey || mlKey.level !== "ML-DSA-44") throw new Error("stored log keys lack the ML-DSA-44 cosignature key");
  const cosigning = await mlDsaSigningKey("ML-DSA-44", mlKey.seed);
  const falconPublic = stored.falcon1024Public ? fromBase64(stored.falcon1024Public) : null;
  if (!falconPublic || !stored.falcon1024Key) throw new Error("stored log keys lack the FALCON-1024 key");
  const falconSecret = await unsealKey(kek, slot(logName, "falcon-1024"), stored.falcon1024Key);
  return {
    logId: await logIdFromSpki(spkiDer),
    spkiDer,
    ecdsaPrivate,
    ecdsaPublic,
    ed25519Public: edPublic,
    noteSigner: ed25519Signer(origin, edPrivate, edPublic),
    noteVerifierKey: encodeVerifierKey(origin, SIGNATURE_TYPE_ED25519, edPublic),
    cosigners: [mlDsa44Cosigner(origin, cosigning), falcon1024Cosigner(origin, falconSecret, falconPublic)],
    cosignatureVerifierKey: cosignatureVerifierKey(origin, mlPublic),
    falconVerifierKey: cosignatureVerifierKey(origin, falconPublic, "falcon-1024"),
  };
}

export interface SignedTreeHead {
  readonly size: number;
  readonly rootHash: Bytes;
  readonly timestamp: number;
  readonly signature: DigitallySigned;
  /** The signed checkpoint note served at <prefix>/checkpoint. */
  readonly checkpoint: string;
}

/**
 * Signs the tree head once (RFC 6962 §3.5) and uses that signature both as the get-sth
 * signature and, wrapped per static-ct-api "Checkpoints", as the checkpoint's 0x05 note
 * signature; the Ed25519 note signature follows, and the post-quantum lines (ML-DSA-44,
 * FALCON-1024) unless `cosign` is false (the logs add them in a follow-up publication, see
 * addCosignature).
 */
export async function signTreeHeadAndCheckpoint(keys: LogKeys, origin: string, size: number, rootHash: Bytes, timestamp: number, cosign = true): Promise<SignedTreeHead> {
  const signature = await signTreeHead(keys.ecdsaPrivate, timestamp, size, rootHash);
  const text = formatCheckpoint({ origin, size, rootHash, extensions: [] });
  const checkpoint = await signNote(text, cosign ? [keys.noteSigner, ...keys.cosigners] : [keys.noteSigner], [rfc6962NoteSignature(origin, keys.logId, timestamp, signature)]);
  return { size, rootHash, timestamp, signature, checkpoint };
}

/** The same checkpoint (same tree head, same signatures) with the post-quantum lines added. */
export async function addCosignature(keys: LogKeys, checkpoint: string): Promise<string> {
  const note = parseNote(checkpoint);
  if (!note) throw new RangeError("not a signed note");
  return signNote(note.text, keys.cosigners, note.signatures);
}
