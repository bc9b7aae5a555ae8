import { describe, expect, it } from "vitest";
import { toHex, utf8 } from "../../src/encoding/bytes.ts";
import { LEAVES, ROOTS_HEX, hex } from "../vectors/rfc6962-reference-tree.ts";
import {
  emptyTreeHash,
  isPowerOfTwo,
  leafHash,
  merkleTreeHash,
  nodeHash,
  perfectSubtrees,
  rangeHash,
  reducePerfect,
  rootFromLeafHashes,
  splitPoint,
  treeHash,
} from "../../src/merkle/hash.ts";

const ROOTS = ROOTS_HEX;

describe("RFC 6962 hashing", () => {
  // transparency-dev/merkle rfc6962/rfc6962_test.go
  it("hashes the empty tree as SHA-256 of the empty string", () => {
    expect(toHex(emptyTreeHash())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(toHex(merkleTreeHash([]))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
  it("prefixes leaves with 0x00 (an empty leaf differs from the empty tree)", () => {
    expect(toHex(leafHash(new Uint8Array(0)))).toBe("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    expect(toHex(leafHash(utf8("L123456")))).toBe("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
  });
  it("prefixes interior nodes with 0x01", () => {
    expect(toHex(nodeHash(utf8("N123"), utf8("N456")))).toBe("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb");
  });
  it("is second-preimage resistant and order dependent", () => {
    const a = leafHash(utf8("Hello"));
    const b = leafHash(utf8("World"));
    expect(toHex(nodeHash(a, b))).not.toBe(toHex(leafHash(new Uint8Array([...a, ...b]))));
    expect(toHex(nodeHash(a, b))).not.toBe(toHex(nodeHash(b, a)));
  });

  it.each(ROOTS.map((r, i) => [i + 1, r] as const))("MTH of the first %i reference leaves", (n, root) => {
    expect(toHex(merkleTreeHash(LEAVES.slice(0, n)))).toBe(root);
    const hashes = LEAVES.slice(0, n).map(leafHash);
    expect(toHex(rootFromLeafHashes(hashes))).toBe(root);
  });

  it("follows the RFC 6962 recursion for other sizes", () => {
    const naive = (d: Uint8Array[]): Uint8Array => {
      if (d.length === 1) return leafHash(d[0]!);
      const k = splitPoint(d.length);
      return nodeHash(naive(d.slice(0, k)), naive(d.slice(k)));
    };
    const entries = Array.from({ length: 70 }, (_, i) => utf8(`entry ${i}`));
    for (let n = 1; n <= entries.length; n++) expect(toHex(merkleTreeHash(entries.slice(0, n)))).toBe(toHex(naive(entries.slice(0, n))));
  });
});

describe("subtree arithmetic", () => {
  it("splits at the largest power of two below n", () => {
    expect([2, 3, 4, 5, 8, 9, 256, 257].map(splitPoint)).toEqual([1, 2, 2, 4, 4, 8, 128, 256]);
    expect(splitPoint(2 ** 40 + 1)).toBe(2 ** 40);
    expect(() => splitPoint(1)).toThrow(RangeError);
  });
  it("recognises powers of two beyond 32 bits", () => {
    expect([1, 2, 1024, 2 ** 40].every(isPowerOfTwo)).toBe(true);
    expect([0, 3, 6, 2 ** 40 + 2, -4, 1.5].some(isPowerOfTwo)).toBe(false);
  });
  it("decomposes ranges into the perfect subtrees the recursion visits", () => {
    expect(perfectSubtrees(0, 7)).toEqual([{ level: 2, index: 0 }, { level: 1, index: 2 }, { level: 0, index: 6 }]);
    expect(perfectSubtrees(4, 7)).toEqual([{ level: 1, index: 2 }, { level: 0, index: 6 }]);
    expect(perfectSubtrees(256, 300)).toEqual([{ level: 5, index: 8 }, { level: 3, index: 36 }, { level: 2, index: 74 }]);
    expect(() => perfectSubtrees(1, 4)).toThrow(RangeError);
    expect(() => perfectSubtrees(3, 3)).toThrow(RangeError);
  });
  it("combines perfect subtrees right to left into the range hash", () => {
    const hashes = LEAVES.map(leafHash);
    const read = (level: number, index: number) => reducePerfect(hashes.slice(index * 2 ** level, (index + 1) * 2 ** level));
    for (let n = 1; n <= 8; n++) expect(toHex(treeHash(n, read))).toBe(ROOTS[n - 1]);
    expect(toHex(rangeHash(4, 7, read))).toBe(toHex(merkleTreeHash(LEAVES.slice(4, 7))));
    expect(toHex(treeHash(0, read))).toBe(toHex(emptyTreeHash()));
  });
  it("rejects non-power-of-two widths in reducePerfect", () => {
    expect(() => reducePerfect([])).toThrow(RangeError);
    expect(() => reducePerfect(LEAVES.slice(0, 3).map(leafHash))).toThrow(RangeError);
  });
});
