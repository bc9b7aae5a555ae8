// The CT log's write path. A round, in this order (the order of Sunlight and Azul):
//   1. publish whatever an earlier round committed but R2 does not have yet;
//   2. dedup: entries already in the log keep their index and timestamp;
//   3. sequence the new ones and compute tiles, data tiles and root (sequencer.ts);
//   4. sign the tree head and checkpoint;
//   5. commit entries, tree state, checkpoint and the immutable objects (full tiles, new
//      issuers) in one SQLite transaction (log-store.ts);
//   6. upload the round's new and widened tiles and issuers to R2, then the checkpoint;
//   7. only then sign and release the SCTs.
// Crash safety: nothing is acknowledged before step 5 commits. A crash before it loses only
// unacknowledged entries and their indices are handed out again, to entries whose submitters
// were never told anything. A crash after it (or an R2 failure) leaves R2 behind the committed
// state: the next start (alarm) or the next round's step 1 uploads the staged immutable objects,
// the partial tiles recomputed from the committed state, and the committed checkpoint, before
// the tree grows further; a resubmission finds the entry in step 2 with its original index. The
// checkpoint goes to R2 last, so a published checkpoint never names tiles that are missing.

import { type Bytes, bytesEqual, sha256Sync, toHex } from "../encoding/bytes.ts";
import { parseCheckpoint } from "../note/checkpoint.ts";
import { parseNote } from "../note/note.ts";
import { type Problem, ProblemType, problem } from "../problem.ts";
import type { LogConfig } from "./log-config.ts";
import { type LogKeys, type StoredLogKeys, generateLogKeys, loadLogKeys, signTreeHeadAndCheckpoint, withPostQuantumKeys, addCosignature } from "./log-keys.ts";
import type { EntryRecord, LogStore, StoredLog } from "./log-store.ts";
import { SequencingPool } from "./pool.ts";
import { type NewEntry, type SequencedEntry, type TreeState, type Upload, emptyTree, entryIdentity, partialTiles, sequenceBatch } from "./sequencer.ts";
import { type SignedEntry, encodeDigitallySigned, signSct } from "./structures.ts";

export interface Submission {
  readonly entry: SignedEntry;
  readonly preCertificate?: Uint8Array;
  /** The DER issuers after the submitted certificate, root included. */
  readonly issuers: readonly Uint8Array[];
}

/** RFC 6962 §4.1 add-chain output, in bytes. */
export interface SctResult {
  readonly leafIndex: number;
  readonly logId: Bytes;
  readonly timestamp: number;
  /** CtExtensions body (the static-ct-api leaf_index extension). */
  readonly extensions: Bytes;
  /** TLS-encoded DigitallySigned. */
  readonly signature: Bytes;
}

export interface LogPublicInfo {
  readonly name: string;
  readonly origin: string;
  readonly prefix: string;
  readonly logId: Bytes;
  readonly spkiDer: Bytes;
  readonly noteVerifierKey: string;
  /** The ML-DSA-44 cosignature vkey (type 0x06). */
  readonly cosignatureVerifierKey: string;
  /** The FALCON-1024 cosignature vkey (type 0xff + FALCON_COSIGNATURE_ID, src/note/cosignature.ts). */
  readonly falconVerifierKey: string;
  readonly mmdSeconds: number;
}

/** Where published objects go (R2 under the log's prefix in the Worker). */
export interface ObjectSink {
  put(path: string, data: Uint8Array, contentType: string): Promise<void>;
}

export const CHECKPOINT_PATH = "checkpoint";
/** How long a client should wait after a 503 from a full pool or a failed publication. */
export const RETRY_AFTER_SECONDS = 1;
const UPLOAD_CONCURRENCY = 16;

/** The answer to a submission that found the log's (or a batcher's) pool full. */
export function poolFull(poolMax: number): Problem {
  return problem(ProblemType.serverInternal, 503, `the log's submission pool is full (${poolMax} entries); retry after ${RETRY_AFTER_SECONDS} s`, { title: "Service Unavailable" });
}

/** The answer to submissions that a batcher or the log object, reset or unreachable, never took. */
export function logUnreachable(): Problem {
  return problem(ProblemType.serverInternal, 503, `the log could not be reached; retry after ${RETRY_AFTER_SECONDS} s`, { title: "Service Unavailable" });
}

export function contentTypeFor(path: string): string {
  if (path === CHECKPOINT_PATH) return "text/plain; charset=utf-8";
  if (path.startsWith("issuer/")) return "application/pkix-cert";
  return "application/octet-stream";
}

interface Resolved {
  readonly sub: Submission;
  readonly index: number;
  readonly timestamp: number;
  /** Its TimestampedEntry and MerkleTreeLeaf, when this round sequenced it. */
  readonly sequenced?: SequencedEntry;
}

// post-quantum: the ML-DSA-44 and FALCON-1024 lines cost about 5 and 7 ms of CPU (pure JS), more
// than the rest of a small round's signing, so they are kept off the SCT's path: a round publishes
// its checkpoint with the classical signatures (0x05 and Ed25519) and releases its SCTs; a
// follow-up publication of the latest checkpoint adds both lines: at once after an idle spell, then at most
// every COSIGN_INTERVAL_MS while rounds follow each other (so the cosigned checkpoint lags the
// tree by at most about that), much as witnesses' cosignatures follow a checkpoint. Classical
// verifiers see the same tree heads either way.
const COSIGN_INTERVAL_MS = 1000;

export class LogSequencer {
  #tree: TreeState;
  /** The committed checkpoint of #tree, the last object every publication uploads. */
  #checkpoint: string | null;
  /** Whether R2 may lack committed state: at start, and after a publication failed. */
  #stale = true;
  #lock: Promise<unknown> = Promise.resolve();
  readonly #pool: SequencingPool<Submission, SctResult | Problem>;
  /** The latest published checkpoint that still lacks its cosignature. */
  #uncosigned: string | null = null;
  #cosignTimer: ReturnType<typeof setTimeout> | null = null;
  #lastCosignAt = 0;

  private constructor(
    private readonly store: LogStore,
    private readonly keys: LogKeys,
    private readonly config: LogConfig,
    private readonly sink: ObjectSink,
    private readonly retryLater: () => void,
    log: StoredLog,
  ) {
    this.#tree = log.tree;
    this.#checkpoint = log.checkpoint;
    this.#uncosigned = log.cosigned ? null : log.checkpoint;
    this.#pool = new SequencingPool((batch) => this.#exclusive(() => this.#round(batch)).finally(() => this.#scheduleCosignature()), {
      batchMax: config.batchMax,
      windowMs: config.batchWindowMs,
      poolMax: config.poolMax,
    });
  }

  /**
   * Opens the log, creating its keys and the empty tree (with a signed size-0 checkpoint) on first
   * start. `retryLater` asks the host to call publish() again soon (a Durable Object alarm).
   */
  static async open(store: LogStore, kek: CryptoKey, config: LogConfig, sink: ObjectSink, retryLater: () => void): Promise<LogSequencer> {
    let stored: StoredLogKeys | null = store.keys();
    let log = store.load();
    if (stored === null || log === null) {
      stored ??= await generateLogKeys(kek, config.name);
      const fresh = await loadLogKeys(kek, config.name, config.origin, stored);
      const tree = emptyTree(Date.now());
      const sth = await signTreeHeadAndCheckpoint(fresh, config.origin, 0, tree.root, tree.timestamp);
      log = { tree, checkpoint: sth.checkpoint, cosigned: true };
      store.commitHead(log, stored);
    }
    // post-quantum: a log created before its ML-DSA-44 or FALCON-1024 key gets it now, kept with the others.
    const upgraded = await withPostQuantumKeys(kek, config.name, stored);
    if (upgraded) {
      stored = upgraded;
      store.putKeys(stored);
    }
    const keys = await loadLogKeys(kek, config.name, config.origin, stored);
    const sequencer = new LogSequencer(store, keys, config, sink, retryLater, log);
    // After a restart mid-round (or on first start), bring R2 up to date before serving; a
    // checkpoint whose cosignature the restart interrupted gets it now.
    await sequencer.publish();
    sequencer.#scheduleCosignature();
    return sequencer;
  }

  /** Whether a checkpoint is of the current tree (never re-publish an older one). */
  #isCurrent(checkpoint: string): boolean {
    const note = parseNote(checkpoint);
    const cp = note && parseCheckpoint(note.text);
    return cp !== null && cp.size === this.#tree.size && bytesEqual(cp.rootHash, this.#tree.root);
  }

  info(): LogPublicInfo {
    return {
      name: this.config.name,
      origin: this.config.origin,
      prefix: this.config.prefix,
      logId: this.keys.logId,
      spkiDer: this.keys.spkiDer,
      noteVerifierKey: this.keys.noteVerifierKey,
      cosignatureVerifierKey: this.keys.cosignatureVerifierKey,
      falconVerifierKey: this.keys.falconVerifierKey,
      mmdSeconds: this.config.mmdSeconds,
    };
  }

  get treeSize(): number {
    return this.#tree.size;
  }

  indexOfLeafHash(leafHash: Uint8Array): number | null {
    return this.store.indexOfLeafHash(leafHash);
  }

  /** Pools a submission; resolves with its SCT once the entry is durable and published. */
  submit(sub: Submission): Promise<SctResult | Problem> {
    return this.#pool.offer(sub) ?? Promise.resolve(poolFull(this.config.poolMax));
  }

  /**
   * Signs a new checkpoint of the same tree when the last one is older than `maxAgeMs`, so that
   * monitors see a fresh, signed tree head (RFC 6962 §3.5 timestamps; witnesses and
   * static-ct-api clients judge a log's liveness by its checkpoint) even while nothing is
   * submitted. Runs between rounds, so it never signs a tree older than one already published.
   */
  refreshCheckpoint(maxAgeMs: number): Promise<{ refreshed: boolean; treeSize: number; timestamp: number }> {
    return this.#exclusive(async () => {
      const now = Date.now();
      if (now - this.#tree.timestamp < maxAgeMs) return { refreshed: false, treeSize: this.#tree.size, timestamp: this.#tree.timestamp };
      const tree = { ...this.#tree, timestamp: Math.max(now, this.#tree.timestamp) };
      const sth = await signTreeHeadAndCheckpoint(this.keys, this.config.origin, tree.size, tree.root, tree.timestamp);
      this.#commitHead({ tree, checkpoint: sth.checkpoint, cosigned: true }); // cosigned, and newer than any uncosigned one
      await this.#publish([]);
      return { refreshed: true, treeSize: tree.size, timestamp: tree.timestamp };
    });
  }

  /** Brings R2 up to date with the committed state; false (and a retry scheduled) when R2 refused something. */
  publish(): Promise<boolean> {
    return this.#exclusive(() => this.#publish());
  }

  /** Whether the published checkpoint lacks its cosignature (a follow-up publication is due). */
  get cosignaturePending(): boolean {
    return this.#uncosigned !== null;
  }

  /** Adds the cosignature to the latest checkpoint now, if it lacks one. */
  cosign(): Promise<void> {
    return this.#exclusive(() => this.#cosignLatest());
  }

  #scheduleCosignature(): void {
    if (this.#uncosigned === null || this.#cosignTimer !== null) return;
    const delay = Math.max(0, this.#lastCosignAt + COSIGN_INTERVAL_MS - Date.now());
    this.#cosignTimer = setTimeout(() => {
      this.#cosignTimer = null;
      this.cosign().catch((e: unknown) => console.error("CT log: cosigning the checkpoint failed; the next round retries", e));
    }, delay);
  }

  async #cosignLatest(): Promise<void> {
    const checkpoint = this.#uncosigned;
    if (checkpoint === null) return;
    if (!this.#isCurrent(checkpoint)) {
      this.#uncosigned = null;
      return;
    }
    this.#lastCosignAt = Date.now();
    // Under the lock: #uncosigned is the checkpoint of #tree (a later round would have replaced it).
    const signed = await addCosignature(this.keys, checkpoint);
    this.#commitHead({ tree: this.#tree, checkpoint: signed, cosigned: true });
    await this.#publish([]);
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  /** Commits a new checkpoint of the tree (no new entries) and makes it the current one. */
  #commitHead(log: StoredLog): void {
    this.store.commitHead(log);
    this.#adopt(log);
  }

  #adopt(log: StoredLog): void {
    this.#tree = log.tree;
    this.#checkpoint = log.checkpoint;
    this.#uncosigned = log.cosigned ? null : log.checkpoint;
  }

  /**
   * Uploads what the last commit changed (`changed`: its new and widened tiles and issuers), then
   * the checkpoint. When R2 may lack earlier committed state (at start, after a failure), uploads
   * instead everything that state needs: the staged immutable objects, every partial tile
   * recomputed from the tree, then the checkpoint. Without `changed`, only that catching up.
   * False (and a retry scheduled) when R2 refused something.
   */
  async #publish(changed?: readonly Upload[], stagedThrough = 0): Promise<boolean> {
    if (changed === undefined && !this.#stale) return true;
    const staged = this.#stale ? this.store.staged() : [];
    const objects: readonly Upload[] = this.#stale ? [...staged.filter((s) => s.path !== CHECKPOINT_PATH), ...partialTiles(this.#tree)] : changed!;
    try {
      for (let i = 0; i < objects.length; i += UPLOAD_CONCURRENCY) {
        await Promise.all(objects.slice(i, i + UPLOAD_CONCURRENCY).map((o) => this.sink.put(o.path, o.data, contentTypeFor(o.path))));
      }
      if (this.#checkpoint !== null) await this.sink.put(CHECKPOINT_PATH, new TextEncoder().encode(this.#checkpoint), contentTypeFor(CHECKPOINT_PATH));
    } catch (e) {
      console.error("CT log: publishing to R2 failed; will retry", e);
      this.#stale = true;
      this.retryLater();
      return false;
    }
    this.#stale = false;
    this.store.published(Math.max(stagedThrough, staged.at(-1)?.seq ?? 0));
    return true;
  }

  async #round(batch: Submission[]): Promise<(SctResult | Problem)[]> {
    const unavailable = () =>
      problem(ProblemType.serverInternal, 503, `the log could not publish to storage; retry after ${RETRY_AFTER_SECONDS} s`, { title: "Service Unavailable" });
    if (!(await this.#publish())) return batch.map(unavailable);

    // Dedup against the log and within the batch: the same entry twice gets one index.
    const identities = batch.map((sub) => entryIdentity(sub.entry));
    const known = this.store.findByIdentities(identities);
    const resolved: (Resolved | null)[] = [];
    const fresh: { sub: Submission; identity: Bytes; slots: number[] }[] = [];
    const inBatch = new Map<string, number>();
    batch.forEach((sub, slot) => {
      const key = toHex(identities[slot]!);
      const old = known.get(key);
      if (old) {
        resolved.push({ sub, index: old.index, timestamp: old.timestamp });
        return;
      }
      resolved.push(null);
      const at = inBatch.get(key);
      if (at !== undefined) fresh[at]!.slots.push(slot);
      else {
        inBatch.set(key, fresh.length);
        fresh.push({ sub, identity: identities[slot]!, slots: [slot] });
      }
    });

    if (fresh.length > 0) {
      const from = this.#tree;
      const timestamp = Math.max(Date.now(), from.timestamp);
      const newEntries: NewEntry[] = [];
      const issuerUploads = new Map<string, { fingerprint: Bytes; der: Uint8Array }>();
      for (const f of fresh) {
        const fingerprints: Bytes[] = [];
        for (const der of f.sub.issuers) {
          const fp = sha256Sync(der);
          fingerprints.push(fp);
          issuerUploads.set(toHex(fp), { fingerprint: fp, der });
        }
        newEntries.push(f.sub.preCertificate === undefined
          ? { entry: f.sub.entry, chainFingerprints: fingerprints }
          : { entry: f.sub.entry, preCertificate: f.sub.preCertificate, chainFingerprints: fingerprints });
      }
      const seq = sequenceBatch(from, newEntries, timestamp);
      const sth = await signTreeHeadAndCheckpoint(this.keys, this.config.origin, seq.tree.size, seq.tree.root, timestamp, false);
      const newIssuers = this.store.newIssuers([...issuerUploads.values()].map((i) => i.fingerprint));
      const issuerObjects = newIssuers.map((fp) => ({ path: `issuer/${toHex(fp)}`, data: issuerUploads.get(toHex(fp))!.der }));
      const records: EntryRecord[] = seq.entries.map((e, i) => ({ identity: fresh[i]!.identity, index: e.index, timestamp: e.timestamp, leafHash: e.leafHash }));
      const log: StoredLog = { tree: seq.tree, checkpoint: sth.checkpoint, cosigned: false };
      const stagedThrough = this.store.commitRound({ from, log, entries: records, issuers: newIssuers, staged: [...seq.tiles.filter((t) => t.full), ...issuerObjects] });
      this.#adopt(log);
      fresh.forEach((f, i) => {
        for (const slot of f.slots) resolved[slot] = { sub: batch[slot]!, index: seq.entries[i]!.index, timestamp, sequenced: seq.entries[i]! };
      });
      // The round is durable: from here on its indices are taken even if publishing fails.
      if (!(await this.#publish([...seq.tiles, ...issuerObjects], stagedThrough))) return batch.map(unavailable);
    }
    return Promise.all(resolved.map((r) => this.#sct(r!)));
  }

  /** Signs the SCT (RFC 6962 §3.2) of a sequenced entry; a resubmission gets an equivalent one. */
  async #sct(r: Resolved): Promise<SctResult> {
    const { sct } = await signSct(this.keys.ecdsaPrivate, this.keys.logId, r.timestamp, r.sub.entry, r.index, r.sequenced);
    return { leafIndex: r.index, logId: sct.logId as Bytes, timestamp: sct.timestamp, extensions: sct.extensions as Bytes, signature: encodeDigitallySigned(sct.signature) };
  }
}
