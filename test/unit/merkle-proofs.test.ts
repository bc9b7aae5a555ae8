import { describe, expect, it } from "vitest";
import { toHex, utf8 } from "../../src/encoding/bytes.ts";
import { LEAVES, ROOTS_HEX, hex } from "../vectors/rfc6962-reference-tree.ts";
import { mulberry32 } from "../support/prng.ts";
import { emptyTreeHash, leafHash, nodeHash, reducePerfect, splitPoint } from "../../src/merkle/hash.ts";
import {
  consistencyProof,
  consistencyProofPlan,
  inclusionProof,
  inclusionProofPlan,
  planNodes,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from "../../src/merkle/proofs.ts";
import { appendLeaves, EMPTY_EDGE, rootFromTiles, tileNodeReader, tileSourceFrom, tilesForNodes } from "../../src/merkle/tiles.ts";

// transparency-dev/merkle proof/verify_test.go: the 8-leaf reference tree, its roots, and known
// inclusion and consistency proofs (leaf numbers there are 1-based).
const ROOTS = ROOTS_HEX.map(hex);
const INCLUSION: { index: number; size: number; proof: string[] }[] = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
  { index: 2, size: 3, proof: ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"] },
  {
    index: 1,
    size: 5,
    proof: [
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  },
];
const CONSISTENCY: { size1: number; size2: number; proof: string[] }[] = [
  { size1: 1, size2: 1, proof: [] },
  {
    size1: 1,
    size2: 8,
    proof: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  },
  {
    size1: 6,
    size2: 8,
    proof: [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
  {
    size1: 2,
    size2: 5,
    proof: ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
  },
  {
    size1: 6,
    size2: 7,
    proof: [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
];

const LEAF_HASHES = LEAVES.map(leafHash);
const readReference = (level: number, index: number) => reducePerfect(LEAF_HASHES.slice(index * 2 ** level, (index + 1) * 2 ** level));
const SOME_HASH = hex("abacaba000000000000000000000000000000000000000000060061e00123456");
const EMPTY = emptyTreeHash();
const flip = (proof: Uint8Array[], i: number, bit: number) => proof.map((p, j) => (j === i ? p.map((b, k) => (k === 0 ? b ^ bit : b)) : p));

describe("inclusion proofs (RFC 6962 §2.1.1, RFC 9162 §2.1.3.2)", () => {
  it.each(INCLUSION)("generates and verifies leaf $index in size $size", ({ index, size, proof }) => {
    const generated = inclusionProof(index, size, readReference);
    expect(generated.map(toHex)).toEqual(proof);
    const p = proof.map(hex);
    const root = ROOTS[size - 1]!;
    const leaf = LEAF_HASHES[index]!;
    expect(verifyInclusion(leaf, index, size, p, root)).toBe(true);
    expect(toHex(rootFromInclusionProof(leaf, index, size, p)!)).toBe(toHex(root));

    // The corruptions transparency-dev/merkle probes: none may verify.
    const probes: [Uint8Array, number, number, Uint8Array[], Uint8Array][] = [
      [leaf, index - 1, size, p, root],
      [leaf, index + 1, size, p, root],
      [leaf, index ^ 2, size, p, root],
      [leaf, index, size * 2, p, root],
      [leaf, index, Math.floor(size / 2), p, root],
      [utf8("WrongLeaf"), index, size, p, root],
      [leaf, index, size, p, EMPTY],
      [leaf, index, size, p, SOME_HASH],
      [leaf, index, size, [...p, new Uint8Array(0)], root],
      [leaf, index, size, [...p, root], root],
      [leaf, index, size, [new Uint8Array(0), ...p], root],
      [leaf, index, size, [root, ...p], root],
      ...p.map((_, i) => [leaf, index, size, flip(p, i, 8), root] as [Uint8Array, number, number, Uint8Array[], Uint8Array]),
    ];
    if (p.length > 0) probes.push([leaf, index, size, p.slice(0, -1), root]);
    if (p.length > 1) probes.push([leaf, index, size, [p[0]!, SOME_HASH, ...p.slice(1)], root]);
    for (const [l, i, s, pr, r] of probes) expect(verifyInclusion(l, i, s, pr, r)).toBe(false);
  });

  it("rejects impossible positions and malformed hashes", () => {
    for (const [index, size] of [[0, 0], [1, 0], [2, 1]] as const) {
      expect(verifyInclusion(SOME_HASH, index, size, [], EMPTY)).toBe(false);
    }
    const h = leafHash(utf8("data"));
    expect(verifyInclusion(h, 0, 1, [], h)).toBe(true);
    expect(verifyInclusion(h, 0, 1, [], new Uint8Array(0))).toBe(false);
    expect(verifyInclusion(new Uint8Array(0), 0, 1, [], h)).toBe(false);
    expect(() => inclusionProofPlan(3, 3)).toThrow(RangeError);
  });
});

describe("consistency proofs (RFC 6962 §2.1.2, RFC 9162 §2.1.4.2)", () => {
  it.each(CONSISTENCY)("generates and verifies $size1 → $size2", ({ size1, size2, proof }) => {
    expect(consistencyProof(size1, size2, readReference).map(toHex)).toEqual(proof);
    const p = proof.map(hex);
    const r1 = ROOTS[size1 - 1]!;
    const r2 = ROOTS[size2 - 1]!;
    expect(verifyConsistency(size1, size2, p, r1, r2)).toBe(true);
    if (p.length === 0) return;
    const wrong = utf8("WrongRoot");
    const probes: [number, number, Uint8Array, Uint8Array, Uint8Array[]][] = [
      [size1 - 1, size2, r1, r2, p],
      [size1 + 1, size2, r1, r2, p],
      [size1 ^ 2, size2, r1, r2, p],
      [size1, size2 * 2, r1, r2, p],
      [size1, Math.floor(size2 / 2), r1, r2, p],
      [size1, size2, wrong, r2, p],
      [size1, size2, r1, wrong, p],
      [size1, size2, r2, r1, p],
      [size1, size2, r1, r2, []],
      [size1, size2, r1, r2, [...p, new Uint8Array(0)]],
      [size1, size2, r1, r2, [...p, r1]],
      [size1, size2, r1, r2, [...p, r2]],
      [size1, size2, r1, r2, [new Uint8Array(0), ...p]],
      [size1, size2, r1, r2, [r1, ...p]],
      [size1, size2, r1, r2, [r2, ...p]],
      [size1, size2, r1, r2, [p[0]!, ...p]],
      [size1, size2, r1, r2, p.slice(0, -1)],
      ...p.map((_, i) => [size1, size2, r1, r2, flip(p, i, 16)] as [number, number, Uint8Array, Uint8Array, Uint8Array[]]),
    ];
    for (const [s1, s2, a, b, pr] of probes) expect(verifyConsistency(s1, s2, pr, a, b)).toBe(false);
  });

  it("handles the trivial cases like the reference verifier", () => {
    const a = SOME_HASH;
    const b = leafHash(utf8("x"));
    expect(verifyConsistency(0, 0, [], a, b)).toBe(false);
    expect(verifyConsistency(1, 1, [], a, b)).toBe(false);
    expect(verifyConsistency(0, 0, [], a, a)).toBe(true);
    expect(verifyConsistency(0, 1, [], a, b)).toBe(true);
    expect(verifyConsistency(1, 1, [], b, b)).toBe(true);
    expect(verifyConsistency(1, 0, [], a, b)).toBe(false);
    expect(verifyConsistency(2, 1, [], a, b)).toBe(false);
    expect(verifyConsistency(1, 2, [], a, b)).toBe(false);
    expect(verifyConsistency(0, 0, [EMPTY], EMPTY, EMPTY)).toBe(false);
    expect(verifyConsistency(0, 1, [EMPTY], EMPTY, EMPTY)).toBe(false);
    expect(verifyConsistency(1, 1, [EMPTY], EMPTY, EMPTY)).toBe(false);
    expect(consistencyProofPlan(0, 5)).toEqual([]);
    expect(consistencyProofPlan(5, 5)).toEqual([]);
    expect(() => consistencyProofPlan(6, 5)).toThrow(RangeError);
  });
});

// Independent reference: the RFC 6962 recursions over an explicit leaf-hash array, on index
// ranges, with MTH memoized so checking every proof of a 300-leaf tree stays fast.
function reference(d: readonly Uint8Array[]) {
  const memo = new Map<string, Uint8Array>();
  const mth = (lo: number, hi: number): Uint8Array => {
    if (hi === lo) return emptyTreeHash();
    if (hi - lo === 1) return d[lo]!;
    const key = `${lo}:${hi}`;
    let h = memo.get(key);
    if (h === undefined) {
      const k = splitPoint(hi - lo);
      h = nodeHash(mth(lo, lo + k), mth(lo + k, hi));
      memo.set(key, h);
    }
    return h;
  };
  const path = (m: number, lo: number, hi: number): Uint8Array[] => {
    if (hi - lo <= 1) return [];
    const k = splitPoint(hi - lo);
    return m < k ? [...path(m, lo, lo + k), mth(lo + k, hi)] : [...path(m - k, lo + k, hi), mth(lo, lo + k)];
  };
  const subproof = (m: number, lo: number, hi: number, b: boolean): Uint8Array[] => {
    if (m === hi - lo) return b ? [] : [mth(lo, hi)];
    const k = splitPoint(hi - lo);
    return m <= k ? [...subproof(m, lo, lo + k, b), mth(lo + k, hi)] : [...subproof(m - k, lo + k, hi, false), mth(lo, lo + k)];
  };
  return {
    root: (n: number) => mth(0, n),
    inclusion: (m: number, n: number) => path(m, 0, n),
    consistency: (m: number, n: number) => subproof(m, 0, n, true),
  };
}


describe("proofs served from tiles (property)", () => {
  const rand = mulberry32(6962);
  const all = Array.from({ length: 300 }, () => leafHash(crypto.getRandomValues(new Uint8Array(8))));
  const sizes = [1, 2, 3, 7, 8, 255, 256, 257, 300];
  for (let i = 0; i < 6; i++) sizes.push(1 + Math.floor(rand() * 300));

  it.each(sizes)(
    "every inclusion and consistency proof of a %i-leaf tree verifies",
    (size) => {
      const leaves = all.slice(0, size);
      const ref = reference(leaves);
      const { tiles, root } = appendLeaves(EMPTY_EDGE, leaves);
      const source = tileSourceFrom(tiles);
      // Every node is read from the tiles once; repeated reads come from this cache.
      const fromTiles = tileNodeReader(source);
      const cache = new Map<string, Uint8Array<ArrayBuffer>>();
      const read = (level: number, index: number) => {
        const key = `${level}/${index}`;
        let h = cache.get(key);
        if (h === undefined) {
          h = fromTiles(level, index);
          cache.set(key, h);
        }
        return h;
      };
      expect(toHex(root)).toBe(toHex(ref.root(size)));
      expect(toHex(rootFromTiles(size, source))).toBe(toHex(root));

      for (let index = 0; index < size; index++) {
        const plan = inclusionProofPlan(index, size);
        // The tiles named for prefetching are enough to resolve the plan.
        expect(() => tilesForNodes(planNodes(plan), size)).not.toThrow();
        const proof = inclusionProof(index, size, read);
        expect(proof.map(toHex)).toEqual(ref.inclusion(index, size).map(toHex));
        expect(verifyInclusion(leaves[index]!, index, size, proof, root)).toBe(true);
      }
      for (let m = 0; m <= size; m++) {
        const proof = consistencyProof(m, size, read);
        if (m > 0 && m < size) expect(proof.map(toHex)).toEqual(ref.consistency(m, size).map(toHex));
        expect(verifyConsistency(m, size, proof, ref.root(m), root)).toBe(true);
        if (m > 0 && m < size) expect(verifyConsistency(m, size, proof, ref.root(m - 1), root)).toBe(false);
      }
    },
    60_000,
  );
});
