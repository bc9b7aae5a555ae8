// CtBatcher: the fan-in in front of a log's CtLog object, as in Cloudflare's Azul. Every add-chain
// request is its own Worker invocation; sent straight to the log object, each would cost that one
// single-threaded object a call of its own (about 100 µs of its CPU, more than its share of a
// round). Submissions go instead to one of CT_BATCHERS batcher objects (chosen by the entry, so
// a resubmission meets its first submission's batcher), which forward what waits as one call
// (CtLog.submitMany) and hand each caller its own result. A batcher keeps nothing: an entry is
// acknowledged only by the log object, after its round is durable, so losing a batcher loses
// only calls still waiting, whose callers get an error and retry.

import { DurableObject } from "cloudflare:workers";
import { BATCHES_IN_FLIGHT, LogConfigError, logConfig } from "../src/ct/log-config.ts";
import { type SctResult, type Submission, logUnreachable, poolFull } from "../src/ct/log-sequencer.ts";
import { MAX_CALL_BYTES, splitBySize } from "../src/ct/batch-split.ts";
import { SequencingPool } from "../src/ct/pool.ts";
import { type Problem, ProblemType, problem } from "../src/problem.ts";
import { ctLog, type Env } from "../workers/env.ts";

export class CtBatcher extends DurableObject<Env> {
  readonly #pool: SequencingPool<Submission, SctResult | Problem> | Problem;
  readonly #poolMax: number = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    let pool: SequencingPool<Submission, SctResult | Problem> | Problem;
    try {
      const config = logConfig(env);
      this.#poolMax = config.poolMax;
      pool = new SequencingPool((batch) => this.#forward(batch), {
        batchMax: config.batchMax,
        // The log object paces rounds; a batcher sends as soon as a batch slot is free.
        windowMs: 0,
        poolMax: config.poolMax,
        maxInFlight: BATCHES_IN_FLIGHT,
      });
    } catch (e) {
      const why = e instanceof LogConfigError ? e.message : "its configuration cannot be read";
      pool = problem(ProblemType.serverInternal, 503, `the CT log is not available: ${why}`);
    }
    this.#pool = pool;
  }

  async #forward(batch: Submission[]): Promise<(SctResult | Problem)[]> {
    const log = ctLog(this.env);
    const parts = await Promise.all(
      splitBySize(batch, MAX_CALL_BYTES).map(async (part) => {
        try {
          return await log.submitMany(part);
        } catch (e) {
          console.error("CT batcher: the log object did not answer", e);
          const unreachable = logUnreachable();
          return part.map(() => unreachable);
        }
      }),
    );
    return parts.flat();
  }

  /** Resolves with the entry's SCT once the log has made it durable (CtLog.submit semantics). */
  async submit(sub: Submission): Promise<SctResult | Problem> {
    if (!(this.#pool instanceof SequencingPool)) return this.#pool;
    return this.#pool.offer(sub) ?? poolFull(this.#poolMax);
  }
}
