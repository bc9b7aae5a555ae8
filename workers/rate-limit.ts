// Rate limits shared across isolates (RateLimiter Durable Objects, one token bucket per key),
// answered with 429, problem type rateLimited and Retry-After (RFC 6585 §4, RFC 9110 §10.2.3).
//
// An isolate takes tokens in leases of 1% of the bucket (at least one) and spends them locally,
// so a busy isolate asks the bucket's object once per lease, not once per request. The total
// admitted stays within the bucket; a lease an isolate does not use up before it is evicted is lost.

import type { MiddlewareHandler } from "hono";
import { RATE_LIMITED } from "../src/metrics/catalog.ts";
import { metrics } from "../src/metrics/registry.ts";
import { type LimitSpec, clientKey, parseLimit } from "../src/ratelimit/bucket.ts";
import { ProblemType, problem } from "../src/problem.ts";
import type { Env } from "./env.ts";
import { type AppEnv, problemResponse } from "./http.ts";

export type LimitName = "issue" | "api" | "doh";

const SETTINGS: Record<LimitName, keyof Env> = {
  issue: "RATE_LIMIT_ISSUE_PER_TOKEN",
  api: "RATE_LIMIT_API_PER_IP",
  doh: "RATE_LIMIT_DOH_PER_IP",
};

const DESCRIPTION: Record<LimitName, string> = {
  issue: "certificate issuances per API token",
  api: "API requests per client address",
  doh: "DNS queries per client address",
};

const MAX_LEASES = 10_000;
const leases = new Map<string, number>();

// Parsed settings, kept with the text they were parsed from: admit runs on every DoH query, the
// setting rarely changes.
const specs = new Map<LimitName, { text: string | undefined; spec: LimitSpec | null }>();

function specOf(env: Env, limit: LimitName): LimitSpec | null {
  const text = env[SETTINGS[limit]] as string | undefined;
  const known = specs.get(limit);
  if (known && known.text === text) return known.spec;
  const spec = parseLimit(text, SETTINGS[limit]); // throws on a bad setting: nothing cached
  specs.set(limit, { text, spec });
  return spec;
}

export type Admission = { ok: true } | { ok: false; retryAfter: number; spec: LimitSpec };
const ADMITTED: Admission = { ok: true };

/**
 * Takes one request's worth from `limit`'s bucket for `key`; the Retry-After seconds when empty.
 * Synchronous while this isolate's lease lasts: only taking a new lease needs the bucket's object.
 */
export function admit(env: Env, limit: LimitName, key: string): Admission | Promise<Admission> {
  const spec = specOf(env, limit);
  if (!spec) return ADMITTED;
  const id = `${limit}:${key}`;
  const left = leases.get(id) ?? 0;
  if (left > 0) {
    leases.set(id, left - 1);
    return ADMITTED;
  }
  return takeLease(env, spec, id);
}

async function takeLease(env: Env, spec: LimitSpec, id: string): Promise<Admission> {
  const want = Math.max(1, Math.floor(spec.capacity / 100));
  const r = await env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(id)).take(spec, want);
  if (r.granted === 0) {
    leases.delete(id);
    return { ok: false, retryAfter: r.retryAfterSeconds, spec };
  }
  if (r.granted > 1) {
    // Added, not set: concurrent requests that all found no lease each took one, and what they
    // do not spend themselves is this isolate's to spend, not lost.
    if (!leases.has(id) && leases.size >= MAX_LEASES) leases.delete(leases.keys().next().value!);
    leases.set(id, (leases.get(id) ?? 0) + r.granted - 1);
  }
  return ADMITTED;
}

export function rateLimited(limit: LimitName, retryAfter: number, spec: LimitSpec): Response {
  metrics.inc(RATE_LIMITED, { limit });
  return problemResponse(
    problem(ProblemType.rateLimited, 429, `too many ${DESCRIPTION[limit]}: the limit is ${spec.capacity} per ${spec.periodSeconds} s; retry after ${retryAfter} s`, {
      title: "Too Many Requests",
    }),
    { "retry-after": String(retryAfter) },
  );
}

/** Limits by the client's address (CF-Connecting-IP, set by Cloudflare's edge; IPv6 by /64). */
export function limitByClient(limit: LimitName): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const r = await admit(c.env, limit, clientKey(c.req.header("cf-connecting-ip")));
    if (!r.ok) return rateLimited(limit, r.retryAfter, r.spec);
    await next();
  };
}

/** Limits by the authenticated API token (after requirePermission). */
export function limitByToken(limit: LimitName): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const r = await admit(c.env, limit, `token:${c.get("principal").id}`);
    if (!r.ok) return rateLimited(limit, r.retryAfter, r.spec);
    await next();
  };
}
