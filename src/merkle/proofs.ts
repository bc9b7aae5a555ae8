// Inclusion (audit path) and consistency proofs: generation per RFC 6962 §2.1.1 / §2.1.2 and
// verification per the RFC 9162 §2.1.3.2 / §2.1.4.2 algorithms (same hashes, v1 and v2 agree).
//
// Generation is split in two so proofs can be served from tiles: a *plan* lists, for each proof
// element, the perfect subtrees whose combination is that element; resolving the plan reads
// those nodes. A caller holding tiles in R2 turns the plan's nodes into tile fetches first
// (see tilesForNodes in tiles.ts), then resolves synchronously.

import { bytesEqual, type Bytes } from "../encoding/bytes.ts";
import { combinePerfect, HASH_SIZE, isPowerOfTwo, type NodeReader, type NodeRef, nodeHash, perfectSubtrees, splitPoint } from "./hash.ts";

/** One proof element: MTH of a range, given as its perfect subtrees left to right. */
export type ProofPlan = readonly (readonly NodeRef[])[];

function checkSize(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative safe integer, got ${n}`);
}

/**
 * RFC 6962 §2.1.1 PATH(m, D[n]): for n > 1 with k the largest power of two below n,
 * PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) if m < k, else PATH(m - k, D[k:n]) : MTH(D[0:k]).
 * Elements are ordered from the leaf upwards.
 */
export function inclusionProofPlan(index: number, size: number): ProofPlan {
  checkSize("index", index);
  checkSize("size", size);
  if (index >= size) throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
  const out: NodeRef[][] = [];
  const walk = (m: number, lo: number, hi: number): void => {
    if (hi - lo <= 1) return;
    const k = splitPoint(hi - lo);
    if (m < k) {
      walk(m, lo, lo + k);
      out.push(perfectSubtrees(lo + k, hi));
    } else {
      walk(m - k, lo + k, hi);
      out.push(perfectSubtrees(lo, lo + k));
    }
  };
  walk(index, 0, size);
  return out;
}

/**
 * RFC 6962 §2.1.2 PROOF(m, D[n]) = SUBPROOF(m, D[n], true), where SUBPROOF(m, D[m], true) = {},
 * SUBPROOF(m, D[m], false) = {MTH(D[m])}, and for m < n with k the largest power of two below n:
 * SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) if m <= k,
 * else SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]).
 * For size1 = 0 or size1 = size2 the proof is empty (every tree extends the empty tree and itself).
 */
export function consistencyProofPlan(size1: number, size2: number): ProofPlan {
  checkSize("size1", size1);
  checkSize("size2", size2);
  if (size1 > size2) throw new RangeError(`size1 ${size1} is larger than size2 ${size2}`);
  if (size1 === 0 || size1 === size2) return [];
  const out: NodeRef[][] = [];
  const walk = (m: number, lo: number, hi: number, complete: boolean): void => {
    if (m === hi - lo) {
      if (!complete) out.push(perfectSubtrees(lo, hi));
      return;
    }
    const k = splitPoint(hi - lo);
    if (m <= k) {
      walk(m, lo, lo + k, complete);
      out.push(perfectSubtrees(lo + k, hi));
    } else {
      walk(m - k, lo + k, hi, false);
      out.push(perfectSubtrees(lo, lo + k));
    }
  };
  walk(size1, 0, size2, true);
  return out;
}

/** Every perfect subtree a plan needs, deduplicated, for prefetching the tiles that hold them. */
export function planNodes(plan: ProofPlan): NodeRef[] {
  const seen = new Set<string>();
  const out: NodeRef[] = [];
  for (const element of plan) {
    for (const n of element) {
      const key = `${n.level}/${n.index}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(n);
      }
    }
  }
  return out;
}

/** Reads a plan's nodes and combines each element right to left, as MTH does for a range. */
export function resolvePlan(plan: ProofPlan, read: NodeReader): Bytes[] {
  return plan.map((parts) => combinePerfect(parts, read));
}

export function inclusionProof(index: number, size: number, read: NodeReader): Bytes[] {
  return resolvePlan(inclusionProofPlan(index, size), read);
}

export function consistencyProof(size1: number, size2: number, read: NodeReader): Bytes[] {
  return resolvePlan(consistencyProofPlan(size1, size2), read);
}

function allHashSized(proof: readonly Uint8Array[]): boolean {
  return proof.every((p) => p.length === HASH_SIZE);
}

/**
 * RFC 9162 §2.1.3.2: recomputes the root from a leaf hash and its inclusion proof. Returns null
 * when the proof has the wrong length for (index, size) or an element is not a SHA-256 hash.
 */
export function rootFromInclusionProof(leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[]): Bytes | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  if (leafHash.length !== HASH_SIZE || !allHashSized(proof)) return null;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leafHash;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      // Skip the levels where this node is the rightmost one and has no sibling.
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return null;
  const out = new Uint8Array(HASH_SIZE);
  out.set(r);
  return out;
}

/** RFC 9162 §2.1.3.2: true iff the proof shows leafHash at index in the tree of that size and root. */
export function verifyInclusion(leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  const computed = rootFromInclusionProof(leafHash, index, size, proof);
  return computed !== null && root.length === HASH_SIZE && bytesEqual(computed, root);
}

/**
 * RFC 9162 §2.1.4.2: true iff the proof shows the tree (size1, root1) is a prefix of (size2, root2).
 * Trivial cases follow RFC 9162 §2.1.4: equal sizes need equal roots and an empty proof; the
 * empty tree is consistent with every tree, also with an empty proof.
 */
export function verifyConsistency(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): boolean {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size2 < size1) return false;
  if (root1.length !== HASH_SIZE || root2.length !== HASH_SIZE || !allHashSized(proof)) return false;
  if (size1 === size2) return proof.length === 0 && bytesEqual(root1, root2);
  if (size1 === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  // Step 2: when size1 is a power of two, its root is itself the first node of the path.
  const path: Uint8Array[] = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(fr, root1) && bytesEqual(sr, root2);
}
