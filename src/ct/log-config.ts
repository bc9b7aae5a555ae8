// The configuration of this deployment's CT log shard, read from wrangler.toml [vars].
//
// One shard per deployment for now: CT_LOG_NAME names it ("trustchain-2026"), and it is served
// under PUBLIC_URL/<name>/. Following c2sp.org/static-ct-api "Parameters", that URL is both the
// submission prefix (…/<name>/ct/v1/add-chain) and the monitoring prefix (…/<name>/checkpoint),
// and the checkpoint origin is it without scheme or trailing slash ("localhost:8787/trustchain-2026").
// The RFC 6962 endpoints are also answered at /ct/v1/* for clients configured with the host only.

export interface LogConfigVars {
  PUBLIC_URL: string;
  CT_LOG_NAME?: string;
  CT_BATCH_MAX?: string;
  CT_BATCH_WINDOW_MS?: string;
  CT_POOL_MAX?: string;
  CT_BATCHERS?: string;
  CT_EXTRA_ROOTS?: string;
}

export interface LogConfig {
  /** Shard name: the Durable Object name and the URL path segment. */
  readonly name: string;
  /** static-ct-api checkpoint origin and note key name. */
  readonly origin: string;
  /** Submission and monitoring prefix, with a trailing slash. */
  readonly prefix: string;
  /** R2 key prefix of everything the log publishes. */
  readonly objectPrefix: string;
  /**
   * Maximum merge delay advertised in log.v3.json. Entries are sequenced before their SCT is
   * returned, so the real delay is zero; 86400 s is what log lists expect of every log.
   */
  readonly mmdSeconds: number;
  readonly batchMax: number;
  readonly batchWindowMs: number;
  readonly poolMax: number;
  /** CtBatcher objects in front of the log object (durable-objects/ct-batcher.ts). */
  readonly batchers: number;
  /** PEM bundle of roots accepted besides the CA's own root. */
  readonly extraRootsPem: string;
}

export class LogConfigError extends Error {
  override readonly name = "LogConfigError";
}

/** Shard names become URL path segments and R2 key prefixes: keep them plain. */
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Path segments the Worker's other surfaces use at the top level. */
const RESERVED = new Set(["api", "acme", "ct", "ca", "crl", "ocsp", "dns-query", "consensus", "metrics", "health"]);

function positiveInt(value: string | undefined, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined || value === "") return fallback;
  if (!/^[0-9]+$/.test(value)) throw new LogConfigError(`${name} must be a decimal integer`);
  const n = Number(value);
  if (n < min || n > max) throw new LogConfigError(`${name} must be between ${min} and ${max}`);
  return n;
}

/**
 * Batches a batcher may have waiting on the log object at once. One would miss every other log
 * round: the log starts its next round as soon as one ends, before the batcher has its answer.
 */
export const BATCHES_IN_FLIGHT = 4;

/**
 * Defaults, and why (measured with bench:ct, see README "Benchmarks"):
 * - batch max 1024: a round's cost is mostly fixed (one SQLite transaction, one tree head
 *   signature, at least three R2 writes: checkpoint, level-0 and data partial tiles), so bigger
 *   rounds are cheaper per entry and write R2 less often; with 1,024 submissions in flight the
 *   sequencer sustained 4,225 entries/s in rounds of 1,000 against 3,268 in rounds of 250, at
 *   half the R2 writes per entry (bench:ct). Rounds that large only happen under such load; a
 *   round of 1,024 signs 1,024 SCTs (about 45 µs each), some 50 ms, which bounds what the entries
 *   queued behind it wait. 2,048 gained little more.
 * - window 0 ms: a submission to an idle log is sequenced on the next turn of the event loop,
 *   so SCT latency is one round. Under load only one round runs at a time and everything that
 *   arrives meanwhile forms the next batch: the previous round's duration is the window (group
 *   commit), which grows with the load, and in production that duration includes the R2 writes,
 *   which bounds the round rate without a timer. A positive window makes rounds start at most
 *   that often while submissions queue up (still at once when idle); locally 10 and 25 ms gave
 *   fewer, larger rounds but lower throughput and higher latency at 64 in flight.
 * - pool 4096: four full rounds of backlog, about a second at the rates above; beyond it the log
 *   answers 503 with Retry-After instead of queueing without bound.
 * - 4 batchers: each forwards what waits as one call to the log object, so the object pays one
 *   call per batch instead of one per submission; more of them only spread the per-request calls
 *   (which in production land on as many machines) and split batches further.
 */
/** The Durable Object name of the batcher that takes submissions of this entry identity. */
export function batcherName(config: LogConfig, identity: Uint8Array): string {
  const k = (((identity[0] ?? 0) << 8) | (identity[1] ?? 0)) % config.batchers;
  return `${config.name}/batcher-${k}`;
}

export function logConfig(vars: LogConfigVars): LogConfig {
  const name = vars.CT_LOG_NAME ?? "trustchain-2026";
  if (!NAME.test(name) || RESERVED.has(name)) throw new LogConfigError(`CT_LOG_NAME "${name}" must be lowercase letters, digits and dashes, and not a reserved path`);
  let base: URL;
  try {
    base = new URL(vars.PUBLIC_URL);
  } catch {
    throw new LogConfigError("PUBLIC_URL is not a URL");
  }
  const path = base.pathname.replace(/\/+$/, "");
  const origin = `${base.host}${path}/${name}`;
  return {
    name,
    origin,
    prefix: `${base.protocol}//${origin}/`,
    objectPrefix: `ct/${name}/`,
    mmdSeconds: 86400,
    batchMax: positiveInt(vars.CT_BATCH_MAX, 1024, "CT_BATCH_MAX", 1, 4096),
    batchWindowMs: positiveInt(vars.CT_BATCH_WINDOW_MS, 0, "CT_BATCH_WINDOW_MS", 0, 1000),
    poolMax: positiveInt(vars.CT_POOL_MAX, 4096, "CT_POOL_MAX", 1, 1_000_000),
    batchers: positiveInt(vars.CT_BATCHERS, 4, "CT_BATCHERS", 1, 256),
    extraRootsPem: vars.CT_EXTRA_ROOTS ?? "",
  };
}
