// The log's durable state in its Durable Object's SQLite storage. This is the trusted store (as
// in Sunlight, where the lock backend is trusted and object storage is not): the tree head and
// edge, the entries' dedup identities and leaf hashes, the latest checkpoint, and the objects
// staged for R2. A round is committed here in one transaction before anything is published or
// acknowledged, and R2 is brought up to date from what is committed, so R2 may lag but never
// leads.
//
// What a round writes is kept to what is new: its entries (multi-row inserts), the TileLeafs it
// appended to the partial data tile (one chunk), a small binary head (size, timestamp, root,
// checkpoint), the edge above level 0 only when a level-0 tile filled, and the full tiles it
// completed. Partial tiles are not staged: they follow from the committed state (the level-0
// partial tile is the leaf hashes of the entries past the last full tile, the partial data tile
// is the chunks, the higher partial tiles are the stored edge), so after a crash they are
// recomputed and published again. Writing the whole partial data tile twice per round (staged
// and as the data edge) and the edge as JSON was most of a round's SQLite work (bench:ct).

import { type Bytes, fromBase64, toBytes, toHex } from "../encoding/bytes.ts";
import { HASH_SIZE } from "../merkle/hash.ts";
import { TILE_WIDTH, type TreeEdge } from "../merkle/tiles.ts";
import type { StoredLogKeys } from "./log-keys.ts";
import type { TreeState } from "./sequencer.ts";

/** An object staged for R2, relative to the log's prefix. */
export interface StagedUpload {
  readonly seq: number;
  readonly path: string;
  readonly data: Bytes;
}

export interface EntryRecord {
  readonly identity: Uint8Array;
  readonly index: number;
  readonly timestamp: number;
  readonly leafHash: Uint8Array;
}

/** The committed state the sequencer resumes from. */
export interface StoredLog {
  readonly tree: TreeState;
  /** The signed checkpoint of `tree` (null only for a log last written before checkpoints were kept here). */
  readonly checkpoint: string | null;
  /** Whether `checkpoint` carries the post-quantum cosignature lines. */
  readonly cosigned: boolean;
}

const ENTRIES_TABLE = "CREATE TABLE IF NOT EXISTS log_entries (idx INTEGER PRIMARY KEY, identity BLOB NOT NULL, leaf_hash BLOB NOT NULL, timestamp INTEGER NOT NULL)";

/** Key kinds in the lookup tables: an entry's dedup identity and its RFC 6962 leaf hash. */
const IDENTITY_KEY = 1;
const LEAF_HASH_KEY = 2;
/** Bytes of a hash kept as its lookup key (after the kind byte). */
const KEY_PREFIX = 8;
/** Entries whose keys wait in log_keys_recent before they are merged into log_keys. */
export const RECENT_KEYS_MAX_ENTRIES = 65_536;

/**
 * A merge moves the recent keys in this many ranges of key, one per round. Moved at once, the
 * 131,072 keys of a merge touched nearly every page of a log_keys of millions of keys in one
 * round, and the rounds queued behind it waited (bench:ct: SCT p99 from 164 ms on an empty log to
 * 846 ms at a million entries; 152–222 ms up to 1.5 million in ranges). A range touches only its
 * share of the pages.
 */
export const MERGE_SLICES = 16;

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS log_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)",
  // One row per sequenced entry, appended in index order: the dedup identity
  // (sequencer.entryIdentity) and the RFC 6962 leaf hash (for get-proof-by-hash, and the level-0
  // partial tile). Uniqueness is the round's own dedup against this table, under the lock.
  ENTRIES_TABLE,
  // Lookups by identity and by leaf hash go through two tables of keys (a kind byte and the
  // hash's first 8 bytes; a lookup compares the whole hash in log_entries). A round inserts its
  // keys into log_keys_recent, which stays small enough that its pages stay few; every
  // RECENT_KEYS_MAX_ENTRIES entries they move to log_keys in key order, a range of keys per round
  // over MERGE_SLICES rounds, touching each of its pages at most once. Inserted straight into one
  // large index, every key dirtied a page of its own once the index outgrew a round: two random
  // page writes per entry, about half of the log object's CPU per entry from a quarter of a
  // million entries on (bench:ct), and whole 32-byte keys (identity was UNIQUE) had made that
  // index twice as large.
  "CREATE TABLE IF NOT EXISTS log_keys (key BLOB NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (key, idx)) WITHOUT ROWID",
  "CREATE TABLE IF NOT EXISTS log_keys_recent (key BLOB NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (key, idx)) WITHOUT ROWID",
  // Immutable objects (full tiles, issuers) committed but not yet confirmed in R2.
  "CREATE TABLE IF NOT EXISTS log_uploads (seq INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT NOT NULL UNIQUE, data BLOB NOT NULL)",
  // Issuer fingerprints already staged, so each issuer is uploaded once.
  "CREATE TABLE IF NOT EXISTS log_issuers (fingerprint BLOB PRIMARY KEY)",
  // The partial data tile, as the TileLeafs each round appended (keyed by the first one's index).
  "CREATE TABLE IF NOT EXISTS log_data_edge (first INTEGER PRIMARY KEY, leaves BLOB NOT NULL)",
];

/** Durable Object SQL binds at most 100 parameters per statement. */
const MAX_PARAMETERS = 100;
const ENTRY_COLUMNS = 4;

function lookupKey(kind: number, hash: Uint8Array): ArrayBuffer {
  const key = new Uint8Array(1 + KEY_PREFIX);
  key[0] = kind;
  key.set(hash.subarray(0, KEY_PREFIX), 1);
  return key.buffer;
}

// SQLite bindings take an ArrayBuffer: a view of a whole buffer passes its buffer, others are copied.
const blob = (b: Uint8Array): ArrayBuffer =>
  b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer ? b.buffer : b.slice().buffer;

// ---- binary encodings of the head and the upper edge ----

const HEAD_VERSION = 1;
const HEAD_FIXED = 1 + 8 + 8 + HASH_SIZE + 1;

/** head: version, size and timestamp (float64: exact for safe integers), root, cosigned flag, checkpoint text. */
export function encodeHead(log: { tree: Pick<TreeState, "size" | "timestamp" | "root">; checkpoint: string | null; cosigned: boolean }): Bytes {
  const text = new TextEncoder().encode(log.checkpoint ?? "");
  const out = new Uint8Array(HEAD_FIXED + text.length);
  const view = new DataView(out.buffer);
  out[0] = HEAD_VERSION;
  view.setFloat64(1, log.tree.size);
  view.setFloat64(9, log.tree.timestamp);
  out.set(log.tree.root, 17);
  out[17 + HASH_SIZE] = log.cosigned ? 1 : 0;
  out.set(text, HEAD_FIXED);
  return out;
}

export function decodeHead(data: Uint8Array): { size: number; timestamp: number; root: Bytes; checkpoint: string | null; cosigned: boolean } {
  if (data.length < HEAD_FIXED || data[0] !== HEAD_VERSION) throw new Error("stored tree head is corrupt");
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const size = view.getFloat64(1);
  const timestamp = view.getFloat64(9);
  if (!Number.isSafeInteger(size) || size < 0 || !Number.isSafeInteger(timestamp)) throw new Error("stored tree head is corrupt");
  const text = new TextDecoder().decode(data.subarray(HEAD_FIXED));
  return { size, timestamp, root: toBytes(data.subarray(17, 17 + HASH_SIZE)), cosigned: data[17 + HASH_SIZE] === 1, checkpoint: text === "" ? null : text };
}

/** The edge's partial tiles above level 0: a level count, then per level its width and hashes. */
export function encodeUpperEdge(edge: TreeEdge): Bytes {
  const rows = edge.partials.slice(1);
  const out = new Uint8Array(1 + rows.reduce((n, r) => n + 1 + r.length * HASH_SIZE, 0));
  out[0] = rows.length;
  let at = 1;
  for (const row of rows) {
    out[at++] = row.length;
    for (const h of row) {
      out.set(h, at);
      at += HASH_SIZE;
    }
  }
  return out;
}

export function decodeUpperEdge(data: Uint8Array): Bytes[][] {
  const rows: Bytes[][] = [];
  let at = 1;
  for (let level = 0; level < (data[0] ?? 0); level++) {
    const width = data[at++];
    if (width === undefined || at + width * HASH_SIZE > data.length) throw new Error("stored tree edge is corrupt");
    const row: Bytes[] = [];
    for (let i = 0; i < width; i++, at += HASH_SIZE) row.push(toBytes(data.subarray(at, at + HASH_SIZE)));
    rows.push(row);
  }
  if (at !== data.length) throw new Error("stored tree edge is corrupt");
  return rows;
}

/** The tree state from its stored parts: the head, the edge above level 0, the leaf hashes past the last full tile, the data edge. */
export function assembleTree(head: { size: number; timestamp: number; root: Bytes }, upper: Bytes[][], level0: Bytes[], dataEdge: Bytes): TreeState {
  const partials = head.size === 0 ? [] : [level0, ...upper];
  return { size: head.size, root: head.root, timestamp: head.timestamp, edge: { size: head.size, partials }, dataEdge };
}

/** The tree state as logs before the binary head stored it (log_meta "tree"), read for upgrades. */
interface LegacyTree {
  readonly size: number;
  readonly root: string;
  readonly timestamp: number;
  readonly partials: readonly (readonly string[])[];
}

function decodeLegacyTree(stored: LegacyTree, dataEdge: Uint8Array): TreeState {
  const decode = (s: string): Bytes => {
    const b = fromBase64(s);
    if (b === null || b.length !== HASH_SIZE) throw new Error("stored tree state is corrupt");
    return b;
  };
  return {
    size: stored.size,
    root: decode(stored.root),
    timestamp: stored.timestamp,
    edge: { size: stored.size, partials: stored.partials.map((row) => row.map(decode)) },
    dataEdge: toBytes(dataEdge),
  };
}

export class LogStore {
  /** Staged uploads up to this seq are in R2; they are deleted with the next transaction. */
  #publishedSeq = 0;
  #deletedSeq = 0;

  /** Entries whose keys are in log_keys_recent (counted anew when a merge ends). */
  #recentEntries: number;
  /**
   * The next range of keys to move while a merge is under way. Not stored: after a restart the
   * count of recent entries starts the merge again, and moving a range twice is harmless.
   */
  #mergeSlice: number | null = null;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly recentMax = RECENT_KEYS_MAX_ENTRIES,
  ) {
    this.#upgradeEntriesTable();
    for (const statement of SCHEMA) storage.sql.exec(statement);
    this.#upgradeLookups();
    this.#recentEntries = this.#countRecentEntries();
  }

  #countRecentEntries(): number {
    return this.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM log_keys_recent WHERE substr(key, 1, 1) = ?", Uint8Array.of(IDENTITY_KEY).buffer).one().n;
  }

  /**
   * Logs created before the lookup tables had identity UNIQUE and a whole-hash leaf_hash index;
   * SQLite cannot drop a UNIQUE constraint, so the table is copied into the current layout once.
   */
  #upgradeEntriesTable(): void {
    const table = this.storage.sql.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'log_entries'").toArray()[0];
    if (!table || !/UNIQUE/i.test(table.sql)) return;
    this.storage.transactionSync(() => {
      this.storage.sql.exec("DROP INDEX IF EXISTS log_entries_leaf_hash");
      this.storage.sql.exec(ENTRIES_TABLE.replace("log_entries", "log_entries_upgrade"));
      this.storage.sql.exec("INSERT INTO log_entries_upgrade (idx, identity, leaf_hash, timestamp) SELECT idx, identity, leaf_hash, timestamp FROM log_entries");
      this.storage.sql.exec("DROP TABLE log_entries");
      this.storage.sql.exec("ALTER TABLE log_entries_upgrade RENAME TO log_entries");
    });
  }

  /** A log whose entries have no lookup keys yet (created before the lookup tables) gets them, in one transaction. */
  #upgradeLookups(): void {
    const keyed = this.storage.sql.exec("SELECT 1 FROM log_keys LIMIT 1").toArray().length + this.storage.sql.exec("SELECT 1 FROM log_keys_recent LIMIT 1").toArray().length > 0;
    if (keyed || this.storage.sql.exec("SELECT 1 FROM log_entries LIMIT 1").toArray().length === 0) return;
    this.storage.transactionSync(() => {
      for (let after = -1; ; ) {
        const rows = this.storage.sql
          .exec<{ idx: number; identity: ArrayBuffer; leaf_hash: ArrayBuffer }>("SELECT idx, identity, leaf_hash FROM log_entries WHERE idx > ? ORDER BY idx LIMIT 1000", after)
          .toArray();
        if (rows.length === 0) break;
        this.#insertKeys("log_keys", rows.map((r) => ({ index: r.idx, identity: new Uint8Array(r.identity), leafHash: new Uint8Array(r.leaf_hash) })));
        after = rows.at(-1)!.idx;
      }
    });
  }

  #meta(key: string): ArrayBuffer | null {
    const row = this.storage.sql.exec<{ value: ArrayBuffer }>("SELECT value FROM log_meta WHERE key = ?", key).toArray()[0];
    return row ? row.value : null;
  }

  #putMeta(key: string, value: Uint8Array): void {
    this.storage.sql.exec("INSERT OR REPLACE INTO log_meta (key, value) VALUES (?, ?)", key, blob(value));
  }

  keys(): StoredLogKeys | null {
    const raw = this.#meta("keys");
    return raw ? (JSON.parse(new TextDecoder().decode(raw)) as StoredLogKeys) : null;
  }

  putKeys(keys: StoredLogKeys): void {
    this.#putMeta("keys", new TextEncoder().encode(JSON.stringify(keys)));
  }

  /** The committed log, or null before the first commit. A log in the older layout is upgraded. */
  load(): StoredLog | null {
    const head = this.#meta("head");
    if (head === null) return this.#upgradeLegacy();
    const h = decodeHead(new Uint8Array(head));
    const upper = decodeUpperEdge(new Uint8Array(this.#meta("edge") ?? Uint8Array.of(0).buffer));
    const tileStart = h.size - (h.size % TILE_WIDTH);
    const level0 = this.storage.sql
      .exec<{ leaf_hash: ArrayBuffer }>("SELECT leaf_hash FROM log_entries WHERE idx >= ? ORDER BY idx", tileStart)
      .toArray()
      .map((r) => new Uint8Array(r.leaf_hash) as Bytes);
    if (level0.length !== h.size - tileStart) throw new Error(`stored log of size ${h.size} has ${level0.length} entries past index ${tileStart}`);
    const chunks = this.storage.sql.exec<{ first: number; leaves: ArrayBuffer }>("SELECT first, leaves FROM log_data_edge ORDER BY first").toArray();
    if (chunks.some((c) => c.first < tileStart)) throw new Error("stored data edge is behind the tree");
    const dataEdge: Bytes = new Uint8Array(chunks.reduce((n, c) => n + c.leaves.byteLength, 0));
    let at = 0;
    for (const c of chunks) {
      dataEdge.set(new Uint8Array(c.leaves), at);
      at += c.leaves.byteLength;
    }
    return { tree: assembleTree(h, upper, level0, dataEdge), checkpoint: h.checkpoint, cosigned: h.cosigned };
  }

  /**
   * Logs written before the binary head kept the tree as JSON ("tree"), the partial data tile as
   * one blob ("data-edge"), and the checkpoint only while staged or awaiting its cosignature.
   * Rewrites that state in the current layout, in one transaction.
   */
  #upgradeLegacy(): StoredLog | null {
    const raw = this.#meta("tree");
    if (raw === null) return null;
    const tree = decodeLegacyTree(JSON.parse(new TextDecoder().decode(raw)) as LegacyTree, new Uint8Array(this.#meta("data-edge") ?? new ArrayBuffer(0)));
    const stagedCheckpoint = this.storage.sql.exec<{ data: ArrayBuffer }>("SELECT data FROM log_uploads WHERE path = 'checkpoint'").toArray()[0];
    const uncosigned = this.#meta("uncosigned-checkpoint");
    const text = stagedCheckpoint ?? (uncosigned ? { data: uncosigned } : null);
    // Whether a staged checkpoint had its post-quantum lines is not recorded: treat it as lacking
    // them (adding them again replaces the lines, src/note/note.ts signNote).
    const log: StoredLog = { tree, checkpoint: text ? new TextDecoder().decode(text.data) : null, cosigned: text === null };
    this.storage.transactionSync(() => {
      this.#putMeta("head", encodeHead(log));
      this.#putMeta("edge", encodeUpperEdge(tree.edge));
      this.storage.sql.exec("DELETE FROM log_data_edge");
      if (tree.dataEdge.length > 0) this.storage.sql.exec("INSERT INTO log_data_edge (first, leaves) VALUES (?, ?)", tree.size - (tree.size % TILE_WIDTH), blob(tree.dataEdge));
      // The staged checkpoint is the head's now; staged partial tiles are published again from the state.
      this.storage.sql.exec("DELETE FROM log_uploads WHERE path = 'checkpoint' OR path LIKE '%.p/%'");
      this.storage.sql.exec("DELETE FROM log_meta WHERE key IN ('tree', 'data-edge', 'uncosigned-checkpoint')");
    });
    return log;
  }

  /** The entries previously sequenced with these identities, keyed by hex identity. */
  findByIdentities(identities: readonly Uint8Array[]): Map<string, { index: number; timestamp: number }> {
    const found = new Map<string, { index: number; timestamp: number }>();
    // Each key is bound twice (one per lookup table).
    const perStatement = MAX_PARAMETERS / 2;
    for (let i = 0; i < identities.length; i += perStatement) {
      const keys = identities.slice(i, i + perStatement).map((id) => lookupKey(IDENTITY_KEY, id));
      const marks = keys.map(() => "?").join(",");
      const rows = this.storage.sql.exec<{ identity: ArrayBuffer; idx: number; timestamp: number }>(
        `SELECT identity, idx, timestamp FROM log_entries WHERE idx IN (SELECT idx FROM log_keys WHERE key IN (${marks}) UNION ALL SELECT idx FROM log_keys_recent WHERE key IN (${marks}))`,
        ...keys,
        ...keys,
      );
      // Rows whose identity only shares the prefix are keyed by their own identity, which no caller asks for.
      for (const r of rows) found.set(toHex(new Uint8Array(r.identity)), { index: r.idx, timestamp: r.timestamp });
    }
    return found;
  }

  /** The smallest index whose leaf hash is `leafHash` (RFC 6962 §4.5), or null. */
  indexOfLeafHash(leafHash: Uint8Array): number | null {
    const key = lookupKey(LEAF_HASH_KEY, leafHash);
    const row = this.storage.sql
      .exec<{ idx: number | null }>(
        "SELECT MIN(idx) AS idx FROM log_entries WHERE leaf_hash = ? AND idx IN (SELECT idx FROM log_keys WHERE key = ? UNION ALL SELECT idx FROM log_keys_recent WHERE key = ?)",
        blob(leafHash),
        key,
        key,
      )
      .toArray()[0];
    return row && row.idx !== null ? row.idx : null;
  }

  entryCount(): number {
    return this.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM log_entries").one().n;
  }

  /** Issuer fingerprints not yet staged. */
  newIssuers(fingerprints: readonly Uint8Array[]): Uint8Array[] {
    if (fingerprints.length === 0) return [];
    const known = new Set<string>();
    for (let i = 0; i < fingerprints.length; i += MAX_PARAMETERS) {
      const chunk = fingerprints.slice(i, i + MAX_PARAMETERS);
      const rows = this.storage.sql.exec<{ fingerprint: ArrayBuffer }>(`SELECT fingerprint FROM log_issuers WHERE fingerprint IN (${chunk.map(() => "?").join(",")})`, ...chunk.map(blob));
      for (const r of rows) known.add(toHex(new Uint8Array(r.fingerprint)));
    }
    return fingerprints.filter((f) => !known.has(toHex(f)));
  }

  /** Writes a tree head and its checkpoint (first start, a refreshed or a cosigned checkpoint). */
  commitHead(log: StoredLog, keys?: StoredLogKeys): void {
    this.storage.transactionSync(() => {
      this.#forgetPublished();
      if (keys) this.putKeys(keys);
      this.#putMeta("head", encodeHead(log));
    });
  }

  /**
   * Commits a round atomically: its entries, the new head and checkpoint, the TileLeafs it
   * appended, the edge when it moved, newly seen issuers and the immutable objects to publish.
   * Either all of it is durable or none of it is. `from` is the state the round grew. Returns
   * the sequence number of the last object staged (0 when none was).
   */
  commitRound(round: {
    from: TreeState;
    log: StoredLog;
    entries: readonly EntryRecord[];
    issuers: readonly Uint8Array[];
    /** Full tiles and issuers: objects that cannot be recomputed from the state. */
    staged: readonly { path: string; data: Uint8Array }[];
  }): number {
    const { from, log } = round;
    const tree = log.tree;
    const oldTile = Math.floor(from.size / TILE_WIDTH);
    const newTile = Math.floor(tree.size / TILE_WIDTH);
    this.storage.transactionSync(() => {
      this.#forgetPublished();
      this.#insertEntries(round.entries);
      for (let i = 0; i < round.issuers.length; i += MAX_PARAMETERS) {
        const chunk = round.issuers.slice(i, i + MAX_PARAMETERS);
        this.storage.sql.exec(`INSERT OR IGNORE INTO log_issuers (fingerprint) VALUES ${chunk.map(() => "(?)").join(",")}`, ...chunk.map(blob));
      }
      // A re-staged path moves to the end (staging order is publication order).
      for (const u of round.staged) this.storage.sql.exec("INSERT OR REPLACE INTO log_uploads (path, data) VALUES (?, ?)", u.path, blob(u.data));
      if (newTile !== oldTile) {
        // A level-0 tile filled: the data edge starts over and the edge above level 0 moved.
        this.storage.sql.exec("DELETE FROM log_data_edge");
        if (tree.dataEdge.length > 0) this.storage.sql.exec("INSERT INTO log_data_edge (first, leaves) VALUES (?, ?)", newTile * TILE_WIDTH, blob(tree.dataEdge));
        this.#putMeta("edge", encodeUpperEdge(tree.edge));
      } else if (tree.size > from.size) {
        this.storage.sql.exec("INSERT INTO log_data_edge (first, leaves) VALUES (?, ?)", from.size, blob(tree.dataEdge.subarray(from.dataEdge.length)));
      }
      this.#putMeta("head", encodeHead(log));
    });
    return round.staged.length === 0 ? 0 : this.storage.sql.exec<{ seq: number }>("SELECT MAX(seq) AS seq FROM log_uploads").one().seq;
  }

  #insertEntries(entries: readonly EntryRecord[]): void {
    const perStatement = Math.floor(MAX_PARAMETERS / ENTRY_COLUMNS);
    for (let i = 0; i < entries.length; i += perStatement) {
      const chunk = entries.slice(i, i + perStatement);
      const params: (number | ArrayBuffer)[] = [];
      for (const e of chunk) params.push(e.index, blob(e.identity), blob(e.leafHash), e.timestamp);
      this.storage.sql.exec(`INSERT INTO log_entries (idx, identity, leaf_hash, timestamp) VALUES ${chunk.map(() => "(?, ?, ?, ?)").join(",")}`, ...params);
    }
    this.#insertKeys("log_keys_recent", entries);
    this.#recentEntries += entries.length;
    if (this.#mergeSlice === null && this.#recentEntries >= this.recentMax) this.#mergeSlice = 0;
    if (this.#mergeSlice === null) return;
    this.#moveKeys(this.#mergeSlice);
    if (++this.#mergeSlice < MERGE_SLICES) return;
    this.#mergeSlice = null;
    // What is left came in during the merge, in ranges already moved.
    this.#recentEntries = this.#countRecentEntries();
  }

  /**
   * Moves the recent keys of range `slice` (of MERGE_SLICES, by the hash's first byte, for both
   * kinds of key) to log_keys in key order. In the round's transaction: every key is in exactly
   * one of the two tables at every commit.
   */
  #moveKeys(slice: number): void {
    const bound = (kind: number, s: number) => (s < MERGE_SLICES ? Uint8Array.of(kind, (s * 256) / MERGE_SLICES) : Uint8Array.of(kind + 1)).buffer;
    for (const kind of [IDENTITY_KEY, LEAF_HASH_KEY]) {
      const [from, to] = [bound(kind, slice), bound(kind, slice + 1)];
      this.storage.sql.exec("INSERT OR IGNORE INTO log_keys (key, idx) SELECT key, idx FROM log_keys_recent WHERE key >= ? AND key < ? ORDER BY key, idx", from, to);
      this.storage.sql.exec("DELETE FROM log_keys_recent WHERE key >= ? AND key < ?", from, to);
    }
  }

  /** Both lookup keys of each entry into `table`. */
  #insertKeys(table: "log_keys" | "log_keys_recent", entries: readonly Pick<EntryRecord, "index" | "identity" | "leafHash">[]): void {
    const perStatement = MAX_PARAMETERS / 4; // two keys per entry, two parameters per key
    for (let i = 0; i < entries.length; i += perStatement) {
      const chunk = entries.slice(i, i + perStatement);
      const params: (number | ArrayBuffer)[] = [];
      for (const e of chunk) params.push(lookupKey(IDENTITY_KEY, e.identity), e.index, lookupKey(LEAF_HASH_KEY, e.leafHash), e.index);
      this.storage.sql.exec(`INSERT OR IGNORE INTO ${table} (key, idx) VALUES ${chunk.map(() => "(?, ?), (?, ?)").join(",")}`, ...params);
    }
  }

  #forgetPublished(): void {
    if (this.#publishedSeq <= this.#deletedSeq) return;
    this.storage.sql.exec("DELETE FROM log_uploads WHERE seq <= ?", this.#publishedSeq);
    this.#deletedSeq = this.#publishedSeq;
  }

  staged(): StagedUpload[] {
    return this.storage.sql
      .exec<{ seq: number; path: string; data: ArrayBuffer }>("SELECT seq, path, data FROM log_uploads ORDER BY seq")
      .toArray()
      .map((r) => ({ seq: r.seq, path: r.path, data: toBytes(r.data) }));
  }

  /**
   * Records that staged uploads up to `seq` are in R2. They are deleted with the next commit
   * rather than in a write of their own; until then a restart would only upload them again.
   */
  published(seq: number): void {
    this.#publishedSeq = Math.max(this.#publishedSeq, seq);
  }
}

