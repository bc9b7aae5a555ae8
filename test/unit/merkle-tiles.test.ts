import { mulberry32 } from "../support/prng.ts";
import { describe, expect, it } from "vitest";
import { concatBytes, toHex } from "../../src/encoding/bytes.ts";
import { leafHash, nodeHash, reducePerfect, rootFromLeafHashes, splitPoint } from "../../src/merkle/hash.ts";
import {
  appendLeaves,
  dataTilePath,
  EMPTY_EDGE,
  edgeFromTiles,
  encodeTileIndex,
  newTiles,
  nodeFromTiles,
  parseTilePath,
  rootFromEdge,
  rootFromTiles,
  type Tile,
  type TileData,
  tilePath,
  tileSourceFrom,
  tilesForRoot,
  tilesForSize,
  tileWidth,
} from "../../src/merkle/tiles.ts";

function leaves(n: number, salt = 0): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => leafHash(Uint8Array.of(salt, i >>> 24, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff)));
}


// Reference: tile (l, n) position i is MTH(D[(n·256 + i)·256^l : (n·256 + i + 1)·256^l]) (tlog-tiles).
function mthRange(hashes: Uint8Array[], start: number, end: number): Uint8Array {
  if (end - start === 1) return hashes[start]!;
  const k = splitPoint(end - start);
  return nodeHash(mthRange(hashes, start, start + k), mthRange(hashes, start + k, end));
}
function referenceTile(hashes: Uint8Array[], t: Tile): Uint8Array {
  const span = 256 ** t.level;
  const parts: Uint8Array[] = [];
  for (let i = 0; i < t.width; i++) {
    const start = (t.index * 256 + i) * span;
    parts.push(mthRange(hashes, start, start + span));
  }
  return concatBytes(parts);
}

const key = (t: Tile) => `${t.level}/${t.index}/${t.width}`;

describe("tile paths (c2sp.org/tlog-tiles)", () => {
  it("encodes indexes as x-prefixed 3-digit elements", () => {
    expect(encodeTileIndex(1234067)).toBe("x001/x234/067");
    expect(encodeTileIndex(0)).toBe("000");
    expect(encodeTileIndex(999)).toBe("999");
    expect(encodeTileIndex(1000)).toBe("x001/000");
    expect(encodeTileIndex(2 ** 40)).toBe("x001/x099/x511/x627/776");
  });
  it("formats full, partial and data tile paths", () => {
    expect(tilePath({ level: 0, index: 1234067, width: 256 })).toBe("tile/0/x001/x234/067");
    expect(tilePath({ level: 1, index: 1234067, width: 17 })).toBe("tile/1/x001/x234/067.p/17");
    expect(tilePath({ level: 2, index: 0, width: 1 })).toBe("tile/2/000.p/1");
    expect(dataTilePath(273, 112)).toBe("tile/data/273.p/112");
    expect(dataTilePath(1234067, 256)).toBe("tile/data/x001/x234/067");
    expect(() => tilePath({ level: 0, index: 0, width: 0 })).toThrow(RangeError);
    expect(() => tilePath({ level: 0, index: 0, width: 257 })).toThrow(RangeError);
  });
  it("parses what it formats", () => {
    for (const t of [
      { level: 0, index: 1234067, width: 256 },
      { level: 5, index: 7, width: 3 },
      { level: 63, index: 1000, width: 255 },
    ]) {
      expect(parseTilePath(tilePath(t))).toEqual({ kind: "hash", tile: t });
    }
    expect(parseTilePath("tile/data/x001/x234/067.p/5")).toEqual({ kind: "data", tile: { level: 0, index: 1234067, width: 5 } });
  });
  it.each([
    "tile/0/1",
    "tile/0/0001",
    "tile/0/x001",
    "tile/0/001/234",
    "tile/00/001",
    "tile/64/001",
    "tile/-1/001",
    "tile/0/x000/001",
    "tile/0/001.p/256",
    "tile/0/001.p/0",
    "tile/0/001.p/05",
    "tile/0/001.p",
    "tile/0/001.p/",
    "tile/0/x001.p/5/002",
    "tile/x/001",
    "tiles/0/001",
    "tile/0",
    "tile/0/01a",
  ])("rejects %s", (p) => {
    expect(parseTilePath(p)).toBeNull();
  });
});

describe("which tiles a tree has", () => {
  it("matches the tlog-tiles example of a 70,000-leaf tree", () => {
    const tiles = tilesForSize(70000);
    const level0 = tiles.filter((t) => t.level === 0);
    expect(level0.filter((t) => t.width === 256)).toHaveLength(273);
    expect(level0.filter((t) => t.width !== 256)).toEqual([{ level: 0, index: 273, width: 112 }]);
    expect(tiles.filter((t) => t.level === 1)).toEqual([{ level: 1, index: 0, width: 256 }, { level: 1, index: 1, width: 17 }]);
    expect(tiles.filter((t) => t.level === 2)).toEqual([{ level: 2, index: 0, width: 1 }]);
    expect(tiles.filter((t) => t.level > 2)).toEqual([]);
  });
  it("matches the tlog-tiles example of a 256-leaf tree", () => {
    expect(tilesForSize(256)).toEqual([{ level: 0, index: 0, width: 256 }, { level: 1, index: 0, width: 1 }]);
    expect(tilesForSize(0)).toEqual([]);
  });
  it("lists tiles that change when the tree grows", () => {
    expect(newTiles(1, 1)).toEqual([]);
    expect(newTiles(100, 101)).toEqual([{ level: 0, index: 0, width: 101 }]);
    expect(newTiles(255, 257)).toEqual([{ level: 0, index: 0, width: 256 }, { level: 0, index: 1, width: 1 }, { level: 1, index: 0, width: 1 }]);
    expect(newTiles(256, 260)).toEqual([{ level: 0, index: 1, width: 4 }]);
    expect(newTiles(0, 70000)).toEqual(tilesForSize(70000));
    expect(() => newTiles(5, 4)).toThrow(RangeError);
  });
  it("computes tile widths for any size", () => {
    expect(tileWidth(70000, 0, 272)).toBe(256);
    expect(tileWidth(70000, 0, 273)).toBe(112);
    expect(tileWidth(70000, 0, 274)).toBe(0);
    expect(tileWidth(70000, 2, 0)).toBe(1);
    expect(tileWidth(70000, 3, 0)).toBe(0);
  });
  it("names the tiles that hold a root's subtrees", () => {
    expect(tilesForRoot(70000)).toEqual([{ level: 2, index: 0, width: 1 }, { level: 1, index: 1, width: 17 }, { level: 0, index: 273, width: 112 }]);
    expect(tilesForRoot(256)).toEqual([{ level: 1, index: 0, width: 1 }]);
    expect(tilesForRoot(0)).toEqual([]);
  });
});

describe("tile contents", () => {
  it("computes every tile of a 300-leaf tree like the tlog-tiles definition", () => {
    const hashes = leaves(300);
    const tiles = appendLeaves(EMPTY_EDGE, hashes).tiles;
    expect(tiles.map((t) => t.tile)).toEqual(tilesForSize(300));
    for (const { tile, hashes: data } of tiles) expect(toHex(data)).toBe(toHex(referenceTile(hashes, tile)));
  });

  it("reads back every stored and intermediate node", () => {
    const hashes = leaves(300);
    const source = tileSourceFrom(appendLeaves(EMPTY_EDGE, hashes).tiles);
    for (let level = 0; 2 ** level <= 300; level++) {
      for (let index = 0; (index + 1) * 2 ** level <= 300; index++) {
        const want = reducePerfect(hashes.slice(index * 2 ** level, (index + 1) * 2 ** level));
        expect(toHex(nodeFromTiles(source, level, index))).toBe(toHex(want));
      }
    }
    expect(() => nodeFromTiles(source, 0, 300)).toThrow(/too narrow/);
    expect(() => nodeFromTiles(source, 0, 512)).toThrow(/not available/);
    expect(() => nodeFromTiles(() => new Uint8Array(33), 0, 0)).toThrow(/malformed/);
  });

  it("computes the root of a 70,000-leaf tree (three tile levels) from its tiles", { timeout: 60_000 }, () => {
    // Random stand-ins for leaf hashes: only the tree above them is under test here.
    const hashes = Array.from({ length: 70000 }, () => crypto.getRandomValues(new Uint8Array(32)));
    const { tiles, root, edge } = appendLeaves(EMPTY_EDGE, hashes);
    expect(tiles.map((t) => t.tile)).toEqual(tilesForSize(70000));
    expect(toHex(root)).toBe(toHex(rootFromLeafHashes(hashes)));
    const source = tileSourceFrom(tiles);
    expect(toHex(rootFromTiles(70000, source))).toBe(toHex(root));
    // The level-2 tile holds the MTH of the full level-1 tile, i.e. of the first 65,536 leaves.
    const level1 = tiles.find((t) => t.tile.level === 1 && t.tile.width === 256)!.hashes;
    const level1Hashes = Array.from({ length: 256 }, (_, i) => level1.subarray(32 * i, 32 * i + 32));
    expect(toHex(nodeFromTiles(source, 16, 0))).toBe(toHex(reducePerfect(level1Hashes)));
    expect(toHex(level1Hashes[255]!)).toBe(toHex(reducePerfect(hashes.slice(255 * 256, 256 * 256))));
    expect(edge.partials.map((p) => p.length)).toEqual([112, 17, 1]);
    // Only the partial tiles are needed to recover the edge and the root.
    const partialsOnly = tileSourceFrom(tiles.filter((t) => t.tile.width < 256));
    expect(toHex(rootFromEdge(edgeFromTiles(70000, partialsOnly)))).toBe(toHex(root));
  });
});

describe("incremental appends", () => {
  it.each([1, 2, 3, 4, 5, 6])("random batch splits (seed %i) produce the tiles and roots of a from-scratch build", { timeout: 60_000 }, (seed) => {
    const rand = mulberry32(seed);
    const total = 200 + Math.floor(rand() * 400);
    const hashes = leaves(total, seed);
    let edge = EMPTY_EDGE;
    const latest = new Map<string, TileData>();
    let size = 0;
    while (size < total) {
      const r = rand();
      const batch = Math.min(total - size, r < 0.2 ? 0 : r < 0.5 ? 1 + Math.floor(rand() * 4) : r < 0.9 ? 1 + Math.floor(rand() * 80) : 256 + Math.floor(rand() * 300));
      const result = appendLeaves(edge, hashes.slice(size, size + batch));
      // Exactly the tiles that change between the two sizes are emitted.
      expect(result.tiles.map((t) => key(t.tile))).toEqual(newTiles(size, size + batch).map(key));
      for (const t of result.tiles) {
        expect(toHex(t.hashes)).toBe(toHex(referenceTile(hashes, t.tile)));
        latest.set(`${t.tile.level}/${t.tile.index}`, t);
      }
      size += batch;
      expect(result.edge.size).toBe(size);
      expect(toHex(result.root)).toBe(toHex(size === 0 ? rootFromLeafHashes([]) : rootFromLeafHashes(hashes.slice(0, size))));
      // The edge reloaded from stored tiles equals the edge carried in memory.
      const reloaded = edgeFromTiles(size, tileSourceFrom(latest.values()));
      expect(reloaded.partials.map((p) => p.map(toHex))).toEqual(result.edge.partials.map((p) => p.map(toHex)));
      edge = reloaded;
    }
    const scratch = appendLeaves(EMPTY_EDGE, hashes).tiles;
    expect([...latest.values()].map((t) => key(t.tile)).sort()).toEqual(scratch.map((t) => key(t.tile)).sort());
    for (const t of scratch) expect(toHex(latest.get(`${t.tile.level}/${t.tile.index}`)!.hashes)).toBe(toHex(t.hashes));
  });

  it("an edge carried in memory from round to round (memoized subtrees) keeps giving the right roots across tile levels", { timeout: 120_000 }, () => {
    const rand = mulberry32(77);
    const total = 65_536 + 700; // past the first level-2 hash
    const hashes = leaves(total, 77);
    let edge = EMPTY_EDGE;
    let size = 0;
    let checked = 0;
    while (size < total) {
      const r = rand();
      const batch = Math.min(total - size, r < 0.6 ? 1 + Math.floor(rand() * 20) : 1 + Math.floor(rand() * 600));
      const result = appendLeaves(edge, hashes.slice(size, size + batch));
      size += batch;
      // Some rounds (each check rebuilds the tree from scratch), and the rounds that fill a level-1 tile.
      const crossed = Math.floor(size / 65_536) > Math.floor((size - batch) / 65_536);
      if (rand() < 0.02 || crossed || size === total) {
        expect(toHex(result.root)).toBe(toHex(rootFromLeafHashes(hashes.slice(0, size))));
        checked++;
      }
      edge = result.edge;
    }
    expect(checked).toBeGreaterThan(8);
  });

  it("rejects an inconsistent edge", () => {
    const h = leaves(3);
    expect(() => appendLeaves({ size: 3, partials: [h.slice(0, 2)] }, h)).toThrow(RangeError);
    expect(() => appendLeaves({ size: 3, partials: [] }, h)).toThrow(RangeError);
    expect(() => appendLeaves({ size: 3, partials: [[...h.slice(0, 2), new Uint8Array(31)]] }, h)).toThrow(RangeError);
  });

  it("appending nothing changes nothing", () => {
    const first = appendLeaves(EMPTY_EDGE, leaves(10));
    const again = appendLeaves(first.edge, []);
    expect(again.tiles).toEqual([]);
    expect(toHex(again.root)).toBe(toHex(first.root));
    expect(toHex(appendLeaves(EMPTY_EDGE, []).root)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});
