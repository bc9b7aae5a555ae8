// The log's durable state in its Durable Object's SQLite storage. This is the trusted store (as
// in Sunlight, where the lock backend is trusted and object storage is not): the tree size and
// edge, the entries' dedup identities and leaf hashes, and the objects staged for R2. A round is
// committed here in one transaction before anything is published or acknowledged, and R2 is
// brought up to date from the staged objects, so R2 may lag but never leads.

import { type Bytes, toBytes } from "../encoding/bytes.ts";
import type { StoredLogKeys } from "./log-keys.ts";
import { type StoredTree, type TreeState, loadTree, storeTree } from "./sequencer.ts";

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

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS log_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)",
  // One row per sequenced entry: the dedup identity (sequencer.entryIdentity) and the RFC 6962
  // leaf hash, for get-proof-by-hash.
  "CREATE TABLE IF NOT EXISTS log_entries (idx INTEGER PRIMARY KEY, identity BLOB NOT NULL UNIQUE, leaf_hash BLOB NOT NULL, timestamp INTEGER NOT NULL)",
  "CREATE INDEX IF NOT EXISTS log_entries_leaf_hash ON log_entries (leaf_hash)",
  // Objects committed but not yet confirmed in R2. The checkpoint is always staged last.
  "CREATE TABLE IF NOT EXISTS log_uploads (seq INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT NOT NULL UNIQUE, data BLOB NOT NULL)",
  // Issuer fingerprints already staged, so each issuer is uploaded once.
  "CREATE TABLE IF NOT EXISTS log_issuers (fingerprint BLOB PRIMARY KEY)",
];

// SQLite bindings take an ArrayBuffer: a view of a whole buffer passes its buffer, others are copied.
const blob = (b: Uint8Array): ArrayBuffer =>
  b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer ? b.buffer : b.slice().buffer;

export class LogStore {
  constructor(private readonly storage: DurableObjectStorage) {
    for (const statement of SCHEMA) storage.sql.exec(statement);
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

  tree(): TreeState | null {
    const raw = this.#meta("tree");
    if (!raw) return null;
    return loadTree(JSON.parse(new TextDecoder().decode(raw)) as StoredTree, new Uint8Array(this.#meta("data-edge") ?? new ArrayBuffer(0)));
  }

  /** The entry previously sequenced with this identity, if any. */
  findByIdentity(identity: Uint8Array): EntryRecord | null {
    const row = this.storage.sql
      .exec<{ idx: number; timestamp: number; leaf_hash: ArrayBuffer }>("SELECT idx, timestamp, leaf_hash FROM log_entries WHERE identity = ?", blob(identity))
      .toArray()[0];
    return row ? { identity, index: row.idx, timestamp: row.timestamp, leafHash: new Uint8Array(row.leaf_hash) } : null;
  }

  /** The smallest index whose leaf hash is `leafHash` (RFC 6962 §4.5), or null. */
  indexOfLeafHash(leafHash: Uint8Array): number | null {
    const row = this.storage.sql.exec<{ idx: number }>("SELECT MIN(idx) AS idx FROM log_entries WHERE leaf_hash = ?", blob(leafHash)).toArray()[0];
    return row && row.idx !== null ? row.idx : null;
  }

  entryCount(): number {
    return this.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM log_entries").one().n;
  }

  /** Issuer fingerprints not yet staged. */
  newIssuers(fingerprints: readonly Uint8Array[]): Uint8Array[] {
    return fingerprints.filter((f) => this.storage.sql.exec("SELECT 1 FROM log_issuers WHERE fingerprint = ?", blob(f)).toArray().length === 0);
  }

  /**
   * Commits a round atomically: the entries, the new tree state, newly seen issuers and every
   * object to publish (checkpoint last). Either all of it is durable or none of it is.
   */
  commitRound(round: {
    tree: TreeState;
    entries: readonly EntryRecord[];
    issuers: readonly Uint8Array[];
    uploads: readonly { path: string; data: Uint8Array }[];
    keys?: StoredLogKeys;
    /** The round's checkpoint when it still lacks its cosignature; null once it has it. */
    uncosignedCheckpoint?: string | null;
  }): void {
    this.storage.transactionSync(() => {
      if (round.keys) this.#putMeta("keys", new TextEncoder().encode(JSON.stringify(round.keys)));
      if (typeof round.uncosignedCheckpoint === "string") this.#putMeta("uncosigned-checkpoint", new TextEncoder().encode(round.uncosignedCheckpoint));
      else if (round.uncosignedCheckpoint === null) this.storage.sql.exec("DELETE FROM log_meta WHERE key = 'uncosigned-checkpoint'");
      for (const e of round.entries) {
        this.storage.sql.exec("INSERT INTO log_entries (idx, identity, leaf_hash, timestamp) VALUES (?, ?, ?, ?)", e.index, blob(e.identity), blob(e.leafHash), e.timestamp);
      }
      for (const f of round.issuers) this.storage.sql.exec("INSERT OR IGNORE INTO log_issuers (fingerprint) VALUES (?)", blob(f));
      for (const u of round.uploads) {
        // Re-staging a path (a partial tile widened again before it was published) moves it to the end.
        this.storage.sql.exec("DELETE FROM log_uploads WHERE path = ?", u.path);
        this.storage.sql.exec("INSERT INTO log_uploads (path, data) VALUES (?, ?)", u.path, blob(u.data));
      }
      this.#putMeta("tree", new TextEncoder().encode(JSON.stringify(storeTree(round.tree))));
      this.#putMeta("data-edge", round.tree.dataEdge);
    });
  }

  /** The latest checkpoint, if a restart came between its round and its cosignature. */
  uncosignedCheckpoint(): string | null {
    const raw = this.#meta("uncosigned-checkpoint");
    return raw ? new TextDecoder().decode(raw) : null;
  }

  staged(): StagedUpload[] {
    return this.storage.sql
      .exec<{ seq: number; path: string; data: ArrayBuffer }>("SELECT seq, path, data FROM log_uploads ORDER BY seq")
      .toArray()
      .map((r) => ({ seq: r.seq, path: r.path, data: toBytes(r.data) }));
  }

  /** The sequence number of the newest staged object (0 when none ever was). */
  lastStagedSeq(): number {
    return this.storage.sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM log_uploads").one().seq ?? 0;
  }

  /** Forgets staged objects up to `seq` once R2 holds them. */
  published(seq: number): void {
    this.storage.sql.exec("DELETE FROM log_uploads WHERE seq <= ?", seq);
  }
}
