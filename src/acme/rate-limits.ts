// Per-account rate limits (RFC 8555 §6.6: rateLimited, with Retry-After): new orders and failed
// validations counted over a sliding hour from the D1 rows they create.

import { type Problem, ProblemType, problem } from "../problem.ts";

export const WINDOW_SECONDS = 3600;

export interface RateLimits {
  ordersPerHour: number;
  failedValidationsPerHour: number;
}

/** Limits from configuration strings, falling back to defaults close to Let's Encrypt's. */
export function rateLimits(orders: string | undefined, failed: string | undefined): RateLimits {
  const n = (v: string | undefined, d: number) => (v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : d);
  return { ordersPerHour: n(orders, 300), failedValidationsPerHour: n(failed, 60) };
}

export interface Limited {
  problem: Problem;
  /** Seconds until a request may succeed (the Retry-After header). */
  retryAfter: number;
}

/** A rateLimited problem when `rows` (creation times, unix seconds, newest first) hit `limit` within the window. */
function check(times: number[], limit: number, now: number, what: string): Limited | null {
  if (times.length < limit) return null;
  // The window frees a slot when the oldest counted row leaves it.
  const oldest = times[limit - 1]!;
  const retryAfter = Math.max(1, oldest + WINDOW_SECONDS - now);
  return { problem: problem(ProblemType.rateLimited, 429, `too many ${what}: at most ${limit} per hour for one account; retry after ${retryAfter} s`), retryAfter };
}

export async function checkNewOrder(db: D1Database, accountId: string, limits: RateLimits, now: number): Promise<Limited | null> {
  const orders = await db
    .prepare("SELECT created_at FROM acme_orders WHERE account_id = ? AND created_at > ? ORDER BY created_at DESC LIMIT ?")
    .bind(accountId, now - WINDOW_SECONDS, limits.ordersPerHour)
    .all<{ created_at: number }>();
  const ordersLimited = check(orders.results.map((r) => r.created_at), limits.ordersPerHour, now, "new orders");
  if (ordersLimited) return ordersLimited;
  return checkFailedValidations(db, accountId, limits, now);
}

/** Failed validations: the account's authorizations that became invalid in the last hour. */
export async function checkFailedValidations(db: D1Database, accountId: string, limits: RateLimits, now: number): Promise<Limited | null> {
  const failed = await db
    .prepare("SELECT created_at FROM acme_authorizations WHERE account_id = ? AND status = 'invalid' AND created_at > ? ORDER BY created_at DESC LIMIT ?")
    .bind(accountId, now - WINDOW_SECONDS, limits.failedValidationsPerHour)
    .all<{ created_at: number }>();
  return check(failed.results.map((r) => r.created_at), limits.failedValidationsPerHour, now, "failed validations");
}
