// Crash safety of the CT log: aborting the Durable Object while rounds are in flight, and a crash
// between the durable commit and the R2 upload, lose no acknowledged entry, reuse no index and
// duplicate nothing.

import { abortAllDurableObjects, env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { decodeMerkleTreeLeaf, parseLeafIndex } from "../../src/ct/structures.ts";
import { bytesEqual, fromBase64, sha256, toBase64, toHex } from "../../src/encoding/bytes.ts";
import { leafHash } from "../../src/merkle/hash.ts";
import { LOG, type SctJson, commitPlayedRound, playRound, rootFromServedTiles, submit, unloggedChain } from "../support/ct-helpers.ts";
import { call } from "../support/worker-helpers.ts";

async function sth(): Promise<{ tree_size: number; sha256_root_hash: string }> {
  return (await (await call(`/${LOG}/ct/v1/get-sth`)).json()) as { tree_size: number; sha256_root_hash: string };
}

async function entriesFrom(start: number, end: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  while (start <= end) {
    const got = (await (await call(`/${LOG}/ct/v1/get-entries?start=${start}&end=${end}`)).json()) as { entries: { leaf_input: string }[] };
    for (const e of got.entries) out.push((decodeMerkleTreeLeaf(fromBase64(e.leaf_input)!).entry as { certificate: Uint8Array }).certificate);
    start += got.entries.length;
  }
  return out;
}

async function expectTreeVerifies(): Promise<number> {
  const head = await sth();
  expect(toBase64Root(await rootFromServedTiles(head.tree_size))).toBe(head.sha256_root_hash);
  return head.tree_size;
}

function toBase64Root(b: Uint8Array): string {
  return btoa(String.fromCharCode(...b));
}

const ctLogStub = () => env.CT_LOG.get(env.CT_LOG.idFromName(LOG));

describe("CT log: crash safety", () => {
  it("keeps every acknowledged entry at its index when the Durable Object is aborted mid-stream", async () => {
    const start = await expectTreeVerifies();
    const chains = await Promise.all(Array.from({ length: 60 }, () => unloggedChain()));
    const acked = new Map<number, Uint8Array>();
    for (const [wave, delay] of [0, 3, 15].entries()) {
      const slice = chains.slice(wave * 20, wave * 20 + 20);
      const inflight = slice.map(async (c) => {
        const res = await submit("add-chain", [c.leaf, c.intermediate]).catch(() => null);
        if (res?.status !== 200) return;
        const sct = (await res.json()) as SctJson;
        const index = parseLeafIndex(fromBase64(sct.extensions)!)!;
        expect(acked.has(index), `index ${index} acknowledged twice`).toBe(false);
        acked.set(index, c.leaf);
      });
      await new Promise((r) => setTimeout(r, delay));
      await abortAllDurableObjects();
      await Promise.all(inflight);
    }
    // After the restarts: the tree verifies and every acknowledged entry is where its SCT says.
    let size = await expectTreeVerifies();
    const served = await entriesFrom(start, size - 1);
    for (const [index, leaf] of acked) expect(bytesEqual(served[index - start]!, leaf), `entry ${index}`).toBe(true);

    // Resubmitting everything: acknowledged entries keep their index, the rest are logged once.
    const indices = await Promise.all(chains.map(async (c) => {
      const sct = (await (await submit("add-chain", [c.leaf, c.intermediate])).json()) as SctJson;
      return parseLeafIndex(fromBase64(sct.extensions)!)!;
    }));
    for (const [index, leaf] of acked) expect(indices[chains.findIndex((c) => c.leaf === leaf)]).toBe(index);
    expect(new Set(indices).size).toBe(chains.length);
    size = await expectTreeVerifies();
    const all = await entriesFrom(start, size - 1);
    const fingerprints = await Promise.all(all.map(async (c) => toHex(await sha256(c))));
    expect(new Set(fingerprints).size, "no certificate is logged twice").toBe(all.length);
    expect(all.length).toBe(chains.length);
  });

  it("publishes on restart a round that was committed but never reached R2, and dedups its entry", async () => {
    const { leaf, intermediate } = await unloggedChain();
    const before = await expectTreeVerifies();
    // Play steps 1-5 of a round (src/ct/log-sequencer.ts) inside the object, then "crash" before
    // the upload: the round is durable in SQLite and absent from R2.
    const committedIndex = await runInDurableObject(ctLogStub(), async (_instance, state) => commitPlayedRound(await playRound(state, leaf, intermediate, true), true));
    expect(committedIndex).toBe(before);
    expect((await sth()).tree_size).toBe(before);
    await abortAllDurableObjects();
    // The restarted object re-uploads the staged round before serving; a resubmission finds it.
    const sct = (await (await submit("add-chain", [leaf, intermediate])).json()) as SctJson;
    expect(parseLeafIndex(fromBase64(sct.extensions)!)).toBe(committedIndex);
    expect(await expectTreeVerifies()).toBe(before + 1);
    expect(bytesEqual((await entriesFrom(committedIndex, committedIndex))[0]!, leaf)).toBe(true);
  });

  it("upgrades a log stored in the earlier layout (JSON tree, staged partial tiles) mid-round, losing nothing", async () => {
    await submit("add-chain", Object.values(await unloggedChain()));
    const { leaf, intermediate } = await unloggedChain();
    const before = await expectTreeVerifies();
    // Rewrite the object's state as the previous release stored it, with a round committed but
    // not published: tree as JSON with base64 hashes, the partial data tile as "data-edge", and
    // every tile of the round plus its checkpoint staged in log_uploads.
    const committedIndex = await runInDurableObject(ctLogStub(), async (_instance, state) => {
      const { seq, checkpoint, identity } = await playRound(state, leaf, intermediate, false);
      const sql = state.storage.sql;
      const blob = (b: Uint8Array) => b.slice().buffer;
      const legacyTree = { size: seq.tree.size, root: toBase64(seq.tree.root), timestamp: seq.tree.timestamp, partials: seq.tree.edge.partials.map((row) => row.map(toBase64)) };
      state.storage.transactionSync(() => {
        sql.exec("DELETE FROM log_meta WHERE key IN ('head', 'edge')");
        sql.exec("DELETE FROM log_data_edge");
        sql.exec("INSERT OR REPLACE INTO log_meta (key, value) VALUES ('tree', ?)", blob(new TextEncoder().encode(JSON.stringify(legacyTree))));
        sql.exec("INSERT OR REPLACE INTO log_meta (key, value) VALUES ('data-edge', ?)", blob(seq.tree.dataEdge));
        sql.exec("INSERT OR REPLACE INTO log_meta (key, value) VALUES ('uncosigned-checkpoint', ?)", blob(new TextEncoder().encode(checkpoint)));
        sql.exec("INSERT INTO log_entries (idx, identity, leaf_hash, timestamp) VALUES (?, ?, ?, ?)", seq.entries[0]!.index, blob(identity), blob(seq.entries[0]!.leafHash), seq.tree.timestamp);
        // That release looked entries up through indexes on log_entries, not lookup tables.
        sql.exec("DROP TABLE log_keys");
        sql.exec("DROP TABLE log_keys_recent");
        for (const u of [...seq.tiles, { path: "checkpoint", data: new TextEncoder().encode(checkpoint) }]) {
          sql.exec("INSERT OR REPLACE INTO log_uploads (path, data) VALUES (?, ?)", u.path, blob(u.data));
        }
      });
      return seq.entries[0]!.index;
    });
    expect(committedIndex).toBe(before);
    await abortAllDurableObjects();
    // The restarted object reads the old layout, publishes the round and keeps sequencing.
    const sct = (await (await submit("add-chain", [leaf, intermediate])).json()) as SctJson;
    expect(parseLeafIndex(fromBase64(sct.extensions)!)).toBe(committedIndex);
    expect(await expectTreeVerifies()).toBe(before + 1);
    const more = await Promise.all(Array.from({ length: 5 }, () => unloggedChain()));
    await Promise.all(more.map((c) => submit("add-chain", [c.leaf, c.intermediate])));
    expect(await expectTreeVerifies()).toBe(before + 6);
    const served = await entriesFrom(committedIndex, before + 5);
    expect(bytesEqual(served[0]!, leaf)).toBe(true);
    for (const c of more) expect(served.some((s) => bytesEqual(s, c.leaf))).toBe(true);
    // Its state is in the current layout now.
    const keys = await runInDurableObject(ctLogStub(), async (_instance, state) => state.storage.sql.exec<{ key: string }>("SELECT key FROM log_meta ORDER BY key").toArray().map((r) => r.key));
    expect(keys).toEqual(["edge", "head", "keys"]);
  });

  it("upgrades the entries table of a log created before the lookup tables, keeping dedup and get-proof-by-hash", async () => {
    const chains = await Promise.all(Array.from({ length: 3 }, () => unloggedChain()));
    const first = await Promise.all(chains.map(async (c) => (await (await submit("add-chain", [c.leaf, c.intermediate])).json()) as SctJson));
    const indices = first.map((sct) => parseLeafIndex(fromBase64(sct.extensions)!)!);
    // The tables as logs before the lookup tables had them: identity UNIQUE, a whole-hash leaf_hash index.
    await runInDurableObject(ctLogStub(), async (_instance, state) => {
      const sql = state.storage.sql;
      state.storage.transactionSync(() => {
        sql.exec("CREATE TABLE old_entries (idx INTEGER PRIMARY KEY, identity BLOB NOT NULL UNIQUE, leaf_hash BLOB NOT NULL, timestamp INTEGER NOT NULL)");
        sql.exec("INSERT INTO old_entries SELECT idx, identity, leaf_hash, timestamp FROM log_entries");
        sql.exec("DROP TABLE log_entries");
        sql.exec("ALTER TABLE old_entries RENAME TO log_entries");
        sql.exec("CREATE INDEX log_entries_leaf_hash ON log_entries (leaf_hash)");
        sql.exec("DROP TABLE log_keys");
        sql.exec("DROP TABLE log_keys_recent");
      });
    });
    await abortAllDurableObjects();
    const size = await expectTreeVerifies();
    // Resubmissions find their entries, and RFC 6962 §4.5 finds them by leaf hash.
    for (const [i, c] of chains.entries()) {
      const again = (await (await submit("add-chain", [c.leaf, c.intermediate])).json()) as SctJson;
      expect(parseLeafIndex(fromBase64(again.extensions)!)).toBe(indices[i]);
      const got = (await (await call(`/${LOG}/ct/v1/get-entries?start=${indices[i]}&end=${indices[i]}`)).json()) as { entries: { leaf_input: string }[] };
      const hash = toBase64(leafHash(fromBase64(got.entries[0]!.leaf_input)!));
      const proof = await call(`/${LOG}/ct/v1/get-proof-by-hash?hash=${encodeURIComponent(hash)}&tree_size=${size}`);
      expect(proof.status).toBe(200);
      expect(((await proof.json()) as { leaf_index: number }).leaf_index).toBe(indices[i]);
    }
    expect(await expectTreeVerifies()).toBe(size);
    const schema = await runInDurableObject(ctLogStub(), async (_instance, state) => ({
      entries: state.storage.sql.exec<{ name: string; sql: string | null }>("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'log_entries' ORDER BY name").toArray(),
      keys: state.storage.sql.exec<{ n: number }>("SELECT (SELECT COUNT(*) FROM log_keys) + (SELECT COUNT(*) FROM log_keys_recent) AS n").one().n,
      entryCount: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM log_entries").one().n,
    }));
    expect(schema.entries.map((r) => r.name)).toEqual(["log_entries"]);
    expect(schema.entries[0]!.sql).not.toMatch(/UNIQUE/i);
    expect(schema.keys).toBe(2 * schema.entryCount);
  });
});
