// API tokens: random bearer secrets, stored only as SHA-256 digests. A token carries one role.

import { bytesEqual, fromHex, sha256, toBase64Url, toHex, utf8 } from "../encoding/bytes.ts";

export const ROLES = ["admin", "issuer", "revoker", "reader"] as const;
export type BaseRole = (typeof ROLES)[number];
export type Role = BaseRole | `zone:${string}`;

export function parseRole(text: string): Role | null {
  if ((ROLES as readonly string[]).includes(text)) return text as BaseRole;
  if (/^zone:[a-z0-9.-]{1,253}$/.test(text)) return text as Role;
  return null;
}

/** What each route needs: admin may do everything; issuer and revoker may also read. */
export type Permission = "read" | "issue" | "revoke" | "admin";

export function roleAllows(role: Role, permission: Permission): boolean {
  if (role === "admin") return true;
  switch (permission) {
    case "read":
      return role === "reader" || role === "issuer" || role === "revoker";
    case "issue":
      return role === "issuer";
    case "revoke":
      return role === "revoker";
    case "admin":
      return false;
  }
}

/**
 * Zone-scoped access: admin may manage every zone; a `zone:<apex>` token only the zone whose
 * apex it names exactly (not a parent's or a child's zone). `apex` may carry the trailing dot.
 */
export function roleAllowsZone(role: Role, apex: string): boolean {
  if (role === "admin") return true;
  if (!role.startsWith("zone:")) return false;
  const strip = (s: string): string => s.toLowerCase().replace(/\.$/, "");
  return strip(role.slice("zone:".length)) === strip(apex);
}

export interface NewToken {
  /** The secret: shown once, never stored. */
  token: string;
  id: string;
  hash: string;
}

const TOKEN_PREFIX = "tc_";

export async function newToken(): Promise<NewToken> {
  const token = TOKEN_PREFIX + toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  const id = toHex(crypto.getRandomValues(new Uint8Array(8)));
  return { token, id, hash: await hashToken(token) };
}

export async function hashToken(token: string): Promise<string> {
  return toHex(await sha256(utf8(token)));
}

export interface TokenRecord {
  id: string;
  role: Role;
  expiresAt: number | null;
}

/**
 * Authenticated tokens are remembered per isolate for this long, sparing a D1 read on every API
 * call; a revoked or expired token therefore stops working within this many seconds.
 */
export const TOKEN_CACHE_SECONDS = 10;
const MAX_CACHED_TOKENS = 1000;
const tokenCache = new Map<string, { record: TokenRecord; until: number }>();

/**
 * Finds a token by the digest of the presented secret. The lookup is by digest, so the secret
 * itself is never compared; the digest found is then compared again in constant time, so that
 * neither the index lookup nor a collation quirk of the database decides alone.
 */
export async function authenticate(db: D1Database, presented: string, now: number): Promise<TokenRecord | null> {
  if (!presented.startsWith(TOKEN_PREFIX) || presented.length > 128) return null;
  const hash = await hashToken(presented);
  const cached = tokenCache.get(hash);
  if (cached && cached.until > now && (cached.record.expiresAt === null || cached.record.expiresAt > now)) return cached.record;
  const row = await db
    .prepare("SELECT id, token_hash, role, expires_at FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL")
    .bind(hash)
    .first<{ id: string; token_hash: string; role: string; expires_at: number | null }>();
  if (!row || !constantTimeHexEqual(row.token_hash, hash)) {
    tokenCache.delete(hash);
    return null;
  }
  if (row.expires_at !== null && row.expires_at <= now) return null;
  const role = parseRole(row.role);
  if (!role) return null;
  const record = { id: row.id, role, expiresAt: row.expires_at };
  if (tokenCache.size >= MAX_CACHED_TOKENS) tokenCache.delete(tokenCache.keys().next().value!);
  tokenCache.set(hash, { record, until: now + TOKEN_CACHE_SECONDS });
  return record;
}

export interface NewTokenRow {
  id: string;
  hash: string;
  role: Role;
  label?: string;
  createdAt: number;
  expiresAt?: number;
}

export const INSERT_TOKEN_SQL = "INSERT INTO api_tokens (id, token_hash, role, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)";

export function insertTokenParams(t: NewTokenRow): (string | number | null)[] {
  return [t.id, t.hash, t.role, t.label ?? null, t.createdAt, t.expiresAt ?? null];
}

export async function insertToken(db: D1Database, t: NewTokenRow): Promise<void> {
  await db.prepare(INSERT_TOKEN_SQL).bind(...insertTokenParams(t)).run();
}

function constantTimeHexEqual(a: string, b: string): boolean {
  const x = fromHex(a);
  const y = fromHex(b);
  return x !== null && y !== null && bytesEqual(x, y);
}

/** Forgets a token this isolate remembered (after revoking it here; other isolates within TOKEN_CACHE_SECONDS). */
export function forgetCachedToken(id: string): void {
  for (const [hash, entry] of tokenCache) if (entry.record.id === id) tokenCache.delete(hash);
}

/** A token as listings show it: never the secret, never its digest. */
export interface TokenInfo {
  id: string;
  role: Role | string;
  label: string | null;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

export const LIST_TOKENS_SQL = "SELECT id, role, label, created_at, expires_at, revoked_at FROM api_tokens ORDER BY created_at, id";

export interface TokenRow {
  id: string;
  role: string;
  label: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export function tokenInfo(r: TokenRow): TokenInfo {
  return { id: r.id, role: r.role, label: r.label, createdAt: r.created_at, expiresAt: r.expires_at, revokedAt: r.revoked_at };
}

export async function listTokens(db: D1Database): Promise<TokenInfo[]> {
  const { results } = await db.prepare(LIST_TOKENS_SQL).all<TokenRow>();
  return results.map(tokenInfo);
}

export const REVOKE_TOKEN_SQL = "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL";

/** Revokes a token by its public id; false when no unrevoked token has that id. */
export async function revokeToken(db: D1Database, id: string, now: number): Promise<boolean> {
  const r = await db.prepare(REVOKE_TOKEN_SQL).bind(now, id).run();
  forgetCachedToken(id);
  return (r.meta.changes ?? 0) > 0;
}

/** Token ids are 16 lowercase hex digits (newToken). */
export function isTokenId(text: string): boolean {
  return /^[0-9a-f]{16}$/.test(text);
}
