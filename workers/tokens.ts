// API token management (/api/v1/tokens), admin only: create (the secret is shown once), list
// (never secrets or digests), revoke. The npm scripts token:create/list/revoke do the same on D1.

import { Hono } from "hono";
import { type TokenInfo, insertToken, isTokenId, listTokens, newToken, parseRole, revokeToken } from "../src/auth/tokens.ts";
import { ProblemType, problem } from "../src/problem.ts";
import { type AppEnv, problemResponse, readBody, requirePermission, tooLarge } from "./http.ts";

export const tokens = new Hono<AppEnv>();

const MAX_BODY = 4096;
/** Ten years: longer-lived credentials are a mistake, not a policy. */
const MAX_EXPIRY_DAYS = 3650;

const iso = (t: number | null): string | null => (t === null ? null : new Date(t * 1000).toISOString());

function tokenJson(t: TokenInfo) {
  return { id: t.id, role: t.role, label: t.label, created_at: iso(t.createdAt), expires_at: iso(t.expiresAt), revoked_at: iso(t.revokedAt) };
}

const bad = (detail: string): Response => problemResponse(problem(ProblemType.malformed, 400, detail));

tokens.use("*", requirePermission("admin"));

tokens.get("/", async (c) => c.json({ tokens: (await listTokens(c.env.DB)).map(tokenJson) }));

tokens.post("/", async (c) => {
  const body = await readBody(c.req.raw, MAX_BODY);
  if (!body) return tooLarge(MAX_BODY);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return bad("the body is not valid JSON");
  }
  const usage = 'the body must be {"role": "admin|issuer|revoker|reader|zone:<apex>", "label"?: "<text>", "expires_in_days"?: <number>}';
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return bad(usage);
  const b = parsed as { role?: unknown; label?: unknown; expires_in_days?: unknown };
  const role = typeof b.role === "string" ? parseRole(b.role) : null;
  if (!role) return bad(usage);
  if (b.label !== undefined && (typeof b.label !== "string" || b.label.length > 200)) return bad('"label" must be a string of at most 200 characters');
  const days = b.expires_in_days;
  if (days !== undefined && (typeof days !== "number" || !(days > 0) || days > MAX_EXPIRY_DAYS)) {
    return bad(`"expires_in_days" must be a number of days in (0, ${MAX_EXPIRY_DAYS}]`);
  }
  const now = Math.floor(Date.now() / 1000);
  const t = await newToken();
  const expiresAt = days === undefined ? undefined : now + Math.round(days * 86400);
  await insertToken(c.env.DB, { id: t.id, hash: t.hash, role, label: b.label, createdAt: now, expiresAt });
  return c.json(
    { ...tokenJson({ id: t.id, role, label: b.label ?? null, createdAt: now, expiresAt: expiresAt ?? null, revokedAt: null }), token: t.token },
    201,
    { location: new URL(`/api/v1/tokens/${t.id}`, c.req.url).toString(), "cache-control": "no-store" },
  );
});

tokens.delete("/:id", async (c) => {
  const id = c.req.param("id");
  if (!isTokenId(id)) return bad("a token id is 16 hexadecimal digits");
  const revoked = await revokeToken(c.env.DB, id, Math.floor(Date.now() / 1000));
  if (!revoked) return problemResponse(problem(ProblemType.about, 404, `no unrevoked token with id ${id}`, { title: "Not Found" }));
  return c.body(null, 204);
});
