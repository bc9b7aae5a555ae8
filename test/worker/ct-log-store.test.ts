// The log store's lookup tables (src/ct/log-store.ts): keys wait in log_keys_recent and move to
// log_keys in bulk, a range of keys per round; lookups by identity and by leaf hash see every
// entry wherever its keys are, also across a reopen of the store in the middle of a merge.

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type EntryRecord, LogStore, MERGE_SLICES } from "../../src/ct/log-store.ts";
import { emptyTree, entryIdentity, sequenceBatch, type TreeState } from "../../src/ct/sequencer.ts";
import { toHex } from "../../src/encoding/bytes.ts";

describe("CT log store: lookups across the recent and merged key tables", () => {
  it("finds every entry by identity and by leaf hash before and after merges, and after a reopen", async () => {
    // Any SQLite-backed object will do as a scratch store; this one keeps nothing else in it.
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`log-store-${crypto.randomUUID()}`));
    await runInDurableObject(stub, async (_instance, state) => {
      const count = (table: string) => state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
      let store = new LogStore(state.storage, 4);
      let tree: TreeState = emptyTree(Date.now());
      const logged: { identity: Uint8Array; leafHash: Uint8Array; index: number }[] = [];
      const expectAllFound = () => {
        const found = store.findByIdentities(logged.map((e) => e.identity));
        for (const e of logged) {
          expect(found.get(toHex(e.identity))?.index).toBe(e.index);
          expect(store.indexOfLeafHash(e.leafHash)).toBe(e.index);
        }
        expect(store.findByIdentities([crypto.getRandomValues(new Uint8Array(32))]).size).toBe(0);
        expect(store.indexOfLeafHash(crypto.getRandomValues(new Uint8Array(32)))).toBeNull();
      };
      for (let round = 0; round < 5; round++) {
        const entries = Array.from({ length: 3 }, () => ({ entry: { type: "x509" as const, certificate: crypto.getRandomValues(new Uint8Array(64)) }, chainFingerprints: [] }));
        const seq = sequenceBatch(tree, entries, Math.max(Date.now(), tree.timestamp));
        const records = seq.entries.map((e, i) => ({ identity: entryIdentity(entries[i]!.entry), index: e.index, timestamp: e.timestamp, leafHash: e.leafHash }));
        store.commitRound({ from: tree, log: { tree: seq.tree, checkpoint: null, cosigned: true }, entries: records, issuers: [], staged: [] });
        tree = seq.tree;
        logged.push(...records);
        expectAllFound();
      }
      // Every key is in exactly one of the tables, and a merge has begun.
      expect(count("log_keys") + count("log_keys_recent")).toBe(2 * 15);
      expect(count("log_keys")).toBeGreaterThan(0);
      store = new LogStore(state.storage, 4);
      expectAllFound();
    });
  });
});

describe("CT log store: a merge moves one range of keys per round", () => {
  it("moves the ranges in turn, leaves keys that arrive in moved ranges for the next merge, and starts over after a reopen", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`log-store-${crypto.randomUUID()}`));
    await runInDurableObject(stub, async (_instance, state) => {
      const count = (table: string) => state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
      let store = new LogStore(state.storage, 4);
      let tree: TreeState = emptyTree(Date.now());
      const logged: EntryRecord[] = [];
      // An entry whose identity and leaf hash begin with `first`: the range its keys belong to.
      const entryAt = (first: number, index: number): EntryRecord => {
        const hash = () => Uint8Array.of(first, ...crypto.getRandomValues(new Uint8Array(31)));
        return { identity: hash(), leafHash: hash(), index, timestamp: tree.timestamp };
      };
      const round = (firsts: number[]) => {
        const entries = firsts.map((f, i) => entryAt(f, tree.size + i));
        const next = { ...tree, size: tree.size + entries.length };
        store.commitRound({ from: tree, log: { tree: next, checkpoint: null, cosigned: true }, entries, issuers: [], staged: [] });
        tree = next;
        logged.push(...entries);
        const found = store.findByIdentities(logged.map((e) => e.identity));
        for (const e of logged) {
          expect(found.get(toHex(e.identity))?.index).toBe(e.index);
          expect(store.indexOfLeafHash(e.leafHash)).toBe(e.index);
        }
        expect(count("log_keys") + count("log_keys_recent")).toBe(2 * logged.length);
      };
      const width = 256 / MERGE_SLICES;
      // Four entries reach the limit: the merge begins with the first range (its two keys).
      round([0, width, 2 * width, 255]);
      expect(count("log_keys")).toBe(2);
      // One range per round; what arrives in the first range meanwhile stays recent.
      for (let r = 1; r < MERGE_SLICES; r++) round([1]);
      expect(count("log_keys")).toBe(2 * 4);
      expect(count("log_keys_recent")).toBe(2 * (MERGE_SLICES - 1));
      // Reopened: the recent keys are counted again, reach the limit, and the next round's merge
      // begins with the first range, where they all are.
      store = new LogStore(state.storage, 4);
      round([2 * width]);
      expect(count("log_keys")).toBe(2 * (4 + MERGE_SLICES - 1));
      expect(count("log_keys_recent")).toBe(2);
    });
  });
});
