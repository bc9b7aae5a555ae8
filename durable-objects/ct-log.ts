// CtLog: one per log shard (named by CT_LOG_NAME). It serializes sequencing: pooled submissions
// are appended in rounds, committed to this object's SQLite storage, published to R2, and only
// then answered with SCTs. The logic lives in src/ct/log-sequencer.ts.

import { DurableObject } from "cloudflare:workers";
import { importKek, kekUnavailable } from "../src/ca/key-vault.ts";
import { LogConfigError, logConfig } from "../src/ct/log-config.ts";
import { type LogPublicInfo, LogSequencer, type SctResult, type Submission } from "../src/ct/log-sequencer.ts";
import { LogStore } from "../src/ct/log-store.ts";
import { measureSubmission } from "../src/metrics/measure.ts";
import { type Problem, ProblemType, problem } from "../src/problem.ts";
import { scheduleMetricsFlush } from "../workers/metrics.ts";
import type { Env } from "../workers/env.ts";

export class CtLog extends DurableObject<Env> {
  #log: LogSequencer | null = null;
  #unavailable: Problem | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(() => this.#start());
  }

  async #start(): Promise<void> {
    const kek = await importKek(this.env.CA_KEK);
    if (!(kek instanceof CryptoKey)) {
      this.#unavailable = kekUnavailable(kek, "the CT log");
      return;
    }
    try {
      const config = logConfig(this.env);
      const bucket = this.env.BLOBS;
      const sink = {
        async put(path: string, data: Uint8Array, contentType: string) {
          await bucket.put(config.objectPrefix + path, data, { httpMetadata: { contentType } });
        },
      };
      this.#log = await LogSequencer.open(new LogStore(this.ctx.storage), kek, config, sink, () => void this.ctx.storage.setAlarm(Date.now() + 1000));
    } catch (e) {
      console.error("CT log failed to start", e);
      const why = e instanceof LogConfigError ? e.message : "its keys or state cannot be opened";
      this.#unavailable = problem(ProblemType.serverInternal, 503, `the CT log is not available: ${why}`);
    }
  }

  #loaded(): LogSequencer | Problem {
    return this.#log ?? this.#unavailable ?? problem(ProblemType.serverInternal, 503, "the CT log is starting");
  }

  async submit(sub: Submission): Promise<SctResult | Problem> {
    return (await this.submitMany([sub]))[0]!;
  }

  /** Several submissions in one call (from a CtBatcher); one result each, in order. */
  async submitMany(subs: readonly Submission[]): Promise<(SctResult | Problem)[]> {
    const log = this.#loaded();
    if (!(log instanceof LogSequencer)) return subs.map(() => log);
    const r = await Promise.all(subs.map((sub) => measureSubmission(sub.preCertificate ? "precert" : "x509", () => log.submit(sub))));
    scheduleMetricsFlush(this.ctx, this.env);
    return r;
  }

  async info(): Promise<LogPublicInfo | Problem> {
    const log = this.#loaded();
    return log instanceof LogSequencer ? log.info() : log;
  }

  /** RFC 6962 §4.5 lookup: the index of the first entry with this leaf hash. */
  async leafIndex(leafHash: Uint8Array): Promise<{ index: number | null } | Problem> {
    const log = this.#loaded();
    return log instanceof LogSequencer ? { index: log.indexOfLeafHash(leafHash) } : log;
  }

  /** Scheduled work (workers/index.ts): a fresh checkpoint when the last is older than maxAgeMs. */
  async refreshCheckpoint(maxAgeMs: number): Promise<{ refreshed: boolean; treeSize: number; timestamp: number } | Problem> {
    const log = this.#loaded();
    return log instanceof LogSequencer ? log.refreshCheckpoint(maxAgeMs) : log;
  }

  /** Retries publishing staged objects to R2 (after a failed upload or a restart mid-round). */
  override async alarm(): Promise<void> {
    if (this.#log) await this.#log.publish();
  }
}
