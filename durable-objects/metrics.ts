// Metrics: one object adds up the metric deltas every isolate flushes (src/metrics/registry.ts)
// and renders /metrics. One object rather than D1: a flush is one RPC and one storage write, with
// no schema per metric, and deltas from all isolates serialize here without lost updates.
// The state lives in this object's storage, so totals survive its eviction and redeployments.

import { DurableObject } from "cloudflare:workers";
import { type MetricsState, applyDelta, exposition } from "../src/metrics/aggregate.ts";
import { DOH_QUERIES, ISSUANCES } from "../src/metrics/catalog.ts";
import { type History, historySeries, recordHistory } from "../src/metrics/history.ts";
import type { MetricsDelta } from "../src/metrics/registry.ts";
import type { Env } from "../workers/env.ts";

const HISTORY_FAMILIES = [ISSUANCES.name, DOH_QUERIES.name] as const;

export class Metrics extends DurableObject<Env> {
  #state: MetricsState = {};
  #history: History = {};

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.#state = (await ctx.storage.get<MetricsState>("state")) ?? {};
      this.#history = (await ctx.storage.get<History>("history")) ?? {};
    });
  }

  async apply(delta: MetricsDelta): Promise<void> {
    applyDelta(this.#state, delta);
    recordHistory(this.#history, delta, Date.now(), HISTORY_FAMILIES);
    await this.ctx.storage.put({ state: this.#state, history: this.#history });
  }

  async seriesCount(): Promise<number> {
    return Object.keys(this.#state).length;
  }

  async exposition(): Promise<string> {
    return exposition(Object.values(this.#state));
  }

  /** Per-minute issuances and DoH queries over the last hour (the dashboard's charts). */
  async history(): Promise<ReturnType<typeof historySeries>> {
    return historySeries(this.#history, Date.now(), HISTORY_FAMILIES);
  }
}
