// The RFC 6962 §4 read API computed from what the log publishes for the static-ct-api: the
// checkpoint (which carries the RFC 6962 tree head signature, static-ct-api "Checkpoints"), the
// hash tiles (proofs, via src/merkle) and the data tiles (entries). A monitor speaking either API
// therefore sees the same log, and these answers need no access to the sequencer.

import { type Bytes } from "../encoding/bytes.ts";
import { toHex } from "../encoding/bytes.ts";
import { type ProofPlan, planNodes, resolvePlan, consistencyProofPlan, inclusionProofPlan } from "../merkle/proofs.ts";
import { TILE_WIDTH, type TileSource, dataTilePath, tilePath, tileNodeReader, tileWidth, tilesForNodes } from "../merkle/tiles.ts";
import { parseCheckpoint } from "../note/checkpoint.ts";
import { parseNote, rfc6962KeyId } from "../note/note.ts";
import { type DigitallySigned, type TileLeaf, decodeDataTile, decodeDigitallySigned } from "./structures.ts";
import { TlsDecodeError, TlsReader, TlsWriter } from "./tls.ts";

/** Reads a published object by its path under the log prefix; null when it does not exist. */
export type ObjectReader = (path: string) => Promise<Uint8Array | null>;

export class MissingObjectError extends Error {
  override readonly name = "MissingObjectError";
}

/** RFC 6962 §4.3 get-sth: the latest published tree head. */
export interface PublishedTreeHead {
  readonly size: number;
  readonly rootHash: Bytes;
  readonly timestamp: number;
  readonly signature: DigitallySigned;
}

/**
 * Converts the published checkpoint back into an RFC 6962 STH (static-ct-api: "a get-sth
 * response can be converted to a checkpoint … and vice-versa"). The 0x05 signature is found by
 * the key name (the origin) and the key ID derived from the log ID.
 */
export async function publishedTreeHead(read: ObjectReader, origin: string, logId: Uint8Array): Promise<PublishedTreeHead | null> {
  const raw = await read("checkpoint");
  if (raw === null) return null;
  const note = parseNote(raw);
  const checkpoint = note && parseCheckpoint(note.text);
  if (!note || !checkpoint || checkpoint.origin !== origin) throw new Error("the published checkpoint is malformed");
  const keyId = rfc6962KeyId(origin, logId);
  const sig = note.signatures.find((s) => s.name === origin && s.keyId === keyId);
  if (!sig) return null;
  try {
    const timestamp = new TlsReader(sig.signature.subarray(0, 8)).uint64();
    return { size: checkpoint.size, rootHash: checkpoint.rootHash as Bytes, timestamp, signature: decodeDigitallySigned(sig.signature.subarray(8)) };
  } catch (e) {
    if (e instanceof TlsDecodeError) throw new Error("the published checkpoint's RFC 6962 signature is malformed");
    throw e;
  }
}

/**
 * Fetches hash tile (level, index) as wide as a tree of `size` needs. A partial tile exists only
 * for sizes that had a checkpoint, so when `size` was never published the full tile, or the
 * partial tile of the current tree, holds the same hashes and more (tlog-tiles "Partial Tiles").
 */
async function fetchTile(read: ObjectReader, level: number, index: number, size: number, currentSize: number): Promise<Uint8Array> {
  const widths = [tileWidth(size, level, index), TILE_WIDTH, tileWidth(currentSize, level, index)];
  for (const width of [...new Set(widths)]) {
    if (width === 0) continue;
    const data = await read(tilePath({ level, index, width }));
    if (data !== null) return data;
  }
  throw new MissingObjectError(`tile ${level}/${index} is not published`);
}

async function sourceForPlan(read: ObjectReader, plan: ProofPlan, size: number, currentSize: number): Promise<TileSource> {
  const tiles = tilesForNodes(planNodes(plan), size);
  const fetched = await Promise.all(tiles.map(async (t) => [`${t.level}/${t.index}`, await fetchTile(read, t.level, t.index, size, currentSize)] as const));
  const map = new Map(fetched);
  return (level, index) => map.get(`${level}/${index}`);
}

/** RFC 6962 §4.4 get-sth-consistency, from tiles. Sizes must satisfy 0 <= first <= second <= currentSize. */
export async function consistencyFromTiles(read: ObjectReader, first: number, second: number, currentSize: number): Promise<Bytes[]> {
  const plan = consistencyProofPlan(first, second);
  return resolvePlan(plan, tileNodeReader(await sourceForPlan(read, plan, second, currentSize)));
}

/** RFC 6962 §4.5 audit path, from tiles. Needs index < size <= currentSize. */
export async function inclusionFromTiles(read: ObjectReader, index: number, size: number, currentSize: number): Promise<Bytes[]> {
  const plan = inclusionProofPlan(index, size);
  return resolvePlan(plan, tileNodeReader(await sourceForPlan(read, plan, size, currentSize)));
}

/** Entries start..end (inclusive, end < currentSize) from the data tiles. */
export async function leavesFromDataTiles(read: ObjectReader, start: number, end: number, currentSize: number): Promise<TileLeaf[]> {
  const out: TileLeaf[] = [];
  for (let n = Math.floor(start / TILE_WIDTH); n <= Math.floor(end / TILE_WIDTH); n++) {
    const width = tileWidth(currentSize, 0, n);
    let data = await read(dataTilePath(n, width));
    if (data === null && width < TILE_WIDTH) data = await read(dataTilePath(n, TILE_WIDTH));
    if (data === null) throw new MissingObjectError(`data tile ${n} is not published`);
    const leaves = decodeDataTile(data);
    const from = Math.max(start, n * TILE_WIDTH) - n * TILE_WIDTH;
    const to = Math.min(end, n * TILE_WIDTH + leaves.length - 1) - n * TILE_WIDTH;
    for (let i = from; i <= to; i++) out.push(leaves[i]!);
  }
  return out;
}

/**
 * RFC 6962 §4.6 extra_data: for an x509_entry the certificate_chain (ASN.1Cert list); for a
 * precert_entry the PrecertChainEntry (pre_certificate, then precertificate_chain). The chain is
 * rebuilt from the issuers the TileLeaf fingerprints name (static-ct-api "Issuers").
 */
export async function extraData(read: ObjectReader, leaf: TileLeaf, issuerCache: Map<string, Uint8Array> = new Map()): Promise<Bytes> {
  const chain: Uint8Array[] = [];
  for (const fp of leaf.chainFingerprints) {
    const hex = toHex(fp);
    let der = issuerCache.get(hex);
    if (der === undefined) {
      const got = await read(`issuer/${hex}`);
      if (got === null) throw new MissingObjectError(`issuer ${hex} is not published`);
      der = got;
      issuerCache.set(hex, der);
    }
    chain.push(der);
  }
  const w = new TlsWriter();
  if (leaf.preCertificate !== undefined) w.opaque(leaf.preCertificate, 3, 1);
  w.vector(3, (v) => {
    for (const c of chain) v.opaque(c, 3, 1);
  });
  return w.finish();
}
