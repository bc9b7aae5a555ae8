// RFC 6962 structures a CT log signs, hashes and serves, plus the c2sp.org/static-ct-api
// additions (the leaf_index SCT extension and the TileLeaf of data tiles).
//
// Signatures are ECDSA P-256 with SHA-256 in a TLS DigitallySigned struct (RFC 6962 §2.1.4,
// RFC 5246 §4.7): WebCrypto gives r‖s, the struct carries a DER ECDSA-Sig-Value.

import { type Bytes, concatBytes, sha256 } from "../encoding/bytes.ts";
import { leafHash } from "../merkle/hash.ts";
import { ecdsaDerToP1363, ecdsaP1363ToDer } from "../x509/signer.ts";
import { TlsDecodeError, TlsReader, TlsWriter } from "./tls.ts";

/** RFC 6962 §3.2 Version: v1(0). */
export const CT_V1 = 0;
/** RFC 6962 §3.2 SignatureType. */
export const SIGNATURE_TYPE_CERTIFICATE_TIMESTAMP = 0;
export const SIGNATURE_TYPE_TREE_HASH = 1;
/** RFC 6962 §3.4 MerkleLeafType: timestamped_entry(0). */
export const MERKLE_LEAF_TYPE_TIMESTAMPED_ENTRY = 0;
/** RFC 6962 §3.1 LogEntryType. */
export const LOG_ENTRY_TYPE_X509 = 0;
export const LOG_ENTRY_TYPE_PRECERT = 1;
/** RFC 5246 §7.4.1.4.1 HashAlgorithm sha256(4) and SignatureAlgorithm ecdsa(3). */
export const HASH_ALGORITHM_SHA256 = 4;
export const SIGNATURE_ALGORITHM_ECDSA = 3;
/** RFC 6962 §3.3: the X.509v3 extension carrying a SignedCertificateTimestampList. */
export const OID_SCT_LIST = "1.3.6.1.4.1.11129.2.4.2";
/** static-ct-api "SCT Extension": ExtensionType leaf_index(0). */
export const EXTENSION_TYPE_LEAF_INDEX = 0;

const ISSUER_KEY_HASH_SIZE = 32;
const LOG_ID_SIZE = 32;
const FINGERPRINT_SIZE = 32;
/** static-ct-api: LeafIndex is a uint40. */
const MAX_LEAF_INDEX = 2 ** 40 - 1;

/** RFC 6962 §3.2 signed_entry: ASN.1Cert for x509_entry, PreCert for precert_entry. */
export type SignedEntry =
  | { readonly type: "x509"; readonly certificate: Uint8Array }
  | { readonly type: "precert"; readonly issuerKeyHash: Uint8Array; readonly tbsCertificate: Uint8Array };

/** RFC 6962 §3.4 TimestampedEntry. `extensions` is the CtExtensions body (without its length). */
export interface TimestampedEntry {
  readonly timestamp: number;
  readonly entry: SignedEntry;
  readonly extensions: Uint8Array;
}

/** RFC 6962 §3.1: ASN.1Cert is opaque<1..2^24-1>; PreCert is issuer_key_hash[32] then a TBSCertificate. */
function writeSignedEntry(w: TlsWriter, e: SignedEntry): void {
  if (e.type === "x509") {
    w.uint16(LOG_ENTRY_TYPE_X509).opaque(e.certificate, 3, 1);
  } else {
    w.uint16(LOG_ENTRY_TYPE_PRECERT).fixed(e.issuerKeyHash, ISSUER_KEY_HASH_SIZE).opaque(e.tbsCertificate, 3, 1);
  }
}

function readSignedEntry(r: TlsReader): SignedEntry {
  const type = r.uint16();
  if (type === LOG_ENTRY_TYPE_X509) return { type: "x509", certificate: r.opaque(3, 1) };
  if (type === LOG_ENTRY_TYPE_PRECERT) return { type: "precert", issuerKeyHash: r.fixed(ISSUER_KEY_HASH_SIZE), tbsCertificate: r.opaque(3, 1) };
  throw new TlsDecodeError(`unknown LogEntryType ${type}`);
}

function writeTimestampedEntry(w: TlsWriter, e: TimestampedEntry): void {
  w.uint64(e.timestamp);
  writeSignedEntry(w, e.entry);
  w.opaque(e.extensions, 2);
}

function readTimestampedEntry(r: TlsReader): TimestampedEntry {
  const timestamp = r.uint64();
  const entry = readSignedEntry(r);
  return { timestamp, entry, extensions: r.opaque(2) };
}

export function encodeTimestampedEntry(e: TimestampedEntry): Bytes {
  const w = new TlsWriter();
  writeTimestampedEntry(w, e);
  return w.finish();
}

/** RFC 6962 §3.4 MerkleTreeLeaf: version v1, leaf_type timestamped_entry, the TimestampedEntry. */
export function encodeMerkleTreeLeaf(e: TimestampedEntry): Bytes {
  const w = new TlsWriter().uint8(CT_V1).uint8(MERKLE_LEAF_TYPE_TIMESTAMPED_ENTRY);
  writeTimestampedEntry(w, e);
  return w.finish();
}

export function decodeMerkleTreeLeaf(data: Uint8Array): TimestampedEntry {
  const r = new TlsReader(data);
  const version = r.uint8();
  const leafType = r.uint8();
  if (version !== CT_V1 || leafType !== MERKLE_LEAF_TYPE_TIMESTAMPED_ENTRY) throw new TlsDecodeError(`unsupported MerkleTreeLeaf ${version}/${leafType}`);
  const e = readTimestampedEntry(r);
  r.end();
  return e;
}

/** RFC 6962 §2.1 leaf hash of the §3.4 MerkleTreeLeaf: the value stored in level-0 tiles. */
export function merkleLeafHash(e: TimestampedEntry | Uint8Array): Bytes {
  return leafHash(e instanceof Uint8Array ? e : encodeMerkleTreeLeaf(e));
}

/**
 * RFC 6962 §3.2: the digitally-signed struct of an SCT: sct_version, signature_type
 * certificate_timestamp, timestamp, entry_type, signed_entry, extensions. (Byte for byte the
 * MerkleTreeLeaf, since both second fields are a zero byte.)
 */
export function sctSignatureInput(e: TimestampedEntry): Bytes {
  const w = new TlsWriter().uint8(CT_V1).uint8(SIGNATURE_TYPE_CERTIFICATE_TIMESTAMP);
  writeTimestampedEntry(w, e);
  return w.finish();
}

/** RFC 6962 §3.5: the digitally-signed TreeHeadSignature over an STH. */
export function treeHeadSignatureInput(timestamp: number, treeSize: number, rootHash: Uint8Array): Bytes {
  return new TlsWriter()
    .uint8(CT_V1)
    .uint8(SIGNATURE_TYPE_TREE_HASH)
    .uint64(timestamp)
    .uint64(treeSize)
    .fixed(rootHash, 32)
    .finish();
}

/** static-ct-api "SCT Extension": struct { ExtensionType extension_type; opaque extension_data<0..2^16-1>; }. */
export interface CtExtension {
  readonly type: number;
  readonly data: Uint8Array;
}

/** The CtExtensions body: Extension list, no duplicate types (static-ct-api). */
export function encodeCtExtensions(extensions: readonly CtExtension[]): Bytes {
  const types = new Set<number>();
  const w = new TlsWriter();
  for (const e of extensions) {
    if (types.has(e.type)) throw new RangeError(`duplicate CT extension type ${e.type}`);
    types.add(e.type);
    w.uint8(e.type).opaque(e.data, 2);
  }
  return w.finish();
}

export function decodeCtExtensions(body: Uint8Array): CtExtension[] {
  const r = new TlsReader(body);
  const out: CtExtension[] = [];
  const types = new Set<number>();
  while (r.remaining > 0) {
    const type = r.uint8();
    if (types.has(type)) throw new TlsDecodeError(`duplicate CT extension type ${type}`);
    types.add(type);
    out.push({ type, data: r.opaque(2) });
  }
  return out;
}

/** The 8-byte CtExtensions body holding only leaf_index (static-ct-api requires it in every SCT). */
export function leafIndexExtensions(index: number): Bytes {
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_LEAF_INDEX) throw new RangeError(`leaf index ${index} is not a uint40`);
  return encodeCtExtensions([{ type: EXTENSION_TYPE_LEAF_INDEX, data: new TlsWriter().uint40(index).finish() }]);
}

/** The leaf_index in a CtExtensions body, or null when absent or malformed. Other extensions are ignored. */
export function parseLeafIndex(body: Uint8Array): number | null {
  let exts: CtExtension[];
  try {
    exts = decodeCtExtensions(body);
  } catch (e) {
    if (e instanceof TlsDecodeError) return null;
    throw e;
  }
  const ext = exts.find((e) => e.type === EXTENSION_TYPE_LEAF_INDEX);
  if (ext === undefined || ext.data.length !== 5) return null;
  return new TlsReader(ext.data).uint40();
}

/** RFC 5246 §4.7 digitally-signed: SignatureAndHashAlgorithm then opaque signature<0..2^16-1>. */
export interface DigitallySigned {
  readonly hashAlgorithm: number;
  readonly signatureAlgorithm: number;
  readonly signature: Uint8Array;
}

function writeDigitallySigned(w: TlsWriter, ds: DigitallySigned): void {
  w.uint8(ds.hashAlgorithm).uint8(ds.signatureAlgorithm).opaque(ds.signature, 2);
}

function readDigitallySigned(r: TlsReader): DigitallySigned {
  const hashAlgorithm = r.uint8();
  const signatureAlgorithm = r.uint8();
  return { hashAlgorithm, signatureAlgorithm, signature: r.opaque(2) };
}

export function encodeDigitallySigned(ds: DigitallySigned): Bytes {
  const w = new TlsWriter();
  writeDigitallySigned(w, ds);
  return w.finish();
}

export function decodeDigitallySigned(data: Uint8Array): DigitallySigned {
  const r = new TlsReader(data);
  const ds = readDigitallySigned(r);
  r.end();
  return ds;
}

/** RFC 6962 §2.1.4 lets logs use ECDSA P-256 or RSA; this log uses (and verifies) ECDSA P-256 only. */
function isP256(key: CryptoKey): boolean {
  const alg = key.algorithm;
  return alg.name === "ECDSA" && "namedCurve" in alg && alg.namedCurve === "P-256";
}

/** Signs with an ECDSA P-256 private key: SHA-256, DER signature (RFC 6962 §2.1.4). */
export async function signDigitallySigned(privateKey: CryptoKey, data: Uint8Array<ArrayBuffer>): Promise<DigitallySigned> {
  if (!isP256(privateKey)) throw new TypeError("CT signatures need an ECDSA P-256 key");
  const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, data));
  return { hashAlgorithm: HASH_ALGORITHM_SHA256, signatureAlgorithm: SIGNATURE_ALGORITHM_ECDSA, signature: ecdsaP1363ToDer(raw) };
}

/** Verifies an ECDSA P-256 / SHA-256 DigitallySigned; any other algorithm pair is rejected. */
export async function verifyDigitallySigned(publicKey: CryptoKey, data: Uint8Array<ArrayBuffer>, ds: DigitallySigned): Promise<boolean> {
  if (ds.hashAlgorithm !== HASH_ALGORITHM_SHA256 || ds.signatureAlgorithm !== SIGNATURE_ALGORITHM_ECDSA || !isP256(publicKey)) return false;
  const raw = ecdsaDerToP1363(ds.signature, 32);
  if (raw === null) return false;
  return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, publicKey, raw, data);
}

/**
 * Signs a tree head (RFC 6962 §3.5). The result serves both get-sth and, wrapped by
 * note.rfc6962NoteSignature, the checkpoint's static-ct-api note signature.
 */
export async function signTreeHead(privateKey: CryptoKey, timestamp: number, treeSize: number, rootHash: Uint8Array): Promise<DigitallySigned> {
  return signDigitallySigned(privateKey, treeHeadSignatureInput(timestamp, treeSize, rootHash));
}

/** RFC 6962 §3.2 LogID: SHA-256 of the log's DER SubjectPublicKeyInfo. */
export async function logIdFromSpki(spkiDer: Uint8Array<ArrayBuffer>): Promise<Bytes> {
  return sha256(spkiDer);
}

/** RFC 6962 §3.2 SignedCertificateTimestamp (v1). */
export interface SignedCertificateTimestamp {
  readonly logId: Uint8Array;
  readonly timestamp: number;
  /** The CtExtensions body. */
  readonly extensions: Uint8Array;
  readonly signature: DigitallySigned;
}

export function encodeSct(sct: SignedCertificateTimestamp): Bytes {
  const w = new TlsWriter().uint8(CT_V1).fixed(sct.logId, LOG_ID_SIZE).uint64(sct.timestamp).opaque(sct.extensions, 2);
  writeDigitallySigned(w, sct.signature);
  return w.finish();
}

export function decodeSct(data: Uint8Array): SignedCertificateTimestamp {
  const r = new TlsReader(data);
  const version = r.uint8();
  if (version !== CT_V1) throw new TlsDecodeError(`unsupported SCT version ${version}`);
  const logId = r.fixed(LOG_ID_SIZE);
  const timestamp = r.uint64();
  const extensions = r.opaque(2);
  const signature = readDigitallySigned(r);
  r.end();
  return { logId, timestamp, extensions, signature };
}

/**
 * Issues an SCT (RFC 6962 §3.2) for an entry already sequenced at leafIndex: the static-ct-api
 * leaf_index extension goes into both the signed data and the SCT, so the SCT names its entry.
 * `sequenced`: the entry's TimestampedEntry and MerkleTreeLeaf when the caller has built them
 * (the signed data is the MerkleTreeLeaf's bytes, see sctSignatureInput).
 */
export async function signSct(
  privateKey: CryptoKey,
  logId: Uint8Array,
  timestamp: number,
  entry: SignedEntry,
  leafIndex: number,
  sequenced?: { readonly timestampedEntry: TimestampedEntry; readonly merkleTreeLeaf: Uint8Array<ArrayBuffer> },
): Promise<{ sct: SignedCertificateTimestamp; timestampedEntry: TimestampedEntry }> {
  const timestampedEntry: TimestampedEntry = sequenced?.timestampedEntry ?? { timestamp, entry, extensions: leafIndexExtensions(leafIndex) };
  const signature = await signDigitallySigned(privateKey, sequenced?.merkleTreeLeaf ?? sctSignatureInput(timestampedEntry));
  return { sct: { logId: logId.slice(), timestamp, extensions: timestampedEntry.extensions, signature }, timestampedEntry };
}

/** Verifies an SCT over the entry it was issued for (RFC 6962 §5.2 "reconstruct the signed data"). */
export async function verifySct(publicKey: CryptoKey, sct: SignedCertificateTimestamp, entry: SignedEntry): Promise<boolean> {
  const input = sctSignatureInput({ timestamp: sct.timestamp, entry, extensions: sct.extensions });
  return verifyDigitallySigned(publicKey, input, sct.signature);
}

/** RFC 6962 §3.3: SignedCertificateTimestampList { SerializedSCT sct_list<1..2^16-1> }, SerializedSCT opaque<1..2^16-1>. */
export function encodeSctList(serializedScts: readonly Uint8Array[]): Bytes {
  return new TlsWriter()
    .vector(2, (w) => {
      for (const s of serializedScts) w.opaque(s, 2, 1);
    }, 1)
    .finish();
}

export function decodeSctList(data: Uint8Array): Bytes[] {
  const r = new TlsReader(data);
  const list = r.vector(2, 1);
  r.end();
  const out: Bytes[] = [];
  while (list.remaining > 0) out.push(list.opaque(2, 1));
  return out;
}

/**
 * RFC 6962 §3.3: the certificate extension's extnValue is an OCTET STRING whose contents are the
 * DER OCTET STRING wrapping the TLS-encoded list. This returns that inner DER OCTET STRING.
 */
export function sctListExtensionValue(serializedScts: readonly Uint8Array[]): Bytes {
  const list = encodeSctList(serializedScts);
  const n = list.length;
  // DER definite length: short form below 128, else 0x81/0x82 and the length (the list is < 2^16+2).
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return concatBytes(Uint8Array.of(0x04, ...len), list);
}

/**
 * static-ct-api "Log entries" TileLeaf: the TimestampedEntry, then pre_certificate for
 * precert_entry, then the SHA-256 fingerprints of the submitted chain (for precertificates this
 * chain starts with the Precertificate Signing Certificate when one was used).
 */
export interface TileLeaf {
  readonly timestampedEntry: TimestampedEntry;
  /** The submitted precertificate (RFC 6962 §3.1 pre_certificate); present iff the entry is a precert_entry. */
  readonly preCertificate?: Uint8Array;
  readonly chainFingerprints: readonly Uint8Array[];
}

/** `encodedEntry`: the TimestampedEntry already encoded (a MerkleTreeLeaf's bytes after its first two). */
export function encodeTileLeaf(leaf: TileLeaf, encodedEntry?: Uint8Array): Bytes {
  const w = new TlsWriter();
  if (encodedEntry) w.fixed(encodedEntry, encodedEntry.length);
  else writeTimestampedEntry(w, leaf.timestampedEntry);
  const isPrecert = leaf.timestampedEntry.entry.type === "precert";
  if (isPrecert !== (leaf.preCertificate !== undefined)) throw new RangeError("pre_certificate must be present exactly for precert_entry");
  if (leaf.preCertificate !== undefined) w.opaque(leaf.preCertificate, 3, 1);
  w.vector(2, (v) => {
    for (const f of leaf.chainFingerprints) v.fixed(f, FINGERPRINT_SIZE);
  });
  return w.finish();
}

function readTileLeaf(r: TlsReader): TileLeaf {
  const timestampedEntry = readTimestampedEntry(r);
  const preCertificate = timestampedEntry.entry.type === "precert" ? r.opaque(3, 1) : undefined;
  const fingerprints = r.vector(2);
  if (fingerprints.remaining % FINGERPRINT_SIZE !== 0) throw new TlsDecodeError("certificate_chain is not a list of 32-byte fingerprints");
  const chainFingerprints: Bytes[] = [];
  while (fingerprints.remaining > 0) chainFingerprints.push(fingerprints.fixed(FINGERPRINT_SIZE));
  return preCertificate === undefined ? { timestampedEntry, chainFingerprints } : { timestampedEntry, preCertificate, chainFingerprints };
}

/** A data tile is TileLeaf structures back to back, one per entry of the matching level-0 tile. */
export function encodeDataTile(leaves: readonly TileLeaf[]): Bytes {
  return concatBytes(leaves.map((l) => encodeTileLeaf(l)));
}

export function decodeDataTile(data: Uint8Array): TileLeaf[] {
  const r = new TlsReader(data);
  const out: TileLeaf[] = [];
  while (r.remaining > 0) out.push(readTileLeaf(r));
  return out;
}
