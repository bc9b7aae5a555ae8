// Rate limits (RFC 8555 §6.6: rateLimited, with Retry-After) per account and per registered
// domain: new orders and failed validations counted over a sliding hour. Per account they are
// counted from the order and authorization rows; per registered domain from acme_domain_events.

import { getDomain } from "tldts";
import { formatIP, parseIP } from "../names/ip.ts";
import { type Problem, ProblemType, problem } from "../problem.ts";

export const WINDOW_SECONDS = 3600;

export interface RateLimits {
  ordersPerHour: number;
  failedValidationsPerHour: number;
  domainOrdersPerHour: number;
  domainFailedValidationsPerHour: number;
}

/** Limits from configuration strings, falling back to defaults close to Let's Encrypt's. */
export function rateLimits(v: { orders?: string; failed?: string; domainOrders?: string; domainFailed?: string }): RateLimits {
  const n = (x: string | undefined, d: number) => (x !== undefined && /^[0-9]+$/.test(x) ? Number(x) : d);
  return {
    ordersPerHour: n(v.orders, 300),
    failedValidationsPerHour: n(v.failed, 60),
    domainOrdersPerHour: n(v.domainOrders, 100),
    domainFailedValidationsPerHour: n(v.domainFailed, 30),
  };
}

export interface Limited {
  problem: Problem;
  /** Seconds until a request may succeed (the Retry-After header). */
  retryAfter: number;
}

/** A rateLimited problem when `rows` (creation times, unix seconds, newest first) hit `limit` within the window. */
function check(times: number[], limit: number, now: number, what: string, per = "one account"): Limited | null {
  if (times.length < limit) return null;
  // The window frees a slot when the oldest counted row leaves it.
  const oldest = times[limit - 1]!;
  const retryAfter = Math.max(1, oldest + WINDOW_SECONDS - now);
  return { problem: problem(ProblemType.rateLimited, 429, `too many ${what}: at most ${limit} per hour for ${per}; retry after ${retryAfter} s`), retryAfter };
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

// ---- Per registered domain ----

/**
 * The registered domain an identifier counts against: the Public Suffix List's public suffix plus
 * one label (private-section suffixes included, so each github.io site counts on its own, as Let's
 * Encrypt counts); a name that is itself a public suffix counts as itself. An IPv4 address counts
 * as itself, an IPv6 address as its /64 (one subscriber's network).
 */
export function registeredDomain(id: { type: "dns" | "ip"; value: string }): string {
  if (id.type === "ip") {
    const bytes = parseIP(id.value);
    if (!bytes || bytes.length === 4) return id.value;
    const prefix = new Uint8Array(16);
    prefix.set(bytes.subarray(0, 8));
    return `${formatIP(prefix)}/64`;
  }
  const name = id.value.replace(/^\*\./, "");
  return getDomain(name, { allowPrivateDomains: true, extractHostname: false }) ?? name;
}

export type DomainEventKind = "order" | "failed";

/** The limits on orders and failed validations for these registered domains; the first one hit. */
export async function checkDomains(db: D1Database, domains: string[], limits: RateLimits, now: number, kinds: DomainEventKind[] = ["order", "failed"]): Promise<Limited | null> {
  for (const domain of new Set(domains)) {
    for (const kind of kinds) {
      const limit = kind === "order" ? limits.domainOrdersPerHour : limits.domainFailedValidationsPerHour;
      const rows = await db
        .prepare("SELECT created_at FROM acme_domain_events WHERE domain = ? AND kind = ? AND created_at > ? ORDER BY created_at DESC LIMIT ?")
        .bind(domain, kind, now - WINDOW_SECONDS, limit)
        .all<{ created_at: number }>();
      const limited = check(rows.results.map((r) => r.created_at), limit, now, kind === "order" ? "new orders" : "failed validations", `the registered domain ${domain}`);
      if (limited) return limited;
    }
  }
  return null;
}

/** Counts an event against each registered domain, and forgets that domain's events older than the window. */
export async function recordDomainEvents(db: D1Database, domains: string[], kind: DomainEventKind, now: number): Promise<void> {
  const unique = [...new Set(domains)];
  if (unique.length === 0) return;
  await db.batch(
    unique.flatMap((d) => [
      db.prepare("DELETE FROM acme_domain_events WHERE domain = ? AND created_at <= ?").bind(d, now - WINDOW_SECONDS),
      db.prepare("INSERT INTO acme_domain_events (domain, kind, created_at) VALUES (?, ?, ?)").bind(d, kind, now),
    ]),
  );
}
