// One sequencing step, as a pure function: give a batch of new entries consecutive indices after
// the current tree, and compute everything the round must persist and publish — the new right
// edge of the tree (tlog-tiles), the changed hash tiles, the changed data tiles (static-ct-api
// "Log entries") and the new root. Storage and signing are the caller's (log-sequencer.ts).

import { type Bytes, concatBytes, sha256Sync } from "../encoding/bytes.ts";
import { EMPTY_EDGE, TILE_WIDTH, type TreeEdge, appendLeaves, dataTilePath, tilePath } from "../merkle/tiles.ts";
import { emptyTreeHash } from "../merkle/hash.ts";
import { TlsWriter } from "./tls.ts";
import { type SignedEntry, type TimestampedEntry, encodeMerkleTreeLeaf, encodeTileLeaf, leafIndexExtensions, merkleLeafHash } from "./structures.ts";

/** The tree as the sequencer needs it between rounds. */
export interface TreeState {
  readonly size: number;
  readonly root: Bytes;
  /** Timestamp (ms) of the latest tree head; tree head timestamps never go backwards. */
  readonly timestamp: number;
  readonly edge: TreeEdge;
  /** The TileLeaf bytes of the partial data tile (size mod 256 entries; empty when none). */
  readonly dataEdge: Bytes;
}

export function emptyTree(timestamp: number): TreeState {
  return { size: 0, root: emptyTreeHash(), timestamp, edge: EMPTY_EDGE, dataEdge: new Uint8Array(0) };
}

export interface NewEntry {
  readonly entry: SignedEntry;
  readonly preCertificate?: Uint8Array;
  /** SHA-256 fingerprints of the issuers (TileLeaf certificate_chain). */
  readonly chainFingerprints: readonly Uint8Array[];
}

export interface SequencedEntry {
  readonly index: number;
  readonly timestamp: number;
  readonly leafHash: Bytes;
  readonly timestampedEntry: TimestampedEntry;
  /** The RFC 6962 §3.4 MerkleTreeLeaf: hashed into the tree, and the data its SCT signs. */
  readonly merkleTreeLeaf: Bytes;
}

/** An object to publish, relative to the log's prefix. */
export interface Upload {
  readonly path: string;
  readonly data: Uint8Array;
}

/** A tile to publish; a full one is immutable, a partial one is recomputable from the tree state (partialTiles). */
export interface TileUpload extends Upload {
  readonly full: boolean;
}

export interface SequencedBatch {
  readonly tree: TreeState;
  readonly entries: SequencedEntry[];
  /** New and widened hash tiles and data tiles. */
  readonly tiles: TileUpload[];
}

/**
 * The dedup identity of an entry: SHA-256 of its RFC 6962 §3.1 LogEntryType and signed_entry.
 * Two submissions of the same certificate (or of the same precertificate TBS under the same
 * issuer key) have the same identity regardless of the chain they came with.
 */
export function entryIdentity(entry: SignedEntry): Bytes {
  const w = new TlsWriter();
  if (entry.type === "x509") w.uint16(0).opaque(entry.certificate, 3, 1);
  else w.uint16(1).fixed(entry.issuerKeyHash, 32).opaque(entry.tbsCertificate, 3, 1);
  return sha256Sync(w.finish());
}

/**
 * Appends `batch` at `timestamp` (every entry of a round shares it; it must not be below the
 * previous tree head's). Each entry's SCT extensions carry its leaf_index (static-ct-api), which
 * is part of the MerkleTreeLeaf and so of the leaf hash.
 */
export function sequenceBatch(tree: TreeState, batch: readonly NewEntry[], timestamp: number): SequencedBatch {
  if (batch.length === 0) throw new RangeError("an empty batch is not a round");
  if (timestamp < tree.timestamp) throw new RangeError("tree head timestamps must not go backwards");
  const entries: SequencedEntry[] = [];
  const leafBytes: Uint8Array[] = [];
  batch.forEach((e, i) => {
    const index = tree.size + i;
    const timestampedEntry: TimestampedEntry = { timestamp, entry: e.entry, extensions: leafIndexExtensions(index) };
    // Encoded once: the leaf hash, the SCT and the TileLeaf (which starts with the TimestampedEntry) all use these bytes.
    const merkleTreeLeaf = encodeMerkleTreeLeaf(timestampedEntry);
    entries.push({ index, timestamp, leafHash: merkleLeafHash(merkleTreeLeaf), timestampedEntry, merkleTreeLeaf });
    const tileLeaf = e.preCertificate === undefined
      ? { timestampedEntry, chainFingerprints: e.chainFingerprints }
      : { timestampedEntry, preCertificate: e.preCertificate, chainFingerprints: e.chainFingerprints };
    leafBytes.push(encodeTileLeaf(tileLeaf, merkleTreeLeaf.subarray(2)));
  });
  const appended = appendLeaves(tree.edge, entries.map((e) => e.leafHash));
  const tiles: TileUpload[] = appended.tiles.map((t) => ({ path: tilePath(t.tile), data: t.hashes, full: t.tile.width === TILE_WIDTH }));

  // Data tiles mirror level-0 tiles: the old partial data tile grows, full ones are emitted.
  let tileIndex = Math.floor(tree.size / TILE_WIDTH);
  let pending: Uint8Array[] = tree.dataEdge.length > 0 ? [tree.dataEdge] : [];
  let count = tree.size % TILE_WIDTH;
  let dataEdge: Bytes = new Uint8Array(0);
  for (const leaf of leafBytes) {
    pending.push(leaf);
    count++;
    if (count === TILE_WIDTH) {
      tiles.push({ path: dataTilePath(tileIndex, TILE_WIDTH), data: concatBytes(pending), full: true });
      tileIndex++;
      pending = [];
      count = 0;
    }
  }
  if (count > 0) {
    dataEdge = concatBytes(pending);
    tiles.push({ path: dataTilePath(tileIndex, count), data: dataEdge, full: false });
  }
  return {
    tree: { size: appended.edge.size, root: appended.root, timestamp, edge: appended.edge, dataEdge },
    entries,
    tiles,
  };
}

/**
 * Every partial tile of a tree (hash tiles at each level, and the data tile, at `dataPath`):
 * what the rounds that touched them published, recomputed from the state for a publication a
 * crash or an R2 failure interrupted.
 */
export function partialTiles(tree: TreeState, dataPath: (index: number, width: number) => string = dataTilePath): Upload[] {
  const out: Upload[] = [];
  tree.edge.partials.forEach((row, level) => {
    if (row.length === 0) return;
    const index = Math.floor(tree.size / TILE_WIDTH ** level / TILE_WIDTH);
    out.push({ path: tilePath({ level, index, width: row.length }), data: concatBytes(row) });
  });
  if (tree.size % TILE_WIDTH !== 0) out.push({ path: dataPath(Math.floor(tree.size / TILE_WIDTH), tree.size % TILE_WIDTH), data: tree.dataEdge });
  return out;
}
