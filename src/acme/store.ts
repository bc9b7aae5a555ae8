// ACME state in D1 (migrations/0004_acme.sql): nonces, accounts, orders, authorizations and
// challenges. Every state change that must not happen twice is a conditional UPDATE/DELETE whose
// row count says whether this request won.

import { toBase64Url } from "../encoding/bytes.ts";
import type { Problem } from "../problem.ts";
import type { Jwk } from "./jws.ts";

export const randomId = (bytes = 16): string => toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));

// ---- Nonces (RFC 8555 §6.5) ----

/** How long a nonce may wait for its one use. */
export const NONCE_TTL_SECONDS = 3600;

export async function newNonce(db: D1Database, now: number): Promise<string> {
  const nonce = randomId(16);
  await db.prepare("INSERT INTO acme_nonces (nonce, expires_at) VALUES (?, ?)").bind(nonce, now + NONCE_TTL_SECONDS).run();
  return nonce;
}

/** Consumes a nonce: true once for a nonce we issued that has not expired; false ever after. */
export async function consumeNonce(db: D1Database, nonce: string, now: number): Promise<boolean> {
  if (nonce.length > 64) return false;
  const r = await db.prepare("DELETE FROM acme_nonces WHERE nonce = ? AND expires_at > ?").bind(nonce, now).run();
  return (r.meta.changes ?? 0) === 1;
}

export async function pruneNonces(db: D1Database, now: number): Promise<void> {
  await db.prepare("DELETE FROM acme_nonces WHERE expires_at <= ?").bind(now).run();
}

// ---- Accounts (§7.1.2, §7.3) ----

export type AccountStatus = "valid" | "deactivated" | "revoked";

export interface Account {
  id: string;
  thumbprint: string;
  jwk: Jwk;
  contact: string[];
  status: AccountStatus;
  createdAt: number;
}

interface AccountRow {
  id: string;
  thumbprint: string;
  jwk: string;
  contact: string;
  status: AccountStatus;
  created_at: number;
}

const account = (r: AccountRow): Account => ({
  id: r.id,
  thumbprint: r.thumbprint,
  jwk: JSON.parse(r.jwk) as Jwk,
  contact: JSON.parse(r.contact) as string[],
  status: r.status,
  createdAt: r.created_at,
});

export async function accountByThumbprint(db: D1Database, thumbprint: string): Promise<Account | null> {
  const r = await db.prepare("SELECT * FROM acme_accounts WHERE thumbprint = ?").bind(thumbprint).first<AccountRow>();
  return r ? account(r) : null;
}

export async function accountById(db: D1Database, id: string): Promise<Account | null> {
  const r = await db.prepare("SELECT * FROM acme_accounts WHERE id = ?").bind(id).first<AccountRow>();
  return r ? account(r) : null;
}

/** Creates the account for a key, or finds the one a concurrent request made; `created` says which. */
export async function createAccount(db: D1Database, a: { thumbprint: string; jwk: Jwk; contact: string[]; now: number }): Promise<{ account: Account; created: boolean }> {
  const r = await db
    .prepare("INSERT INTO acme_accounts (id, thumbprint, jwk, contact, status, tos_agreed, created_at) VALUES (?, ?, ?, ?, 'valid', 1, ?) ON CONFLICT (thumbprint) DO NOTHING")
    .bind(randomId(12), a.thumbprint, JSON.stringify(a.jwk), JSON.stringify(a.contact), a.now)
    .run();
  const found = await accountByThumbprint(db, a.thumbprint);
  if (!found) throw new Error("account row vanished after insert");
  return { account: found, created: (r.meta.changes ?? 0) === 1 };
}

export async function updateAccount(db: D1Database, id: string, change: { contact?: string[]; status?: AccountStatus }): Promise<void> {
  if (change.contact) await db.prepare("UPDATE acme_accounts SET contact = ? WHERE id = ?").bind(JSON.stringify(change.contact), id).run();
  if (change.status) await db.prepare("UPDATE acme_accounts SET status = ? WHERE id = ?").bind(change.status, id).run();
}

/** §7.3.5: replaces the account key; false when another account holds the new key. */
export async function changeAccountKey(db: D1Database, id: string, jwk: Jwk, thumbprint: string): Promise<boolean> {
  const r = await db
    .prepare("UPDATE acme_accounts SET jwk = ?, thumbprint = ? WHERE id = ? AND NOT EXISTS (SELECT 1 FROM acme_accounts WHERE thumbprint = ?)")
    .bind(JSON.stringify(jwk), thumbprint, id, thumbprint)
    .run();
  return (r.meta.changes ?? 0) === 1;
}

// ---- Authorizations and challenges (§7.1.4, §7.1.5) ----

export type ChallengeType = "http-01" | "dns-01";
export type ChallengeStatus = "pending" | "processing" | "valid" | "invalid";
export type AuthzStatus = "pending" | "valid" | "invalid" | "deactivated" | "expired" | "revoked";

export interface OrderIdentifier {
  type: "dns" | "ip";
  /** As in the certificate: "*.example.com" for a wildcard. */
  value: string;
}

export interface Challenge {
  id: string;
  authzId: string;
  type: ChallengeType;
  token: string;
  status: ChallengeStatus;
  validated: number | null;
  error: Problem | null;
}

export interface Authorization {
  id: string;
  accountId: string;
  identifier: { type: "dns" | "ip"; value: string };
  wildcard: boolean;
  status: AuthzStatus;
  expires: number;
  challenges: Challenge[];
}

/** How long a validated authorization may be reused for new orders of the same account. */
export const AUTHZ_VALID_SECONDS = 7 * 86400;
/** How long a pending authorization and its order wait to be validated and finalized. */
export const PENDING_SECONDS = 7 * 86400;

interface ChallengeRow {
  id: string;
  authz_id: string;
  type: ChallengeType;
  token: string;
  status: ChallengeStatus;
  validated: number | null;
  error: string | null;
}

const challenge = (r: ChallengeRow): Challenge => ({
  id: r.id,
  authzId: r.authz_id,
  type: r.type,
  token: r.token,
  status: r.status,
  validated: r.validated,
  error: r.error ? (JSON.parse(r.error) as Problem) : null,
});

interface AuthzRow {
  id: string;
  account_id: string;
  type: "dns" | "ip";
  value: string;
  wildcard: number;
  status: AuthzStatus;
  expires_at: number;
}

/** The challenge types offered for an identifier (§8; RFC 8738 §7: no dns-01 for IPs; §7.1.3: wildcards dns-01 only). */
export function challengeTypes(type: "dns" | "ip", wildcard: boolean): ChallengeType[] {
  if (type === "ip") return ["http-01"];
  return wildcard ? ["dns-01"] : ["http-01", "dns-01"];
}

export async function getAuthorization(db: D1Database, id: string, now: number): Promise<Authorization | null> {
  const r = await db.prepare("SELECT * FROM acme_authorizations WHERE id = ?").bind(id).first<AuthzRow>();
  if (!r) return null;
  const chs = await db.prepare("SELECT * FROM acme_challenges WHERE authz_id = ? ORDER BY type").bind(id).all<ChallengeRow>();
  // §7.1.6: a pending or valid authorization past its expiry is expired.
  const status: AuthzStatus = (r.status === "pending" || r.status === "valid") && r.expires_at <= now ? "expired" : r.status;
  return {
    id: r.id,
    accountId: r.account_id,
    identifier: { type: r.type, value: r.value },
    wildcard: r.wildcard === 1,
    status,
    expires: r.expires_at,
    challenges: chs.results.map(challenge),
  };
}

export async function getChallenge(db: D1Database, id: string): Promise<Challenge | null> {
  const r = await db.prepare("SELECT * FROM acme_challenges WHERE id = ?").bind(id).first<ChallengeRow>();
  return r ? challenge(r) : null;
}

/** §7.5.2: the client gives up an authorization (pending or valid). */
export async function deactivateAuthorization(db: D1Database, id: string): Promise<void> {
  await db.prepare("UPDATE acme_authorizations SET status = 'deactivated' WHERE id = ? AND status IN ('pending', 'valid')").bind(id).run();
}

/** Moves a pending challenge to processing; false when another request already did (§7.5.1). */
export async function startChallenge(db: D1Database, id: string): Promise<boolean> {
  const r = await db.prepare("UPDATE acme_challenges SET status = 'processing' WHERE id = ? AND status = 'pending'").bind(id).run();
  return (r.meta.changes ?? 0) === 1;
}

/**
 * Records a challenge's outcome and its authorization's (§7.1.6): valid makes the authorization
 * valid for AUTHZ_VALID_SECONDS; invalid makes it invalid (the other challenges are moot).
 */
export async function finishChallenge(db: D1Database, ch: Challenge, outcome: { ok: true } | { ok: false; problem: Problem }, now: number): Promise<void> {
  if (outcome.ok) {
    await db.batch([
      db.prepare("UPDATE acme_challenges SET status = 'valid', validated = ? WHERE id = ?").bind(now, ch.id),
      db.prepare("UPDATE acme_authorizations SET status = 'valid', expires_at = ? WHERE id = ? AND status = 'pending'").bind(now + AUTHZ_VALID_SECONDS, ch.authzId),
    ]);
  } else {
    await db.batch([
      db.prepare("UPDATE acme_challenges SET status = 'invalid', error = ? WHERE id = ?").bind(JSON.stringify(outcome.problem), ch.id),
      db.prepare("UPDATE acme_authorizations SET status = 'invalid' WHERE id = ? AND status = 'pending'").bind(ch.authzId),
    ]);
  }
}

// ---- Orders (§7.1.3, §7.4) ----

export type OrderStatus = "pending" | "ready" | "processing" | "valid" | "invalid";

export interface Order {
  id: string;
  accountId: string;
  status: OrderStatus;
  identifiers: OrderIdentifier[];
  authorizations: string[];
  expires: number;
  error: Problem | null;
  certificateSerial: string | null;
  createdAt: number;
  /** The ARI certID of the certificate this order replaces (RFC 9773 §5). */
  replaces: string | null;
  /** The ACME profile asked for (src/acme/profiles.ts); null: the default. */
  profile: string | null;
}

interface OrderRow {
  id: string;
  account_id: string;
  status: OrderStatus;
  identifiers: string;
  authorizations: string;
  expires_at: number;
  error: string | null;
  certificate_serial: string | null;
  created_at: number;
  replaces: string | null;
  profile: string | null;
}

/**
 * Creates an order and its authorizations, reusing the account's valid authorizations for the
 * same identifier that stay valid past the order's expiry (§7.4: "the server MAY reuse").
 */
export async function createOrder(db: D1Database, accountId: string, identifiers: OrderIdentifier[], now: number, replaces: string | null = null, profile: string | null = null): Promise<Order> {
  const expires = now + PENDING_SECONDS;
  const authzIds: string[] = [];
  const writes: D1PreparedStatement[] = [];
  for (const id of identifiers) {
    const wildcard = id.type === "dns" && id.value.startsWith("*.");
    const base = wildcard ? id.value.slice(2) : id.value;
    const reuse = await db
      .prepare("SELECT id FROM acme_authorizations WHERE account_id = ? AND type = ? AND value = ? AND wildcard = ? AND status = 'valid' AND expires_at > ? ORDER BY expires_at DESC LIMIT 1")
      .bind(accountId, id.type, base, wildcard ? 1 : 0, now + 3600)
      .first<{ id: string }>();
    if (reuse) {
      authzIds.push(reuse.id);
      continue;
    }
    const authzId = randomId(12);
    authzIds.push(authzId);
    writes.push(
      db
        .prepare("INSERT INTO acme_authorizations (id, account_id, type, value, wildcard, status, expires_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)")
        .bind(authzId, accountId, id.type, base, wildcard ? 1 : 0, expires, now),
    );
    for (const type of challengeTypes(id.type, wildcard)) {
      // §8.1: a token has at least 128 bits of entropy; base64url without padding.
      writes.push(
        db.prepare("INSERT INTO acme_challenges (id, authz_id, type, token, status) VALUES (?, ?, ?, ?, 'pending')").bind(randomId(12), authzId, type, randomId(32)),
      );
    }
  }
  const orderId = randomId(12);
  writes.push(
    db
      .prepare("INSERT INTO acme_orders (id, account_id, status, identifiers, authorizations, expires_at, created_at, replaces, profile) VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?)")
      .bind(orderId, accountId, JSON.stringify(identifiers), JSON.stringify(authzIds), expires, now, replaces, profile),
  );
  await db.batch(writes);
  return { id: orderId, accountId, status: "pending", identifiers, authorizations: authzIds, expires, error: null, certificateSerial: null, createdAt: now, replaces, profile };
}

/** An order with its status brought up to date from its authorizations (§7.1.6). */
export async function getOrder(db: D1Database, id: string, now: number): Promise<Order | null> {
  const r = await db.prepare("SELECT * FROM acme_orders WHERE id = ?").bind(id).first<OrderRow>();
  if (!r) return null;
  const order: Order = {
    id: r.id,
    accountId: r.account_id,
    status: r.status,
    identifiers: JSON.parse(r.identifiers) as OrderIdentifier[],
    authorizations: JSON.parse(r.authorizations) as string[],
    expires: r.expires_at,
    error: r.error ? (JSON.parse(r.error) as Problem) : null,
    certificateSerial: r.certificate_serial,
    createdAt: r.created_at,
    replaces: r.replaces,
    profile: r.profile ?? null,
  };
  if (order.status !== "pending") return order;
  if (order.expires <= now) return { ...order, status: "invalid" };
  const marks = order.authorizations.map(() => "?").join(",");
  const rows = await db
    .prepare(`SELECT status, expires_at FROM acme_authorizations WHERE id IN (${marks})`)
    .bind(...order.authorizations)
    .all<{ status: AuthzStatus; expires_at: number }>();
  const statuses = rows.results.map((a) => (a.expires_at <= now ? "expired" : a.status));
  if (statuses.some((s) => s !== "pending" && s !== "valid")) return { ...order, status: "invalid" };
  if (statuses.length === new Set(order.authorizations).size && statuses.every((s) => s === "valid")) return { ...order, status: "ready" };
  return order;
}

export async function listOrders(db: D1Database, accountId: string, limit = 100): Promise<string[]> {
  const r = await db.prepare("SELECT id FROM acme_orders WHERE account_id = ? ORDER BY created_at DESC LIMIT ?").bind(accountId, limit).all<{ id: string }>();
  return r.results.map((x) => x.id);
}

/** Claims a ready order for finalization; false when another request got there first (§7.4). */
export async function startFinalize(db: D1Database, id: string): Promise<boolean> {
  const r = await db.prepare("UPDATE acme_orders SET status = 'processing' WHERE id = ? AND status = 'pending'").bind(id).run();
  return (r.meta.changes ?? 0) === 1;
}

export async function finishOrder(db: D1Database, id: string, outcome: { serial: string } | { problem: Problem }): Promise<void> {
  if ("serial" in outcome) {
    await db.prepare("UPDATE acme_orders SET status = 'valid', certificate_serial = ? WHERE id = ?").bind(outcome.serial, id).run();
  } else {
    await db.prepare("UPDATE acme_orders SET status = 'invalid', error = ? WHERE id = ?").bind(JSON.stringify(outcome.problem), id).run();
  }
}

/** Whether a certificate was issued for one of the account's orders. */
// ---- Expiry and retention (the hourly cron) ----

/** How long finished orders and authorizations stay readable after they expired. */
export const ACME_RETENTION_SECONDS = 30 * 86400;
/** Rows purged per table and run, so one cron invocation stays short; the next run takes the rest. */
export const PURGE_BATCH = 1000;

export interface AcmeExpiry {
  ordersInvalidated: number;
  authorizationsExpired: number;
  ordersPurged: number;
  authorizationsPurged: number;
  challengesPurged: number;
}

/**
 * §7.1.6: a pending order whose `expires` passed is invalid, and a pending or valid authorization
 * past its `expires` is expired. Reads already report these states (getOrder, getAuthorization);
 * this persists them, so listings, reuse and anything reading D1 directly agree. Orders still
 * "processing" are left alone: their finalize may have issued a certificate. Invalid orders and
 * expired, invalid, deactivated or revoked authorizations (with their challenges) are deleted
 * once they expired more than `retentionSeconds` ago; valid orders stay, they tie certificates
 * to accounts.
 */
export async function expireAcmeObjects(db: D1Database, now: number, retentionSeconds = ACME_RETENTION_SECONDS): Promise<AcmeExpiry> {
  const cutoff = now - retentionSeconds;
  const oldAuthz = `SELECT id FROM acme_authorizations WHERE status IN ('expired', 'invalid', 'deactivated', 'revoked') AND expires_at <= ? ORDER BY expires_at, id LIMIT ${PURGE_BATCH}`;
  const [orders, authzs, challenges, purgedAuthz, purgedOrders] = await db.batch([
    db.prepare("UPDATE acme_orders SET status = 'invalid' WHERE status = 'pending' AND expires_at <= ?").bind(now),
    db.prepare("UPDATE acme_authorizations SET status = 'expired' WHERE status IN ('pending', 'valid') AND expires_at <= ?").bind(now),
    // Challenges first, by the same ordered selection the next statement deletes (one transaction).
    db.prepare(`DELETE FROM acme_challenges WHERE authz_id IN (${oldAuthz})`).bind(cutoff),
    db.prepare(`DELETE FROM acme_authorizations WHERE id IN (${oldAuthz})`).bind(cutoff),
    db.prepare(`DELETE FROM acme_orders WHERE id IN (SELECT id FROM acme_orders WHERE status = 'invalid' AND expires_at <= ? LIMIT ${PURGE_BATCH})`).bind(cutoff),
  ]);
  const n = (r: D1Result | undefined): number => r?.meta.changes ?? 0;
  return { ordersInvalidated: n(orders), authorizationsExpired: n(authzs), challengesPurged: n(challenges), authorizationsPurged: n(purgedAuthz), ordersPurged: n(purgedOrders) };
}

export async function accountOwnsCertificate(db: D1Database, accountId: string, serial: string): Promise<boolean> {
  return (await db.prepare("SELECT 1 AS x FROM acme_orders WHERE account_id = ? AND certificate_serial = ?").bind(accountId, serial).first()) !== null;
}

/**
 * RFC 9773 §5: an order already replacing this certificate that still counts (finalized, being
 * finalized, or pending and unexpired); null when there is none.
 */
export async function orderReplacing(db: D1Database, certId: string, now: number): Promise<string | null> {
  const r = await db
    .prepare("SELECT id FROM acme_orders WHERE replaces = ? AND (status IN ('valid', 'processing') OR (status = 'pending' AND expires_at > ?)) LIMIT 1")
    .bind(certId, now)
    .first<{ id: string }>();
  return r?.id ?? null;
}

// ---- External Account Binding keys (§7.3.4) ----

export const INSERT_EAB_KEY_SQL = "INSERT INTO acme_eab_keys (kid, hmac_key, created_at) VALUES (?, ?, ?)";

/** Stores a new key: `secret` is its sealed HMAC key (sealEabKey). */
export async function insertEabKey(db: D1Database, kid: string, secret: string, now: number): Promise<void> {
  await db.prepare(INSERT_EAB_KEY_SQL).bind(kid, secret, now).run();
}

export async function eabKey(db: D1Database, kid: string): Promise<{ hmacKey: string; accountId: string | null } | null> {
  const r = await db.prepare("SELECT hmac_key, account_id FROM acme_eab_keys WHERE kid = ?").bind(kid).first<{ hmac_key: string; account_id: string | null }>();
  return r ? { hmacKey: r.hmac_key, accountId: r.account_id } : null;
}

/** Binds an unused key to an account and erases its secret; false when another account took it first. */
export async function bindEabKey(db: D1Database, kid: string, accountId: string, now: number): Promise<boolean> {
  const r = await db.prepare("UPDATE acme_eab_keys SET account_id = ?, bound_at = ?, hmac_key = '' WHERE kid = ? AND account_id IS NULL").bind(accountId, now, kid).run();
  return (r.meta.changes ?? 0) === 1;
}
