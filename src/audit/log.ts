// The audit log's write path, the CT log's round in miniature: pooled appends are sequenced in
// rounds (src/ct/pool.ts), each round committed to the object's SQLite storage with its
// checkpoint and full tiles (src/ct/log-store.ts), and only then answered with leaf indices.
// Unlike the CT log, nobody waits for R2: the commitment validators check is the committed
// state, so publication runs beside sequencing, coalesced over PUBLISH_DELAY_MS (fewer R2 writes
// per entry under load), and is retried by the alarm if an upload failed. The checkpoint is
// signed with the same key kinds as the CT log's (src/ct/log-keys.ts): the Ed25519 note
// signature is what `npm run audit:verify` checks. As in the CT log, the post-quantum lines
// (ML-DSA-44, FALCON-1024: about 12 ms of CPU together) stay off the append path: a round signs
// its checkpoint classically, and a publication adds them to the checkpoint it uploads at most
// once every COSIGN_INTERVAL_MS; a checkpoint published sooner goes up with its classical lines
// and, if no newer one follows, is re-published with the post-quantum lines when the interval
// is over (as the CT log does), so they cost one pair a second under load.

import { type Bytes, sha256 } from "../encoding/bytes.ts";
import type { LogStore, StoredLog } from "../ct/log-store.ts";
import { CHECKPOINT_PATH, type ObjectSink, contentTypeFor } from "../ct/log-sequencer.ts";
import { type LogKeys, type StoredLogKeys, addCosignature, generateLogKeys, loadLogKeys, signTreeHeadAndCheckpoint, withPostQuantumKeys } from "../ct/log-keys.ts";
import { SequencingPool } from "../ct/pool.ts";
import { type TreeState, emptyTree, partialTiles } from "../ct/sequencer.ts";
import { type Problem, ProblemType, problem } from "../problem.ts";
import { type AuditEntry, MAX_ENTRY_BYTES, encodeEntry, entriesTilePath } from "./entry.ts";
import { sequenceAudit } from "./sequencer.ts";

export const AUDIT_LOG_NAME = "audit-log";
/** How long a committed round may wait before R2 has it: rounds within it share one upload. */
export const PUBLISH_DELAY_MS = 100;

/** Request hashes by leaf index, beside the log store's own tables (same object, same storage). */
/** At most one pair of post-quantum checkpoint lines this often. */
const COSIGN_INTERVAL_MS = 1000;
// Validators look entries up by request hash (committedIndex) once per vote: without the index
// each lookup scanned the whole table, a cost that grew with the log.
const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS audit_requests (idx INTEGER PRIMARY KEY, request_hash TEXT NOT NULL)",
  "CREATE INDEX IF NOT EXISTS audit_requests_hash ON audit_requests (request_hash, idx)",
];

export interface AuditLogInfo {
  origin: string;
  /** The Ed25519 note verifier key of the checkpoint ("<origin>+<key id>+<base64>"). */
  verifierKey: string;
  /** The vkeys of its post-quantum lines (src/note/cosignature.ts). */
  mlDsa44CosignatureKey: string;
  falconCosignatureKey: string;
  size: number;
}

export class AuditLogCore {
  #tree: TreeState;
  #checkpoint: string | null;
  #cosigned: boolean;
  /** Commits so far and the number of them R2 has (it lags by at most PUBLISH_DELAY_MS, or after a failure). */
  #commits = 1;
  #publishedCommits = 0;
  /** The newest uploaded checkpoint while it still lacks its post-quantum lines. */
  #uncosigned: string | null = null;
  #lastCosignAt = 0;
  #cosignTimer: ReturnType<typeof setTimeout> | null = null;
  #lock: Promise<unknown> = Promise.resolve();
  #publishing: Promise<boolean> = Promise.resolve(true);
  #publishTimer: ReturnType<typeof setTimeout> | null = null;
  /** Callers waiting for a request hash to be committed (committedIndex). */
  #waiters = new Map<string, ((index: number) => void)[]>();
  readonly #pool: SequencingPool<Bytes, number>;

  private constructor(
    private readonly storage: DurableObjectStorage,
    private readonly store: LogStore,
    private readonly keys: LogKeys,
    private readonly origin: string,
    private readonly sink: ObjectSink,
    private readonly retryLater: () => void,
    log: StoredLog,
  ) {
    this.#tree = log.tree;
    this.#checkpoint = log.checkpoint;
    this.#cosigned = log.cosigned;
    this.#pool = new SequencingPool((batch) => this.#exclusive(() => this.#round(batch)), { batchMax: 256, windowMs: 0, poolMax: 8192 });
  }

  static async open(storage: DurableObjectStorage, store: LogStore, kek: CryptoKey, origin: string, sink: ObjectSink, retryLater: () => void): Promise<AuditLogCore> {
    for (const statement of SCHEMA) storage.sql.exec(statement);
    let stored: StoredLogKeys | null = store.keys();
    let state = store.load();
    if (stored === null || state === null) {
      stored ??= await generateLogKeys(kek, AUDIT_LOG_NAME);
      const keys = await loadLogKeys(kek, AUDIT_LOG_NAME, origin, stored);
      const tree = emptyTree(Date.now());
      const sth = await signTreeHeadAndCheckpoint(keys, origin, 0, tree.root, tree.timestamp);
      state = { tree, checkpoint: sth.checkpoint, cosigned: true };
      store.commitHead(state, stored);
    }
    const upgraded = await withPostQuantumKeys(kek, AUDIT_LOG_NAME, stored);
    if (upgraded) {
      stored = upgraded;
      store.putKeys(stored);
    }
    const log = new AuditLogCore(storage, store, await loadLogKeys(kek, AUDIT_LOG_NAME, origin, stored), origin, sink, retryLater, state);
    await log.publish();
    return log;
  }

  info(): AuditLogInfo {
    return { origin: this.origin, verifierKey: this.keys.noteVerifierKey, mlDsa44CosignatureKey: this.keys.cosignatureVerifierKey, falconCosignatureKey: this.keys.falconVerifierKey, size: this.#tree.size };
  }

  /** Appends an entry; resolves with its leaf index once the round is committed. */
  async append(entry: AuditEntry): Promise<number | Problem> {
    const bytes = encodeEntry(entry);
    if (bytes.length > MAX_ENTRY_BYTES) return problem(ProblemType.malformed, 400, `an audit entry is at most ${MAX_ENTRY_BYTES} bytes`);
    const queued = this.#pool.offer(bytes);
    return queued ?? problem(ProblemType.serverInternal, 503, "the audit log's append pool is full; retry in a second", { title: "Service Unavailable" });
  }

  /** Whether the entry at `index` names `requestHash` (the validators' space proof). */
  has(index: number, requestHash: string): boolean {
    const row = this.storage.sql.exec<{ request_hash: string }>("SELECT request_hash FROM audit_requests WHERE idx = ?", index).toArray()[0];
    return row?.request_hash === requestHash;
  }

  /**
   * The index that commits `requestHash`, waiting up to `timeoutMs` for a round in progress:
   * validators ask while the coordinator's append is still being sequenced, so their other
   * checks overlap the audit round.
   */
  committedIndex(requestHash: string, timeoutMs: number): Promise<number | null> {
    const known = this.indexOf(requestHash);
    if (known !== null || timeoutMs <= 0) return Promise.resolve(known);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const list = this.#waiters.get(requestHash) ?? [];
        const rest = list.filter((w) => w !== done);
        if (rest.length > 0) this.#waiters.set(requestHash, rest);
        else this.#waiters.delete(requestHash);
        resolve(null);
      }, timeoutMs);
      const done = (index: number) => {
        clearTimeout(timer);
        resolve(index);
      };
      this.#waiters.set(requestHash, [...(this.#waiters.get(requestHash) ?? []), done]);
    });
  }

  /** The first index whose entry names `requestHash`, or null. */
  indexOf(requestHash: string): number | null {
    return this.storage.sql.exec<{ idx: number }>("SELECT MIN(idx) AS idx FROM audit_requests WHERE request_hash = ?", requestHash).toArray()[0]?.idx ?? null;
  }

  /** Uploads everything staged; one upload at a time, beside (not inside) sequencing. */
  publish(): Promise<boolean> {
    const run = this.#publishing.then(() => this.#publishStaged());
    this.#publishing = run.catch(() => false);
    return run;
  }

  #publishSoon(): void {
    if (this.#publishTimer !== null) return;
    this.#publishTimer = setTimeout(() => {
      this.#publishTimer = null;
      void this.publish();
    }, PUBLISH_DELAY_MS);
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  /**
   * Uploads the committed state as it is now: staged full tiles, the partial tiles recomputed
   * from the tree, then the checkpoint with its post-quantum lines. Rounds committed while this
   * runs are left for the next publication.
   */
  async #publishStaged(): Promise<boolean> {
    if (this.#publishedCommits === this.#commits) return true;
    const commits = this.#commits;
    const staged = this.store.staged();
    const objects = [...staged.filter((s) => s.path !== CHECKPOINT_PATH), ...partialTiles(this.#tree, entriesTilePath)];
    const checkpoint = this.#checkpoint;
    const cosigned = this.#cosigned;
    try {
      await Promise.all(objects.map((o) => this.sink.put(o.path, o.data, contentTypeFor(o.path))));
      if (checkpoint !== null) {
        const due = Date.now() - this.#lastCosignAt >= COSIGN_INTERVAL_MS;
        await this.#putCheckpoint(cosigned ? checkpoint : due ? await this.#withCosignature(checkpoint) : checkpoint);
        this.#uncosigned = cosigned || due ? null : checkpoint;
        if (this.#uncosigned !== null) this.#scheduleCosignature();
      }
    } catch (e) {
      console.error("audit log: publishing to R2 failed; will retry", e);
      this.retryLater();
      return false;
    }
    this.#publishedCommits = commits;
    this.store.published(staged.at(-1)?.seq ?? 0);
    return true;
  }

  #putCheckpoint(text: string): Promise<void> {
    return this.sink.put(CHECKPOINT_PATH, new TextEncoder().encode(text), contentTypeFor(CHECKPOINT_PATH));
  }

  #withCosignature(checkpoint: string): Promise<string> {
    this.#lastCosignAt = Date.now();
    return addCosignature(this.keys, checkpoint);
  }

  /** Re-publishes the newest checkpoint with its post-quantum lines once the interval is over. */
  #scheduleCosignature(): void {
    if (this.#cosignTimer !== null) return;
    this.#cosignTimer = setTimeout(() => {
      this.#cosignTimer = null;
      // In the publication chain: a checkpoint published meanwhile replaced #uncosigned.
      const run = this.#publishing.then(async () => {
        const text = this.#uncosigned;
        if (text === null) return true;
        try {
          await this.#putCheckpoint(await this.#withCosignature(text));
          if (this.#uncosigned === text) this.#uncosigned = null;
        } catch (e) {
          console.error("audit log: publishing the cosigned checkpoint failed; the next publication adds the lines", e);
        }
        return true;
      });
      this.#publishing = run;
    }, Math.max(0, this.#lastCosignAt + COSIGN_INTERVAL_MS - Date.now()));
  }

  async #round(batch: Bytes[]): Promise<number[]> {
    const timestamp = Math.max(Date.now(), this.#tree.timestamp);
    const round = sequenceAudit(this.#tree, batch, timestamp);
    const sth = await signTreeHeadAndCheckpoint(this.keys, this.origin, round.tree.size, round.tree.root, timestamp, false);
    const identities = await Promise.all(batch.map((b) => sha256(b)));
    const first = this.#tree.size;
    this.store.commitRound({
      from: this.#tree,
      log: { tree: round.tree, checkpoint: sth.checkpoint, cosigned: false },
      // The audit log never deduplicates: an entry's identity is its hash salted with its index.
      entries: round.leafHashes.map((leafHash, i) => ({ identity: saltedIdentity(identities[i]!, first + i), index: first + i, timestamp, leafHash })),
      issuers: [],
      staged: round.tiles.filter((t) => t.full),
    });
    batch.forEach((b, i) => {
      const hash = (JSON.parse(new TextDecoder().decode(b)) as AuditEntry).requestHash;
      if (hash) this.storage.sql.exec("INSERT OR REPLACE INTO audit_requests (idx, request_hash) VALUES (?, ?)", first + i, hash);
    });
    this.#tree = round.tree;
    this.#checkpoint = sth.checkpoint;
    this.#cosigned = false;
    this.#commits++;
    batch.forEach((b, i) => {
      const hash = (JSON.parse(new TextDecoder().decode(b)) as AuditEntry).requestHash;
      const waiting = this.#waiters.get(hash);
      if (!waiting) return;
      this.#waiters.delete(hash);
      for (const w of waiting) w(first + i);
    });
    // Committed: the indices stand even if R2 lags (the staged objects are retried).
    this.#publishSoon();
    return batch.map((_, i) => first + i);
  }
}

function saltedIdentity(hash: Bytes, index: number): Bytes {
  const out = hash.slice();
  new DataView(out.buffer).setFloat64(24, index);
  return out;
}
