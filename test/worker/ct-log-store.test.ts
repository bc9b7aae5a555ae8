// The log store's lookup tables (src/ct/log-store.ts): keys wait in log_keys_recent and move to
// log_keys in bulk; lookups by identity and by leaf hash see every entry wherever its keys are,
// also across a reopen of the store.

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LogStore } from "../../src/ct/log-store.ts";
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
      // 15 entries with a limit of 4: merged after rounds 2 and 4, the last round's keys still recent.
      expect(count("log_keys")).toBe(2 * 12);
      expect(count("log_keys_recent")).toBe(2 * 3);
      store = new LogStore(state.storage, 4);
      expectAllFound();
    });
  });
});
