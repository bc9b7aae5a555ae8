// RFC 6962 §2.1 Merkle Tree Hash (MTH) over SHA-256, the hash every CT log and C2SP tlog uses.
//
// Hashing is synchronous (sha256Sync): a sequencing round hashes thousands of nodes, and a
// Promise per node would cost more than the hashing itself.
//
// Tree sizes and indexes are JavaScript numbers. They must be safe integers; static-ct-api leaf
// indexes are 40-bit (c2sp.org/static-ct-api "SCT Extension"), far below 2^53. No bitwise
// operators are used on them because those truncate to 32 bits.

import { type Bytes, sha256Sync } from "../encoding/bytes.ts";

export const HASH_SIZE = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** RFC 6962 §2.1: MTH({d(0)}) = SHA-256(0x00 || d(0)). The prefix keeps leaves and nodes apart. */
export function leafHash(entry: Uint8Array): Bytes {
  return sha256Sync(LEAF_PREFIX, entry);
}

/** RFC 6962 §2.1: MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Bytes {
  return sha256Sync(NODE_PREFIX, left, right);
}

/** RFC 6962 §2.1: the hash of an empty list is the hash of an empty string. A fresh copy each call. */
export function emptyTreeHash(): Bytes {
  return sha256Sync(new Uint8Array(0));
}

/** The largest power of two strictly smaller than n (RFC 6962 §2.1 "k < n <= 2k"); n must be > 1. */
export function splitPoint(n: number): number {
  if (!Number.isSafeInteger(n) || n < 2) throw new RangeError(`no split point for ${n}`);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function isPowerOfTwo(n: number): boolean {
  if (!Number.isSafeInteger(n) || n < 1) return false;
  while (n % 2 === 0) n /= 2;
  return n === 1;
}

/** MTH of a list of already leaf-hashed entries, following the RFC 6962 §2.1 recursion. */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Bytes {
  if (leafHashes.length === 0) return emptyTreeHash();
  return rangeHash(0, leafHashes.length, (level, index) => perfectFromLeaves(leafHashes, level, index));
}

/** MTH(D[n]) over raw entries: the RFC 6962 §2.1 definition applied to d(0)..d(n-1). */
export function merkleTreeHash(entries: readonly Uint8Array[]): Bytes {
  return rootFromLeafHashes(entries.map(leafHash));
}

/**
 * A node of the tree that is the root of a perfect (complete) subtree: the MTH of the
 * 2^level leaves D[index·2^level : (index+1)·2^level]. This is what tlog-tiles stores
 * (c2sp.org/tlog-tiles "Merkle Tree") and what every proof is assembled from.
 */
export interface NodeRef {
  readonly level: number;
  readonly index: number;
}

/** Returns the hash of a perfect subtree; throws when it cannot (e.g. a tile is missing). */
export type NodeReader = (level: number, index: number) => Bytes;

/**
 * Splits D[start:end] into the perfect subtrees the RFC 6962 recursion produces, left to right
 * (sizes strictly decreasing). Valid for every range the recursion visits: start is a multiple
 * of the largest power of two not above end - start.
 */
export function perfectSubtrees(start: number, end: number): NodeRef[] {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end <= start) {
    throw new RangeError(`invalid range [${start}, ${end})`);
  }
  const out: NodeRef[] = [];
  let at = start;
  while (at < end) {
    let size = 1;
    let level = 0;
    while (size * 2 <= end - at) {
      size *= 2;
      level++;
    }
    if (at % size !== 0) throw new RangeError(`range [${start}, ${end}) is not a subtree of an RFC 6962 tree`);
    out.push({ level, index: at / size });
    at += size;
  }
  return out;
}

/**
 * Combines the perfect subtrees of a range (as perfectSubtrees lists them) into its MTH. The
 * RFC 6962 split at the largest power of two makes them combine right to left:
 * MTH = node(p0, node(p1, ... node(pk-1, pk))).
 */
export function combinePerfect(parts: readonly NodeRef[], read: NodeReader): Bytes {
  let i = parts.length - 1;
  if (i < 0) throw new RangeError("an empty range has no subtrees");
  const last = parts[i]!;
  let h = read(last.level, last.index);
  for (i--; i >= 0; i--) {
    const p = parts[i]!;
    h = nodeHash(read(p.level, p.index), h);
  }
  return h;
}

/** MTH(D[start:end]) from perfect-subtree hashes. */
export function rangeHash(start: number, end: number, read: NodeReader): Bytes {
  return combinePerfect(perfectSubtrees(start, end), read);
}

/** The root hash of the tree of the given size (RFC 6962 §2.1 MTH(D[0:size])). */
export function treeHash(size: number, read: NodeReader): Bytes {
  if (size === 0) return emptyTreeHash();
  return rangeHash(0, size, read);
}

/** Hashes 2^level consecutive hashes (already at the bottom of a perfect subtree) pairwise up to its root. */
export function reducePerfect(hashes: readonly Uint8Array[]): Bytes {
  if (hashes.length === 0 || !isPowerOfTwo(hashes.length)) {
    throw new RangeError(`a perfect subtree has a power-of-two width, not ${hashes.length}`);
  }
  let row: Uint8Array[] = hashes.slice();
  while (row.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < row.length; i += 2) next.push(nodeHash(row[i]!, row[i + 1]!));
    row = next;
  }
  const only = row[0]!;
  const out = new Uint8Array(only.length);
  out.set(only);
  return out;
}

/**
 * A NodeReader over leaf hashes held in memory that remembers every node it computes, so that
 * all the inclusion proofs of a small tree cost about one hash per node.
 */
export function memoNodeReader(leafHashes: readonly Uint8Array[]): NodeReader {
  const known = new Map<string, Bytes>();
  const read: NodeReader = (level, index) => {
    if (level === 0) {
      const h = leafHashes[index];
      if (!h) throw new RangeError(`leaf ${index} is beyond ${leafHashes.length} leaves`);
      return h as Bytes;
    }
    const key = `${level}/${index}`;
    let h = known.get(key);
    if (!h) known.set(key, (h = nodeHash(read(level - 1, 2 * index), read(level - 1, 2 * index + 1))));
    return h;
  };
  return read;
}

function perfectFromLeaves(leafHashes: readonly Uint8Array[], level: number, index: number): Bytes {
  const width = 2 ** level;
  const start = index * width;
  if (start + width > leafHashes.length) throw new RangeError(`node ${level}/${index} is beyond ${leafHashes.length} leaves`);
  return reducePerfect(leafHashes.slice(start, start + width));
}
