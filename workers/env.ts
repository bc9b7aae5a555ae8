import type { CaSigner } from "../durable-objects/ca-signer.ts";
import type { AuditLog } from "../durable-objects/audit-log.ts";
import type { CtBatcher } from "../durable-objects/ct-batcher.ts";
import type { CtLog } from "../durable-objects/ct-log.ts";
import type { Metrics } from "../durable-objects/metrics.ts";
import type { RateLimiter } from "../durable-objects/rate-limiter.ts";
import type { Validator } from "../durable-objects/validator.ts";
import type { Zone } from "../durable-objects/zone.ts";
import { type LogConfig, batcherName } from "../src/ct/log-config.ts";

/** The bindings and configuration every part of the Worker sees (wrangler.toml). */
export interface Env {
  CA_SIGNER: DurableObjectNamespace<CaSigner>;
  DB: D1Database;
  BLOBS: R2Bucket;
  /** Base64 AES-256 key that seals the CA private keys (secret binding; .dev.vars locally). */
  CA_KEK?: string;
  PUBLIC_URL: string;
  MAX_NAMES: string;
  /** One Zone object per hosted DNS zone, named by its canonical apex ("example.test."). */
  ZONE: DurableObjectNamespace<Zone>;
  /** The demo zone the first start creates, and its service addresses (wrangler.toml). */
  DEMO_ZONE?: string;
  DEMO_ZONE_AAAA?: string;
  DEMO_ZONE_A?: string;
  /** Size limits of every hosted zone (src/dns/zone-limits.ts). */
  ZONE_MAX_RRSETS?: string;
  ZONE_MAX_RECORDS_PER_RRSET?: string;
  ZONE_MAX_FILE_BYTES?: string;
  /** The CA's issuer domain for CAA records. */
  CA_DOMAIN?: string;
  /** One CtLog object per CT log shard, named by CT_LOG_NAME (src/ct/log-config.ts). */
  CT_LOG: DurableObjectNamespace<CtLog>;
  CT_LOG_NAME?: string;
  CT_BATCH_MAX?: string;
  CT_BATCH_WINDOW_MS?: string;
  CT_POOL_MAX?: string;
  /** The log's CtBatcher objects, named "<log>/batcher-<k>" for k below CT_BATCHERS. */
  CT_BATCHER: DurableObjectNamespace<CtBatcher>;
  CT_BATCHERS?: string;
  /** PEM roots the CT log accepts besides the CA's own root. */
  CT_EXTRA_ROOTS?: string;
  /** The port the ACME http-01 validator connects to (RFC 8555 §8.3: 80; tests use a high port). */
  ACME_HTTP01_PORT?: string;
  /**
   * How http-01 reaches a name: "resolver" (the platform resolves every name; what Cloudflare's
   * edge allows) or "hosted-zone" (names in our zones at the address the zone publishes, for
   * self-hosted and local runs where the names exist only in our zones).
   */
  ACME_HTTP01_CONNECT?: string;
  /** DoH resolver (JSON API) for dns-01 names outside our hosted zones; empty: hosted zones only. */
  ACME_DOH_RESOLVER?: string;
  /** Per-account limits over a sliding hour (src/acme/rate-limits.ts): new orders, failed validations. */
  ACME_ORDERS_PER_HOUR?: string;
  ACME_FAILED_VALIDATIONS_PER_HOUR?: string;
  /** Per registered domain (Public Suffix List) over a sliding hour: new orders, failed validations. */
  ACME_DOMAIN_ORDERS_PER_HOUR?: string;
  ACME_DOMAIN_FAILED_VALIDATIONS_PER_HOUR?: string;
  /** "true": newAccount needs an External Account Binding (RFC 8555 §7.3.4) with a key from acme_eab_keys. */
  ACME_EAB_REQUIRED?: string;
}

export interface Env {
  /** One object adds up every isolate's metrics (durable-objects/metrics.ts). */
  METRICS: DurableObjectNamespace<Metrics>;
  /** Token buckets, one object per limited key (durable-objects/rate-limiter.ts). */
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  /** Limits as "<requests>/<seconds>" (src/ratelimit/config.ts); empty or "off": no limit. */
  RATE_LIMIT_ISSUE_PER_TOKEN?: string;
  RATE_LIMIT_API_PER_IP?: string;
  RATE_LIMIT_DOH_PER_IP?: string;
  /** Consensus (src/consensus/policy.ts): the validators, one object each, and the audit log. */
  VALIDATOR: DurableObjectNamespace<Validator>;
  AUDIT_LOG: DurableObjectNamespace<AuditLog>;
  /** Number of validators N (default 4; tolerates f = floor((N-1)/3) faulty). */
  VALIDATOR_COUNT?: string;
  /**
   * Comma-separated post-quantum halves of the validators' vote keys, "ml-dsa-44" or
   * "falcon-1024", assigned round-robin (default "ml-dsa-44,falcon-1024").
   */
  VALIDATOR_PQ_ALGORITHMS?: string;
  /** Comma-separated Durable Object location hints, one per validator (empty: no hints). */
  VALIDATOR_LOCATIONS?: string;
  /** How long the coordinator waits for one validator's vote. */
  CONSENSUS_VOTE_TIMEOUT_MS?: string;
  /** Proof-of-work bits asked of unauthenticated consensus requests. */
  CONSENSUS_ANONYMOUS_WORK_BITS?: string;
  /** When the cron rotates an issuing CA (src/ca/rotation.ts): at this age in days ("off": never by age)… */
  CA_ROTATE_AFTER_DAYS?: string;
  /** …or once less than the longest leaf profile plus this many days of its lifetime remain. */
  CA_ROTATE_MARGIN_DAYS?: string;
}

/** The one CaSigner instance for the classical hierarchy. */
export function caSigner(env: Env): DurableObjectStub<CaSigner> {
  return env.CA_SIGNER.get(env.CA_SIGNER.idFromName("classical"));
}

/** The Zone object of one hosted zone. */
export function zoneObject(env: Env, apex: string): DurableObjectStub<Zone> {
  return env.ZONE.get(env.ZONE.idFromName(apex));
}

/** The CtLog object of the configured log shard. */
export function ctLog(env: Env): DurableObjectStub<CtLog> {
  return env.CT_LOG.get(env.CT_LOG.idFromName(env.CT_LOG_NAME ?? "trustchain-2026"));
}

/** The batcher of the configured log shard that takes submissions of this entry identity. */
export function ctBatcher(env: Env, config: LogConfig, identity: Uint8Array): DurableObjectStub<CtBatcher> {
  return env.CT_BATCHER.get(env.CT_BATCHER.idFromName(batcherName(config, identity)));
}

const HINTS = new Set(["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"]);

/** Where validator `id` runs: its configured location hint, or "default". */
export function validatorVantage(env: Env, id: string): string {
  const i = Number(id.slice("validator-".length));
  const hint = (env.VALIDATOR_LOCATIONS ?? "").split(",").map((s) => s.trim())[i];
  return hint && HINTS.has(hint) ? hint : "default";
}

/** Validator `id` ("validator-<i>"), placed at its location hint in production. */
export function validatorObject(env: Env, id: string): DurableObjectStub<Validator> {
  const vantage = validatorVantage(env, id);
  return env.VALIDATOR.get(env.VALIDATOR.idFromName(id), vantage === "default" ? undefined : { locationHint: vantage as DurableObjectLocationHint });
}

/** The one audit log. */
export function auditLog(env: Pick<Env, "AUDIT_LOG">): DurableObjectStub<AuditLog> {
  return env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName("audit"));
}

/** The audit log's checkpoint origin: "<host>/audit". */
export function auditOrigin(env: Env): string {
  return `${new URL(env.PUBLIC_URL).host}/audit`;
}
