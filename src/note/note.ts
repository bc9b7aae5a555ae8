// c2sp.org/signed-note: text signed by one or more keys, with the two signature types a static CT
// log uses: Ed25519 (type 0x01, signed-note "Ed25519 signatures") and the RFC 6962
// TreeHeadSignature (type 0x05, c2sp.org/static-ct-api "Checkpoints").
//
// Parsing follows the signed-note spec and the reference implementation (golang.org/x/mod/sumdb/note):
// the text ends in a newline and is separated from the signatures by the last blank line; each
// signature line is "— <name> <base64(key ID || signature)>"; at most 100 signatures; unknown keys
// are ignored; a known key whose signature fails rejects the whole note.

import { type Bytes, bytesEqual, concatBytes, fromBase64, fromBase64Url, sha256, sha256Sync, toBase64, toHex, utf8 } from "../encoding/bytes.ts";
import {
  type DigitallySigned,
  decodeDigitallySigned,
  encodeDigitallySigned,
  signTreeHead,
  treeHeadSignatureInput,
  verifyDigitallySigned,
} from "../ct/structures.ts";
import { TlsDecodeError, TlsReader, TlsWriter } from "../ct/tls.ts";
import { parseCheckpoint } from "./checkpoint.ts";

/** signed-note "Signature types". */
export const SIGNATURE_TYPE_ED25519 = 0x01;
export const SIGNATURE_TYPE_RFC6962 = 0x05;

/** The spec asks verifiers to bound signatures (and accept at least 16); the Go reference stops at 100. */
export const MAX_SIGNATURES = 100;

const EM_DASH_PREFIX = "\u2014 ";

export interface NoteSignature {
  readonly name: string;
  /** uint32 key ID (big-endian first four bytes of the decoded signature line). */
  readonly keyId: number;
  /** The signature bytes after the key ID. */
  readonly signature: Uint8Array;
}

export interface Note {
  /** The signed text, including its final newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(text: Uint8Array<ArrayBuffer>): Promise<Uint8Array>;
}

export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(text: Uint8Array<ArrayBuffer>, signature: Uint8Array): Promise<boolean>;
}

/** signed-note "Format": key names are non-empty with no Unicode spaces and no "+". */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && isWellFormed(name) && !/[\u0000-\u001f]/.test(name);
}

/** signed-note "Signatures": key ID = SHA-256(key name || 0x0A || signature type || public key)[:4]. */
export function computeKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const digest = sha256Sync(concatBytes(utf8(name), Uint8Array.of(0x0a, type), publicKey));
  return ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
}

function keyIdBytes(keyId: number): Bytes {
  return Uint8Array.of(keyId >>> 24, (keyId >>> 16) & 0xff, (keyId >>> 8) & 0xff, keyId & 0xff);
}

function isWellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** Standard base64 with mandatory padding, as Go's base64.StdEncoding decodes it. */
function strictBase64(text: string): Bytes | null {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  return fromBase64(text);
}

/** signed-note "Format": valid UTF-8 and no ASCII control characters other than newline. */
function validNoteText(text: string): boolean {
  return isWellFormed(text) && !/[\u0000-\u0009\u000b-\u001f]/.test(text);
}

function sigLine(s: NoteSignature): string {
  return `${EM_DASH_PREFIX}${s.name} ${toBase64(concatBytes(keyIdBytes(s.keyId), s.signature))}\n`;
}

/** Parses a signed note without verifying anything; null when it is malformed. */
export function parseNote(message: string | Uint8Array): Note | null {
  let msg: string;
  if (typeof message === "string") {
    msg = message;
  } else {
    try {
      msg = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(message);
    } catch {
      return null;
    }
  }
  if (!validNoteText(msg)) return null;
  const split = msg.lastIndexOf("\n\n");
  if (split < 0) return null;
  const text = msg.slice(0, split + 1);
  let block = msg.slice(split + 2);
  if (block.length === 0 || !block.endsWith("\n")) return null;
  const signatures: NoteSignature[] = [];
  while (block.length > 0) {
    const nl = block.indexOf("\n");
    const line = block.slice(0, nl);
    block = block.slice(nl + 1);
    if (!line.startsWith(EM_DASH_PREFIX)) return null;
    const rest = line.slice(EM_DASH_PREFIX.length);
    const space = rest.indexOf(" ");
    if (space < 0) return null;
    const name = rest.slice(0, space);
    const b64 = rest.slice(space + 1);
    const raw = strictBase64(b64);
    if (raw === null || !isValidKeyName(name) || raw.length < 5) return null;
    if (signatures.length === MAX_SIGNATURES) return null;
    const keyId = ((raw[0]! << 24) | (raw[1]! << 16) | (raw[2]! << 8) | raw[3]!) >>> 0;
    signatures.push({ name, keyId, signature: raw.slice(4) });
  }
  return { text, signatures };
}

/** Serializes a note: text, blank line, one line per signature. */
export function formatNote(note: Note): string {
  if (!note.text.endsWith("\n") || !validNoteText(note.text)) throw new RangeError("note text must be valid and end with a newline");
  if (note.signatures.length === 0 || note.signatures.length > MAX_SIGNATURES) throw new RangeError(`a note needs 1..${MAX_SIGNATURES} signatures`);
  for (const s of note.signatures) {
    if (!isValidKeyName(s.name)) throw new RangeError(`invalid key name ${JSON.stringify(s.name)}`);
    if (s.signature.length === 0) throw new RangeError("empty signature");
  }
  return `${note.text}\n${note.signatures.map(sigLine).join("")}`;
}

/**
 * Signs the text with each signer and returns the encoded note. Existing signatures are kept,
 * first, unless a signer has the same name and key ID (then the new one replaces it).
 */
export async function signNote(text: string, signers: readonly NoteSigner[], existing: readonly NoteSignature[] = []): Promise<string> {
  if (!text.endsWith("\n") || !validNoteText(text)) throw new RangeError("note text must be valid and end with a newline");
  const bytes = utf8(text);
  const fresh: NoteSignature[] = [];
  for (const s of signers) {
    if (!isValidKeyName(s.name)) throw new RangeError(`invalid signer name ${JSON.stringify(s.name)}`);
    fresh.push({ name: s.name, keyId: s.keyId, signature: await s.sign(bytes) });
  }
  const replaced = (e: NoteSignature) => fresh.some((f) => f.name === e.name && f.keyId === e.keyId);
  return formatNote({ text, signatures: [...existing.filter((e) => !replaced(e)), ...fresh] });
}

export type OpenError = "malformed" | "unverified" | "invalid-signature" | "ambiguous-key";

export type OpenResult =
  | { readonly ok: true; readonly note: Note; readonly verified: readonly NoteSignature[]; readonly unverified: readonly NoteSignature[] }
  | { readonly ok: false; readonly error: OpenError; readonly detail: string; readonly note?: Note };

/**
 * Parses and verifies a note against known keys (signed-note "Signatures"): signatures from
 * unknown (name, key ID) pairs are ignored; a known key's failing signature rejects the note; a
 * note with no verified signature is rejected ("unverified", with the parsed note attached).
 * Repeated signatures by one key are verified once.
 */
export async function openNote(message: string | Uint8Array, verifiers: readonly NoteVerifier[]): Promise<OpenResult> {
  const note = parseNote(message);
  if (note === null) return { ok: false, error: "malformed", detail: "malformed note" };
  const text = utf8(note.text);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seenKnown = new Set<string>();
  const seenUnknown = new Set<string>();
  for (const sig of note.signatures) {
    const id = `${sig.name}+${keyIdHex(sig.keyId)}`;
    const matches = verifiers.filter((v) => v.name === sig.name && v.keyId === sig.keyId);
    if (matches.length === 0) {
      const line = sigLine(sig);
      if (!seenUnknown.has(line)) {
        seenUnknown.add(line);
        unverified.push(sig);
      }
      continue;
    }
    if (matches.length > 1) return { ok: false, error: "ambiguous-key", detail: `ambiguous key ${id}` };
    if (seenKnown.has(id)) continue;
    seenKnown.add(id);
    if (!(await matches[0]!.verify(text, sig.signature))) return { ok: false, error: "invalid-signature", detail: `invalid signature for key ${id}` };
    verified.push(sig);
  }
  if (verified.length === 0) return { ok: false, error: "unverified", detail: "note has no verifiable signatures", note };
  return { ok: true, note, verified, unverified };
}

/** A parsed verifier key string "<name>+<hex key ID>+<base64(type || public key)>". */
export interface VerifierKey {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  readonly publicKey: Bytes;
}

/** Encodes a verifier key string as the Go note package and the C2SP ecosystem write it. */
export function encodeVerifierKey(name: string, type: number, publicKey: Uint8Array): string {
  if (!isValidKeyName(name)) throw new RangeError(`invalid key name ${JSON.stringify(name)}`);
  const keyId = computeKeyId(name, type, publicKey);
  return `${name}+${keyIdHex(keyId)}+${toBase64(concatBytes(Uint8Array.of(type), publicKey))}`;
}

/**
 * Parses a verifier key string strictly: valid name, exactly 8 hex digits, padded base64, and a
 * key ID that matches the key. Ed25519 keys must be 32 bytes. Other types are returned as is.
 */
export function parseVerifierKey(vkey: string): VerifierKey | null {
  const first = vkey.indexOf("+");
  if (first < 0) return null;
  const second = vkey.indexOf("+", first + 1);
  if (second < 0) return null;
  const name = vkey.slice(0, first);
  const hex = vkey.slice(first + 1, second);
  const key = strictBase64(vkey.slice(second + 1));
  if (!isValidKeyName(name) || !/^[0-9a-fA-F]{8}$/.test(hex) || key === null || key.length < 1) return null;
  const keyId = parseInt(hex, 16);
  if (computeKeyId(name, key[0]!, key.subarray(1)) !== keyId) return null;
  const type = key[0]!;
  const publicKey = key.slice(1);
  if (type === SIGNATURE_TYPE_ED25519 && publicKey.length !== 32) return null;
  return { name, keyId, type, publicKey };
}

/** A verifier from a key string. Only Ed25519 keys carry enough to verify (type 0x05 carries a hash). */
export async function verifierFromKey(vkey: string): Promise<NoteVerifier | null> {
  const k = parseVerifierKey(vkey);
  if (k === null || k.type !== SIGNATURE_TYPE_ED25519) return null;
  return ed25519Verifier(k.name, k.publicKey);
}

// ---- Ed25519 (signed-note "Ed25519 signatures", RFC 8032 over the note text) ----

/** PKCS#8 header for an Ed25519 private key (RFC 8410 §7) followed by the 32-byte seed. */
const ED25519_PKCS8_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);

export async function ed25519Verifier(name: string, publicKey: Uint8Array): Promise<NoteVerifier> {
  if (!isValidKeyName(name)) throw new RangeError(`invalid key name ${JSON.stringify(name)}`);
  if (publicKey.length !== 32) throw new RangeError("an Ed25519 public key is 32 bytes");
  const raw = publicKey.slice();
  const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
  return {
    name,
    keyId: computeKeyId(name, SIGNATURE_TYPE_ED25519, raw),
    verify: async (text, signature) => signature.length === 64 && crypto.subtle.verify({ name: "Ed25519" }, key, signature.slice(), text),
  };
}

export function ed25519Signer(name: string, privateKey: CryptoKey, publicKey: Uint8Array): NoteSigner {
  if (!isValidKeyName(name)) throw new RangeError(`invalid key name ${JSON.stringify(name)}`);
  if (publicKey.length !== 32) throw new RangeError("an Ed25519 public key is 32 bytes");
  return {
    name,
    keyId: computeKeyId(name, SIGNATURE_TYPE_ED25519, publicKey),
    sign: async (text) => new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, text)),
  };
}

/** Imports a 32-byte RFC 8032 seed; returns the signer and its public key. */
export async function ed25519FromSeed(name: string, seed: Uint8Array): Promise<{ signer: NoteSigner; publicKey: Bytes }> {
  if (seed.length !== 32) throw new RangeError("an Ed25519 seed is 32 bytes");
  const pkcs8 = concatBytes(ED25519_PKCS8_PREFIX, seed);
  // WebCrypto cannot derive a public key directly; the JWK export of the private key carries it.
  const extractable = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
  const jwk = (await crypto.subtle.exportKey("jwk", extractable)) as JsonWebKey;
  const publicKey = typeof jwk.x === "string" ? fromBase64Url(jwk.x) : null;
  if (publicKey === null || publicKey.length !== 32) throw new Error("could not derive the Ed25519 public key");
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
  return { signer: ed25519Signer(name, privateKey, publicKey), publicKey };
}

/**
 * Parses a Go note signer key "PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>" and checks
 * the key ID against the derived public key. Null when malformed or not Ed25519.
 */
export async function parseSignerKey(skey: string): Promise<NoteSigner | null> {
  const m = /^PRIVATE\+KEY\+([^+]*)\+([0-9a-fA-F]{8})\+(.*)$/s.exec(skey);
  if (m === null) return null;
  const name = m[1]!;
  const hex = m[2]!;
  const b64 = m[3]!;
  const key = strictBase64(b64);
  if (!isValidKeyName(name) || key === null || key.length !== 33 || key[0] !== SIGNATURE_TYPE_ED25519) return null;
  const { signer } = await ed25519FromSeed(name, key.subarray(1));
  return signer.keyId === parseInt(hex, 16) ? signer : null;
}

/** Generates an Ed25519 note key pair as Go-compatible signer and verifier key strings. */
export async function generateNoteKey(name: string): Promise<{ signerKey: string; verifierKey: string }> {
  if (!isValidKeyName(name)) throw new RangeError(`invalid key name ${JSON.stringify(name)}`);
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const publicKey = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  if (pkcs8.length !== 48 || !bytesEqual(pkcs8.subarray(0, 16), ED25519_PKCS8_PREFIX)) throw new Error("unexpected Ed25519 PKCS#8 encoding");
  const seed = pkcs8.subarray(16);
  const verifierKey = encodeVerifierKey(name, SIGNATURE_TYPE_ED25519, publicKey);
  const keyId = computeKeyId(name, SIGNATURE_TYPE_ED25519, publicKey);
  const signerKey = `PRIVATE+KEY+${name}+${keyIdHex(keyId)}+${toBase64(concatBytes(Uint8Array.of(SIGNATURE_TYPE_ED25519), seed))}`;
  return { signerKey, verifierKey };
}

// ---- RFC 6962 TreeHeadSignature (static-ct-api "Checkpoints") ----

/**
 * static-ct-api: the key ID is SHA-256(key name || 0x0A || 0x05 || LogID)[:4], where LogID is
 * SHA-256 of the log's DER SPKI (RFC 6962 §3.2).
 */
export function rfc6962KeyId(name: string, logId: Uint8Array): number {
  return computeKeyId(name, SIGNATURE_TYPE_RFC6962, logId);
}

/** static-ct-api RFC6962NoteSignature: struct { uint64 timestamp; TreeHeadSignature signature; }. */
function encodeRfc6962Body(timestamp: number, sth: DigitallySigned): Bytes {
  return concatBytes(new TlsWriter().uint64(timestamp).finish(), encodeDigitallySigned(sth));
}

function decodeRfc6962Body(body: Uint8Array): { timestamp: number; sth: DigitallySigned } | null {
  try {
    const timestamp = new TlsReader(body.subarray(0, 8)).uint64();
    return { timestamp, sth: decodeDigitallySigned(body.subarray(8)) };
  } catch (e) {
    if (e instanceof TlsDecodeError) return null;
    throw e;
  }
}

/**
 * Wraps an existing STH signature (e.g. the one served by get-sth) as a checkpoint note
 * signature, so the log signs each tree head once for both APIs.
 */
export function rfc6962NoteSignature(name: string, logId: Uint8Array, timestamp: number, treeHeadSignature: DigitallySigned): NoteSignature {
  return { name, keyId: rfc6962KeyId(name, logId), signature: encodeRfc6962Body(timestamp, treeHeadSignature) };
}

/** The STH timestamp carried in a type 0x05 note signature, or null when malformed. */
export function rfc6962SignatureTimestamp(sig: NoteSignature): number | null {
  return decodeRfc6962Body(sig.signature)?.timestamp ?? null;
}

/**
 * Signs checkpoints as RFC 6962 tree heads with an ECDSA P-256 key at the given timestamp. The
 * checkpoint must have no extension lines and its origin must be the key name (static-ct-api).
 */
export async function rfc6962Signer(name: string, privateKey: CryptoKey, spkiDer: Uint8Array<ArrayBuffer>, timestamp: number): Promise<NoteSigner> {
  if (!isValidKeyName(name)) throw new RangeError(`invalid key name ${JSON.stringify(name)}`);
  const logId = await sha256(spkiDer);
  return {
    name,
    keyId: rfc6962KeyId(name, logId),
    async sign(text) {
      const c = parseCheckpoint(new TextDecoder().decode(text));
      if (c === null || c.extensions.length > 0 || c.origin !== name) throw new RangeError("RFC 6962 note signatures cover only extension-free checkpoints of their own origin");
      const sth = await signTreeHead(privateKey, timestamp, c.size, c.rootHash);
      return encodeRfc6962Body(timestamp, sth);
    },
  };
}

/** Verifies type 0x05 checkpoint signatures with the log's ECDSA P-256 public key (DER SPKI). */
export async function rfc6962Verifier(name: string, spkiDer: Uint8Array<ArrayBuffer>): Promise<NoteVerifier> {
  if (!isValidKeyName(name)) throw new RangeError(`invalid key name ${JSON.stringify(name)}`);
  const logId = await sha256(spkiDer);
  const key = await crypto.subtle.importKey("spki", spkiDer, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  return {
    name,
    keyId: rfc6962KeyId(name, logId),
    async verify(text, signature) {
      const c = parseCheckpoint(new TextDecoder().decode(text));
      if (c === null || c.extensions.length > 0 || c.origin !== name) return false;
      const body = decodeRfc6962Body(signature);
      if (body === null) return false;
      return verifyDigitallySigned(key, treeHeadSignatureInput(body.timestamp, c.size, c.rootHash), body.sth);
    },
  };
}

/** Hex form of a key ID as it appears in verifier keys and error messages. */
export function keyIdHex(keyId: number): string {
  return toHex(keyIdBytes(keyId));
}
