// /health: asks each Durable Object class, D1 and R2 for something real and says which failed.
// 200 when all answer, 503 otherwise; every check has its own deadline, so one hung dependency
// shows up as that dependency failing rather than as a hung health check.

import { Hono } from "hono";
import { listZones } from "../src/dns/registry.ts";
import { type Problem, isProblem } from "../src/problem.ts";
import { type Env, caSigner, ctLog, zoneObject } from "./env.ts";
import type { AppEnv } from "./http.ts";
import { metricsObject } from "./metrics.ts";

const CHECK_TIMEOUT_MS = 5000;

export interface Check {
  ok: boolean;
  ms: number;
  detail?: string;
}

async function check(run: () => Promise<string | undefined>): Promise<Check> {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    const detail = await Promise.race([run(), deadline]);
    return { ok: true, ms: Date.now() - started, ...(detail ? { detail } : {}) };
  } catch (e) {
    return { ok: false, ms: Date.now() - started, detail: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}

/** A Problem from an object means it answered but cannot serve: that is a failure too. */
function orThrow<T>(r: T): Exclude<T, Problem> {
  if (isProblem(r)) throw new Error(r.detail);
  return r as Exclude<T, Problem>;
}

export async function healthChecks(env: Env): Promise<Record<string, Check>> {
  const names = ["ca_signer", "ct_log", "zone", "metrics", "rate_limiter", "d1", "r2"] as const;
  const results = await Promise.all([
    check(async () => void orThrow(await caSigner(env).certificates())),
    check(async () => `log ${orThrow(await ctLog(env).info()).origin}`),
    check(async () => {
      const zones = await listZones(env.DB);
      if (zones.length === 0) return "no hosted zones to ask";
      // Any answer, even "not hosted", shows the object runs; only a thrown call fails.
      await zoneObject(env, zones[0]!.apex).summary(zones[0]!.apex);
      return `asked ${zones[0]!.apex}`;
    }),
    check(async () => `${await metricsObject(env).seriesCount()} series`),
    check(async () => void (await env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("health")).ping())),
    check(async () => void (await env.DB.prepare("SELECT 1 FROM certificates LIMIT 1").first())),
    check(async () => void (await env.BLOBS.head("health"))),
  ]);
  return Object.fromEntries(names.map((n, i) => [n, results[i]!]));
}

export const health = new Hono<AppEnv>();

health.get("/health", async (c) => {
  const checks = await healthChecks(c.env);
  const failing = Object.entries(checks).filter(([, v]) => !v.ok).map(([k]) => k);
  return c.json({ status: failing.length ? "failing" : "ok", failing, checks }, failing.length ? 503 : 200, { "cache-control": "no-store" });
});
