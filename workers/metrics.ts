// /metrics (Prometheus text exposition) and the flush of this isolate's metric deltas into the
// Metrics Durable Object. Flushes chain: while one is in flight, the next takes everything
// recorded meanwhile, so a busy isolate sends one RPC per round trip, not one per request.

import { Hono } from "hono";
import { type Series, exposition } from "../src/metrics/aggregate.ts";
import { CA_UP, CT_CHECKPOINT_AGE, CT_TREE_SIZE, VALIDATOR_HEALTHY, VALIDATOR_QUARANTINED, VALIDATOR_SUSPENDED } from "../src/metrics/catalog.ts";
import { metrics } from "../src/metrics/registry.ts";
import { logConfig } from "../src/ct/log-config.ts";
import { isProblem } from "../src/problem.ts";
import { validatorHealth } from "./consensus.ts";
import { type Env, caSigner } from "./env.ts";
import type { AppEnv } from "./http.ts";

export function metricsObject(env: Pick<Env, "METRICS">): DurableObjectStub<import("../durable-objects/metrics.ts").Metrics> {
  return env.METRICS.get(env.METRICS.idFromName("global"));
}

// One send in flight per isolate; what is recorded meanwhile goes in that sender's next round, so
// a busy isolate makes one RPC per round trip, not one per request. Nothing here awaits a promise
// another request created: workerd forbids I/O across request contexts (the request would hang),
// so a caller that needs the data delivered polls the flag instead (settleMetrics).
let sending = false;
// Bounds how long one request's waitUntil keeps sending on behalf of later requests.
const MAX_ROUNDS = 16;

/** Sends what this isolate recorded to the Metrics object, unless a send is already under way. */
export async function flushMetrics(env: Pick<Env, "METRICS">): Promise<void> {
  if (sending) return;
  sending = true;
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const delta = metrics.take();
      if (!delta) return;
      try {
        await metricsObject(env).apply(delta);
      } catch (e) {
        metrics.restore(delta); // the next flush carries it
        console.error("metrics flush failed", e);
        return;
      }
    }
  } finally {
    sending = false;
  }
}

/** Flushes and waits (bounded) until whatever another request was sending has arrived too. */
async function settleMetrics(env: Pick<Env, "METRICS">): Promise<void> {
  for (let waited = 0; waited < 2000; waited += 5) {
    await flushMetrics(env);
    if (!sending && !metrics.pending) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The CT log's published checkpoint: its tree size (second line, C2SP tlog-checkpoint) and age. */
export async function publishedCheckpoint(env: Env): Promise<{ treeSize: number; uploaded: Date } | null> {
  const obj = await env.BLOBS.get(`${logConfig(env).objectPrefix}checkpoint`);
  if (!obj) return null;
  const size = Number((await obj.text()).split("\n")[1]);
  return Number.isSafeInteger(size) ? { treeSize: size, uploaded: obj.uploaded } : null;
}

/** Gauges read at scrape time from their source, so they are never stale copies. */
async function scrapeTimeSeries(env: Env): Promise<Series[]> {
  const out: Series[] = [];
  const ca = await caSigner(env).certificates().catch(() => null);
  out.push({ def: CA_UP, labels: {}, value: ca && !isProblem(ca) ? 1 : 0 });
  for (const v of await validatorHealth(env)) {
    const labels = { validator: v.validator };
    out.push({ def: VALIDATOR_HEALTHY, labels, value: v.healthy ? 1 : 0 });
    out.push({ def: VALIDATOR_SUSPENDED, labels, value: v.suspended ? 1 : 0 });
    out.push({ def: VALIDATOR_QUARANTINED, labels, value: v.quarantined ? 1 : 0 });
  }
  const cp = await publishedCheckpoint(env).catch(() => null);
  if (cp) {
    const log = { log: env.CT_LOG_NAME ?? "trustchain-2026" };
    out.push({ def: CT_TREE_SIZE, labels: log, value: cp.treeSize });
    out.push({ def: CT_CHECKPOINT_AGE, labels: log, value: Math.max(0, (Date.now() - cp.uploaded.getTime()) / 1000) });
  }
  return out;
}

export const metricsRoutes = new Hono<AppEnv>();

metricsRoutes.get("/metrics", async (c) => {
  await settleMetrics(c.env);
  const [aggregated, scraped] = await Promise.all([metricsObject(c.env).exposition(), scrapeTimeSeries(c.env)]);
  return c.body(aggregated + (scraped.length ? exposition(scraped) : ""), 200, {
    "content-type": "text/plain; version=0.0.4; charset=utf-8",
    "cache-control": "no-store",
  });
});
