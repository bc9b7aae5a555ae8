// /metrics (Prometheus text exposition) and the flush of this isolate's metric deltas into the
// Metrics Durable Object, batched: at most one RPC per isolate every FLUSH_INTERVAL_MS.

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

// One sender per isolate, at most one send every FLUSH_INTERVAL_MS: the first request that records
// something after a send schedules the next one in its waitUntil, and what later requests record
// meanwhile rides along. Sending per round trip instead made the Metrics object rewrite its whole
// state for every few DoH queries: about a sixth of a busy isolate's CPU (bench:dns profile).
// Nothing here awaits a promise another request created: workerd forbids I/O across request
// contexts (the request would hang), so a caller that needs the data delivered polls the flags
// and sends itself (settleMetrics).
const FLUSH_INTERVAL_MS = 250;
let scheduled = false;
let inFlight = false;
let lastSendAt = 0;
// Bounds how long one request's waitUntil keeps sending on behalf of later requests.
const MAX_ROUNDS = 16;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sends what this isolate recorded in one RPC; false when there was nothing or it failed. */
async function sendPending(env: Pick<Env, "METRICS">): Promise<boolean> {
  const delta = metrics.take();
  if (!delta) return false;
  inFlight = true;
  lastSendAt = Date.now();
  try {
    await metricsObject(env).apply(delta);
    return true;
  } catch (e) {
    metrics.restore(delta); // the next flush carries it
    console.error("metrics flush failed", e);
    return false;
  } finally {
    inFlight = false;
  }
}

/** Sends what this isolate recorded to the Metrics object, unless a sender is already scheduled. */
export async function flushMetrics(env: Pick<Env, "METRICS">): Promise<void> {
  if (scheduled) return;
  scheduled = true;
  try {
    for (let round = 0; round < MAX_ROUNDS && metrics.pending; round++) {
      const wait = inFlight ? FLUSH_INTERVAL_MS : lastSendAt + FLUSH_INTERVAL_MS - Date.now();
      if (wait > 0) await sleep(wait);
      if (!inFlight && metrics.pending && !(await sendPending(env))) return;
    }
  } finally {
    scheduled = false;
  }
}

/** After a response: makes sure a sender is scheduled if this request recorded anything (O(1) otherwise). */
export function scheduleMetricsFlush(ctx: { waitUntil(p: Promise<unknown>): void }, env: Pick<Env, "METRICS">): void {
  if (metrics.pending && !scheduled) ctx.waitUntil(flushMetrics(env));
}

/** Sends now and waits (bounded) until whatever another request was sending has arrived too. */
async function settleMetrics(env: Pick<Env, "METRICS">): Promise<void> {
  for (let waited = 0; waited < 2000; waited += 5) {
    if (!inFlight && metrics.pending) await sendPending(env);
    if (!inFlight && !metrics.pending) return;
    await sleep(5);
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
