import { describe, expect, it } from "vitest";
import { LogConfigError, logConfig } from "../../src/ct/log-config.ts";
import { precertTbs, hasPoison } from "../../src/ct/precert.ts";
import { type NewEntry, emptyTree, entryIdentity, partialTiles, sequenceBatch } from "../../src/ct/sequencer.ts";
import { assembleTree, decodeHead, decodeUpperEdge, encodeHead, encodeUpperEdge } from "../../src/ct/log-store.ts";
import { decodeDataTile, encodeMerkleTreeLeaf, parseLeafIndex } from "../../src/ct/structures.ts";
import { bytesEqual, toBytes, utf8 } from "../../src/encoding/bytes.ts";
import { leafHash } from "../../src/merkle/hash.ts";
import { parseTilePath, rootFromTiles, tileSourceFrom, tilesFromLeafHashes } from "../../src/merkle/tiles.ts";
import { extensionDer, sequence, tlv, TAG } from "../../src/encoding/der-writer.ts";

const entry = (i: number): NewEntry => ({ entry: { type: "x509", certificate: utf8(`certificate ${i}`) }, chainFingerprints: [new Uint8Array(32).fill(i % 256)] });

describe("sequenceBatch", () => {
  it("grows the tree round by round exactly as one big append, with data tiles matching level 0", () => {
    let tree = emptyTree(1000);
    const leafHashes: Uint8Array[] = [];
    const hashTiles = new Map<string, Uint8Array>();
    const dataTiles = new Map<string, Uint8Array>();
    let next = 0;
    for (const batchSize of [1, 7, 250, 3, 256, 300, 1]) {
      const batch = Array.from({ length: batchSize }, () => entry(next++));
      const round = sequenceBatch(tree, batch, tree.timestamp + 1);
      round.entries.forEach((e, i) => {
        expect(e.index).toBe(tree.size + i);
        expect(parseLeafIndex(e.timestampedEntry.extensions)).toBe(e.index);
        expect(bytesEqual(e.leafHash, leafHash(encodeMerkleTreeLeaf(e.timestampedEntry)))).toBe(true);
        leafHashes.push(e.leafHash);
      });
      for (const t of round.tiles) {
        (t.path.startsWith("tile/data/") ? dataTiles : hashTiles).set(t.path, t.data);
        expect(t.full).toBe(!t.path.includes(".p/"));
      }
      // The partial tiles recomputed from the state are the ones the rounds published.
      for (const p of partialTiles(round.tree)) expect(bytesEqual(p.data, hashTiles.get(p.path) ?? dataTiles.get(p.path) ?? new Uint8Array(0)), p.path).toBe(true);
      // The state survives a storage round trip (log-store.ts: head, edge above level 0, the
      // leaf hashes past the last full tile, the data edge).
      const head = decodeHead(encodeHead({ tree: round.tree, checkpoint: "cp", cosigned: false }));
      expect(head.checkpoint).toBe("cp");
      const tileStart = round.tree.size - (round.tree.size % 256);
      tree = assembleTree(head, decodeUpperEdge(encodeUpperEdge(round.tree.edge)), leafHashes.slice(tileStart).map(toBytes), toBytes(round.tree.dataEdge));
    }
    expect(tree.size).toBe(next);
    const reference = tilesFromLeafHashes(leafHashes);
    const source = tileSourceFrom([...hashTiles].map(([path, hashes]) => ({ tile: parseTilePath(path)!.tile, hashes: toBytes(hashes) })));
    expect(bytesEqual(rootFromTiles(next, source), tree.root)).toBe(true);
    expect(bytesEqual(rootFromTiles(next, tileSourceFrom(reference)), tree.root)).toBe(true);
    // Every data tile decodes to entries whose leaf hashes are the level-0 tile of the same path.
    for (const [path, data] of dataTiles) {
      const leaves = decodeDataTile(data);
      const level0 = hashTiles.get(path.replace("tile/data/", "tile/0/"))!;
      expect(level0.length).toBe(leaves.length * 32);
      leaves.forEach((l, i) => expect(bytesEqual(leafHash(encodeMerkleTreeLeaf(l.timestampedEntry)), level0.subarray(i * 32, i * 32 + 32))).toBe(true));
    }
  });

  it("refuses an empty batch and a timestamp going backwards", () => {
    const tree = emptyTree(1000);
    expect(() => sequenceBatch(tree, [], 1000)).toThrow();
    expect(() => sequenceBatch(tree, [entry(0)], 999)).toThrow();
  });

  it("gives x509 and precert entries with the same bytes different identities", () => {
    const a = entryIdentity({ type: "x509", certificate: utf8("x") });
    const b = entryIdentity({ type: "precert", issuerKeyHash: new Uint8Array(32), tbsCertificate: utf8("x") });
    expect(bytesEqual(a, b)).toBe(false);
    expect(bytesEqual(a, entryIdentity({ type: "x509", certificate: utf8("x") }))).toBe(true);
  });
});

describe("precertTbs (RFC 6962 §3.2)", () => {
  const int = (n: number) => tlv(TAG.integer, Uint8Array.of(n));
  const name = (cn: string) => sequence(tlv(TAG.set, sequence(tlv(TAG.oid, Uint8Array.of(0x55, 0x04, 0x03)), tlv(0x0c, utf8(cn)))));
  const alg = sequence(tlv(TAG.oid, Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02)));
  const validity = sequence(tlv(0x17, utf8("260101000000Z")), tlv(0x17, utf8("270101000000Z")));
  const spki = sequence(alg, tlv(TAG.bitString, Uint8Array.of(0, 1, 2, 3)));
  const poison = extensionDer("1.3.6.1.4.1.11129.2.4.3", true, Uint8Array.of(0x05, 0x00));
  const san = extensionDer("2.5.29.17", false, sequence(tlv(0x82, utf8("a.example"))));
  const aki = (b: number) => extensionDer("2.5.29.35", false, sequence(tlv(0x80, new Uint8Array(20).fill(b))));
  const tbs = (issuer: string, exts: Uint8Array[]) => sequence(tlv(0xa0, int(2)), int(7), alg, name(issuer), validity, name("leaf"), spki, tlv(0xa3, sequence(...exts)));

  it("removes the poison extension and keeps everything else byte for byte", () => {
    const pre = tbs("Issuing CA", [san, poison, aki(1)]);
    expect(hasPoison(pre)).toBe(true);
    expect(bytesEqual(precertTbs(pre), tbs("Issuing CA", [san, aki(1)]))).toBe(true);
  });

  it("drops the extensions field when the poison was the only extension", () => {
    const pre = tbs("Issuing CA", [poison]);
    const expected = sequence(tlv(0xa0, int(2)), int(7), alg, name("Issuing CA"), validity, name("leaf"), spki);
    expect(bytesEqual(precertTbs(pre), expected)).toBe(true);
  });

  it("with a precertificate signing certificate, takes its issuer and AKI", () => {
    const psc = tbs("Issuing CA", [aki(9)]);
    const pre = tbs("Precert Signer", [san, aki(1), poison]);
    expect(bytesEqual(precertTbs(pre, { tbsDer: psc }), tbs("Issuing CA", [san, aki(9)]))).toBe(true);
  });

  it("refuses a TBS without poison and garbage", () => {
    expect(() => precertTbs(tbs("Issuing CA", [san]))).toThrow(/poison/);
    expect(() => precertTbs(Uint8Array.of(0x30, 0x05, 0x01))).toThrow();
  });
});

describe("logConfig", () => {
  it("derives the static-ct-api prefix and checkpoint origin from PUBLIC_URL and the shard name", () => {
    const c = logConfig({ PUBLIC_URL: "http://localhost:8787", CT_LOG_NAME: "trustchain-2026" });
    expect(c.origin).toBe("localhost:8787/trustchain-2026");
    expect(c.prefix).toBe("http://localhost:8787/trustchain-2026/");
    expect(c.objectPrefix).toBe("ct/trustchain-2026/");
    expect([c.batchMax, c.batchWindowMs, c.poolMax]).toEqual([1024, 0, 4096]);
    expect(logConfig({ PUBLIC_URL: "https://ct.example.org/base/", CT_LOG_NAME: "x2026h1" }).origin).toBe("ct.example.org/base/x2026h1");
  });

  it("refuses names that are not plain path segments and out-of-range numbers", () => {
    for (const name of ["ct", "api", "Upper", "a/b", "", "-x"]) expect(() => logConfig({ PUBLIC_URL: "http://h", CT_LOG_NAME: name })).toThrow(LogConfigError);
    expect(() => logConfig({ PUBLIC_URL: "http://h", CT_BATCH_MAX: "0" })).toThrow(LogConfigError);
    expect(() => logConfig({ PUBLIC_URL: "http://h", CT_POOL_MAX: "1e3" })).toThrow(LogConfigError);
    expect(() => logConfig({ PUBLIC_URL: "not a url" })).toThrow(LogConfigError);
  });
});
