// C2SP tlog-tiles (as used by c2sp.org/static-ct-api): the Merkle tree stored as tiles of 256
// hashes. Tile (L, N) holds, at position i, MTH(D[(N·256 + i)·256^L : (N·256 + i + 1)·256^L]),
// i.e. the perfect subtree at tree level 8·L with index N·256 + i. Levels in between are
// recomputed by hashing inside a tile.
//
// The log's right edge is its set of partial tiles (at most one per level). Everything a
// sequencer needs to append leaves and compute the new root is in that edge, because every node
// that is not yet inside a full tile lives in a partial tile (see appendLeaves).

import type { Bytes } from "../encoding/bytes.ts";
import { HASH_SIZE, type NodeReader, type NodeRef, emptyTreeHash, nodeHash, perfectSubtrees, reducePerfect, treeHash } from "./hash.ts";

/** tlog-tiles "Merkle Tree": tiles are 8 levels tall and so 2^8 hashes wide. */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;

/** A tile of the tree, or (for data tiles) the entries of the level-0 tile with the same index. */
export interface Tile {
  /** Tile level L (0 = leaf hashes). */
  readonly level: number;
  /** Tile index N within its level. */
  readonly index: number;
  /** Number of hashes: 256 for a full tile, 1..255 for a partial tile. */
  readonly width: number;
}

/** A tile and its contents: width × 32 bytes of concatenated hashes. */
export interface TileData {
  readonly tile: Tile;
  readonly hashes: Bytes;
}

/**
 * Returns the bytes stored for tile (level, index) at any width that was written, or undefined.
 * A partial tile may be returned where a wider one exists; readers check they have enough hashes.
 */
export type TileSource = (level: number, index: number) => Uint8Array | undefined;

function checkIndex(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative safe integer, got ${n}`);
}

function checkTile(t: Tile): void {
  checkIndex("tile level", t.level);
  checkIndex("tile index", t.index);
  if (!Number.isInteger(t.width) || t.width < 1 || t.width > TILE_WIDTH) throw new RangeError(`tile width must be 1..256, got ${t.width}`);
}

/**
 * tlog-tiles: N is written as zero-padded 3-digit path elements, all but the last prefixed with
 * "x" (1234067 → x001/x234/067), so a directory never holds both a file and a subdirectory.
 */
export function encodeTileIndex(n: number): string {
  checkIndex("tile index", n);
  let s = String(n % 1000).padStart(3, "0");
  for (let rest = Math.floor(n / 1000); rest > 0; rest = Math.floor(rest / 1000)) {
    s = `x${String(rest % 1000).padStart(3, "0")}/${s}`;
  }
  return s;
}

function widthSuffix(width: number): string {
  return width === TILE_WIDTH ? "" : `.p/${width}`;
}

/** tlog-tiles: `tile/<L>/<N>[.p/<W>]`, with `.p/<W>` only for partial tiles. */
export function tilePath(t: Tile): string {
  checkTile(t);
  return `tile/${t.level}/${encodeTileIndex(t.index)}${widthSuffix(t.width)}`;
}

/** static-ct-api "Log entries": `tile/data/<N>[.p/<W>]`, matching level-0 tile N of width W. */
export function dataTilePath(index: number, width: number): string {
  checkTile({ level: 0, index, width });
  return `tile/data/${encodeTileIndex(index)}${widthSuffix(width)}`;
}

export type ParsedTilePath = { readonly kind: "hash"; readonly tile: Tile } | { readonly kind: "data"; readonly tile: Tile };

const DECIMAL_NO_LEADING_ZERO = /^(0|[1-9][0-9]*)$/;

/**
 * Parses a tile or data tile path strictly: levels 0..63 without leading zeroes (tlog-tiles; the
 * static-ct-api narrows this to 0..5 and callers may check), 3-digit index elements, widths
 * 1..255 without leading zeroes. Returns null for anything else, including non-canonical forms.
 */
export function parseTilePath(path: string): ParsedTilePath | null {
  const parts = path.split("/");
  if (parts.length < 3 || parts[0] !== "tile") return null;
  const levelPart = parts[1]!;
  let kind: "hash" | "data";
  let level: number;
  if (levelPart === "data") {
    kind = "data";
    level = 0;
  } else if (DECIMAL_NO_LEADING_ZERO.test(levelPart)) {
    kind = "hash";
    level = Number(levelPart);
    if (level > 63) return null;
  } else {
    return null;
  }
  let rest = parts.slice(2);
  let width = TILE_WIDTH;
  const pAt = rest.length - 2;
  const pElem = rest[pAt];
  if (pElem !== undefined && pElem.endsWith(".p")) {
    const w = rest[pAt + 1]!;
    if (!DECIMAL_NO_LEADING_ZERO.test(w)) return null;
    width = Number(w);
    if (width < 1 || width > 255) return null;
    rest = [...rest.slice(0, pAt), pElem.slice(0, -2)];
  }
  let index = 0;
  for (let i = 0; i < rest.length; i++) {
    const elem = rest[i]!;
    const last = i === rest.length - 1;
    const digits = last ? elem : elem.startsWith("x") ? elem.slice(1) : "";
    if (!/^[0-9]{3}$/.test(digits)) return null;
    index = index * 1000 + Number(digits);
  }
  if (!Number.isSafeInteger(index)) return null;
  // Reject non-canonical encodings such as x000/001 for 1.
  if (rest.length > 1 && rest[0] === "x000") return null;
  return { kind, tile: { level, index, width } };
}

/** Number of hashes at tile level `level` in a tree of `size` leaves: floor(size / 256^level). */
function levelCount(size: number, level: number): number {
  return Math.floor(size / TILE_WIDTH ** level);
}

/**
 * The width of tile (level, index) in a tree of `size` leaves, or 0 if the tree has no such tile.
 * tlog-tiles "Partial Tiles": the partial tile at level l has floor(s / 256^l) mod 256 entries.
 */
export function tileWidth(size: number, level: number, index: number): number {
  const count = levelCount(size, level);
  const start = index * TILE_WIDTH;
  if (count <= start) return 0;
  return Math.min(TILE_WIDTH, count - start);
}

/**
 * Every tile a tree of `size` leaves has, full and partial, level by level. For example a tree of
 * size 70,000 has 273 full and one 112-wide level-0 tiles, one full and one 17-wide level-1 tile,
 * and one 1-wide level-2 tile (tlog-tiles "Partial Tiles").
 */
export function tilesForSize(size: number): Tile[] {
  checkIndex("tree size", size);
  const out: Tile[] = [];
  for (let level = 0; levelCount(size, level) > 0; level++) {
    const count = levelCount(size, level);
    const full = Math.floor(count / TILE_WIDTH);
    for (let index = 0; index < full; index++) out.push({ level, index, width: TILE_WIDTH });
    if (count % TILE_WIDTH !== 0) out.push({ level, index: full, width: count % TILE_WIDTH });
  }
  return out;
}

/** The tiles a tree of newSize has that a tree of oldSize does not have, or has narrower. */
export function newTiles(oldSize: number, newSize: number): Tile[] {
  checkIndex("old size", oldSize);
  checkIndex("new size", newSize);
  if (newSize < oldSize) throw new RangeError(`tree cannot shrink from ${oldSize} to ${newSize}`);
  const out: Tile[] = [];
  for (let level = 0; levelCount(newSize, level) > 0; level++) {
    const oldCount = levelCount(oldSize, level);
    const newCount = levelCount(newSize, level);
    if (newCount === oldCount) continue;
    const first = Math.floor(oldCount / TILE_WIDTH);
    const last = Math.floor((newCount - 1) / TILE_WIDTH);
    for (let index = first; index <= last; index++) out.push({ level, index, width: tileWidth(newSize, level, index) });
  }
  return out;
}

/** The tile holding node (level, index) and the positions [from, to) of the hashes it is built from. */
function locate(node: NodeRef): { tileLevel: number; tileIndex: number; from: number; to: number } {
  const tileLevel = Math.floor(node.level / TILE_HEIGHT);
  const span = 2 ** (node.level % TILE_HEIGHT);
  const first = node.index * span; // index of the first covered hash at tree level 8·tileLevel
  const tileIndex = Math.floor(first / TILE_WIDTH);
  const from = first - tileIndex * TILE_WIDTH;
  return { tileLevel, tileIndex, from, to: from + span };
}

/**
 * The tiles (at their widths in a tree of `size` leaves) needed to read the given nodes. Use it
 * with proofs.planNodes to fetch exactly what a proof needs.
 */
export function tilesForNodes(nodes: readonly NodeRef[], size: number): Tile[] {
  const seen = new Set<string>();
  const out: Tile[] = [];
  for (const n of nodes) {
    const { tileLevel, tileIndex, to } = locate(n);
    const width = tileWidth(size, tileLevel, tileIndex);
    if (width < to) throw new RangeError(`node ${n.level}/${n.index} is not in a tree of size ${size}`);
    const key = `${tileLevel}/${tileIndex}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ level: tileLevel, index: tileIndex, width });
    }
  }
  return out;
}

/** The tiles holding the perfect subtrees of the root of a tree of `size` leaves. */
export function tilesForRoot(size: number): Tile[] {
  return size === 0 ? [] : tilesForNodes(perfectSubtrees(0, size), size);
}

function hashAt(data: Uint8Array, i: number): Uint8Array {
  return data.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
}

/** Reads node (level, index) out of tile data, hashing inside the tile for intermediate levels. */
export function nodeFromTiles(source: TileSource, level: number, index: number): Bytes {
  checkIndex("node level", level);
  checkIndex("node index", index);
  const { tileLevel, tileIndex, from, to } = locate({ level, index });
  const data = source(tileLevel, tileIndex);
  if (data === undefined) throw new Error(`tile ${tileLevel}/${tileIndex} is not available`);
  if (data.length % HASH_SIZE !== 0 || data.length > TILE_WIDTH * HASH_SIZE) throw new Error(`tile ${tileLevel}/${tileIndex} has a malformed length ${data.length}`);
  if (data.length < to * HASH_SIZE) throw new Error(`tile ${tileLevel}/${tileIndex} is too narrow for node ${level}/${index}`);
  const hashes: Uint8Array[] = [];
  for (let i = from; i < to; i++) hashes.push(hashAt(data, i));
  return reducePerfect(hashes);
}

/** A NodeReader over tiles: the "hash reader" proofs and root computation use. */
export function tileNodeReader(source: TileSource): NodeReader {
  return (level, index) => nodeFromTiles(source, level, index);
}

/** A TileSource over an in-memory collection of tiles (the widest copy of each wins). */
export function tileSourceFrom(tiles: Iterable<TileData>): TileSource {
  const map = new Map<string, Uint8Array>();
  for (const { tile, hashes } of tiles) {
    const key = `${tile.level}/${tile.index}`;
    const have = map.get(key);
    if (have === undefined || have.length < hashes.length) map.set(key, hashes);
  }
  return (level, index) => map.get(`${level}/${index}`);
}

/** The root hash of a tree of `size` leaves, read from its tiles. */
export function rootFromTiles(size: number, source: TileSource): Bytes {
  return treeHash(size, tileNodeReader(source));
}

function concatHashes(hashes: readonly Uint8Array[]): Bytes {
  const out = new Uint8Array(hashes.length * HASH_SIZE);
  hashes.forEach((h, i) => {
    if (h.length !== HASH_SIZE) throw new RangeError(`hash ${i} is ${h.length} bytes, not ${HASH_SIZE}`);
    out.set(h, i * HASH_SIZE);
  });
  return out;
}

/**
 * The right edge of a tree: its size and, for each tile level, the hashes of the partial tile at
 * that level (empty where the level has no partial tile). partials.length is the number of tile
 * levels of the tree that have at least one hash.
 */
export interface TreeEdge {
  readonly size: number;
  readonly partials: readonly (readonly Uint8Array[])[];
}

export const EMPTY_EDGE: TreeEdge = { size: 0, partials: [] };

/** Builds the edge of a tree of `size` leaves from its stored partial tiles. */
export function edgeFromTiles(size: number, source: TileSource): TreeEdge {
  checkIndex("tree size", size);
  const partials: Uint8Array[][] = [];
  for (let level = 0; levelCount(size, level) > 0; level++) {
    const count = levelCount(size, level);
    const width = count % TILE_WIDTH;
    const row: Uint8Array[] = [];
    if (width > 0) {
      const index = Math.floor(count / TILE_WIDTH);
      const data = source(level, index);
      if (data === undefined || data.length < width * HASH_SIZE) throw new Error(`partial tile ${level}/${index} (width ${width}) is not available`);
      for (let i = 0; i < width; i++) row.push(hashAt(data, i).slice());
    }
    partials.push(row);
  }
  return { size, partials };
}

/** Checks an edge is self-consistent: each level holds exactly floor(size/256^l) mod 256 hashes. */
function checkEdge(edge: TreeEdge): void {
  checkIndex("tree size", edge.size);
  let levels = 0;
  while (levelCount(edge.size, levels) > 0) levels++;
  if (edge.partials.length !== levels) throw new RangeError(`edge of size ${edge.size} needs ${levels} levels, has ${edge.partials.length}`);
  edge.partials.forEach((row, level) => {
    const want = levelCount(edge.size, level) % TILE_WIDTH;
    if (row.length !== want) throw new RangeError(`edge level ${level} holds ${row.length} hashes, expected ${want}`);
    row.forEach((h) => {
      if (h.length !== HASH_SIZE) throw new RangeError(`edge level ${level} holds a ${h.length}-byte hash`);
    });
  });
}

// Perfect-subtree hashes inside edge rows, memoized by the subtree's first hash (object identity)
// and height. A row only grows on the right until its tile is full, so a complete subtree of it
// never changes; rows share their hash objects from round to round, so each round hashes only
// the nodes its new leaves complete (about one per leaf) instead of re-reducing the partial tiles
// (up to 255 hashes per level per round). Entries go with the row's hashes once a tile fills.
const subtreeMemo = new WeakMap<Uint8Array, Uint8Array[]>();

function rowSubtree(row: readonly Uint8Array[], start: number, height: number): Uint8Array {
  if (height === 0) return row[start]!;
  const first = row[start]!;
  let memo = subtreeMemo.get(first);
  const known = memo?.[height];
  if (known) return known;
  const half = 1 << (height - 1);
  const h = nodeHash(rowSubtree(row, start, height - 1), rowSubtree(row, start + half, height - 1));
  if (!memo) subtreeMemo.set(first, (memo = []));
  memo[height] = h;
  return h;
}

/**
 * The root hash of the tree an edge describes. Its perfect subtrees (RFC 6962's split, left to
 * right, largest first) follow the binary digits of the size, which are the 8-bit digits of each
 * level's partial width, top level first: every one lies inside a partial tile.
 */
export function rootFromEdge(edge: TreeEdge): Bytes {
  checkEdge(edge);
  if (edge.size === 0) return emptyTreeHash();
  const parts: Uint8Array[] = [];
  for (let level = edge.partials.length - 1; level >= 0; level--) {
    const row = edge.partials[level]!;
    let start = 0;
    for (let height = 7; height >= 0; height--) {
      if (row.length & (1 << height)) {
        parts.push(rowSubtree(row, start, height));
        start += 1 << height;
      }
    }
  }
  let h = parts[parts.length - 1]!;
  for (let i = parts.length - 2; i >= 0; i--) h = nodeHash(parts[i]!, h);
  return h.slice();
}

export interface AppendResult {
  /** The edge of the grown tree: input to the next append. */
  readonly edge: TreeEdge;
  /** Tiles whose content is new or changed (full tiles completed, new partial tiles), level by level. */
  readonly tiles: TileData[];
  /** MTH of the grown tree. */
  readonly root: Bytes;
}

/**
 * Appends leaf hashes to a tree known only by its edge. At each tile level the old partial tile
 * plus the hashes new to that level fill tiles from index floor(oldCount/256) on; every tile that
 * becomes full contributes its MTH (a perfect subtree of height 8) as a new hash one level up
 * (tlog-tiles: level l+1 holds MTHs of full level-l tiles; partial tiles are never hashed up).
 * Old hashes to the left of the edge are never needed.
 */
export function appendLeaves(edge: TreeEdge, leafHashes: readonly Uint8Array[]): AppendResult {
  checkEdge(edge);
  const newSize = edge.size + leafHashes.length;
  if (!Number.isSafeInteger(newSize)) throw new RangeError("tree size overflow");
  const tiles: TileData[] = [];
  const partials: Uint8Array[][] = [];
  let incoming: readonly Uint8Array[] = leafHashes;
  for (let level = 0; level < edge.partials.length || incoming.length > 0; level++) {
    const old = edge.partials[level] ?? [];
    if (incoming.length === 0) {
      partials.push(old.slice());
      continue;
    }
    const firstIndex = Math.floor(levelCount(edge.size, level) / TILE_WIDTH);
    const row = [...old, ...incoming];
    const up: Uint8Array[] = [];
    let offset = 0;
    for (let index = firstIndex; offset < row.length; index++) {
      const chunk = row.slice(offset, offset + TILE_WIDTH);
      offset += chunk.length;
      tiles.push({ tile: { level, index, width: chunk.length }, hashes: concatHashes(chunk) });
      if (chunk.length === TILE_WIDTH) up.push(reducePerfect(chunk));
      else partials.push(chunk);
    }
    if (row.length % TILE_WIDTH === 0) partials.push([]);
    incoming = up;
  }
  const next: TreeEdge = { size: newSize, partials };
  return { edge: next, tiles, root: rootFromEdge(next) };
}

/** All tiles of the tree with these leaf hashes, computed from scratch (full and partial). */
export function tilesFromLeafHashes(leafHashes: readonly Uint8Array[]): TileData[] {
  return appendLeaves(EMPTY_EDGE, leafHashes).tiles;
}
