// API token management (/api/v1/tokens), admin only: create (the secret is shown once), list
// (never secrets or digests), revoke. The npm scripts token:create/list/revoke do the same on D1.

import { Hono } from "hono";
import { type TokenInfo, insertToken, isTokenId, listTokens, newToken, parseRole, revokeToken } from "../src/auth/tokens.ts";
import { ProblemType, problem } from "../src/problem.ts";
import { CreateTokenBody } from "./api-routes.ts";
import { audited } from "./audit-trail.ts";
import { type AppEnv, problemResponse, requirePermission } from "./http.ts";
import { validBody } from "./openapi.ts";

export const tokens = new Hono<AppEnv>();

const MAX_BODY = 4096;

const iso = (t: number | null): string | null => (t === null ? null : new Date(t * 1000).toISOString());

function tokenJson(t: TokenInfo) {
  return { id: t.id, role: t.role, label: t.label, created_at: iso(t.createdAt), expires_at: iso(t.expiresAt), revoked_at: iso(t.revokedAt) };
}

const bad = (detail: string): Response => problemResponse(problem(ProblemType.malformed, 400, detail));

tokens.use("*", requirePermission("admin"));

tokens.get("/", async (c) => c.json({ tokens: (await listTokens(c.env.DB)).map(tokenJson) }));

tokens.post("/", async (c) => {
  const body = await validBody(c, CreateTokenBody, MAX_BODY);
  if (!body.ok) return body.response;
  const b = body.value;
  const role = parseRole(b.role)!;
  const days = b.expires_in_days;
  const now = Math.floor(Date.now() / 1000);
  const t = await newToken();
  const expiresAt = days === undefined ? undefined : now + Math.round(days * 86400);
  // The entry names the token's id and digest, never its secret.
  const input = { role, label: b.label ?? null, expires_at: expiresAt ?? null, digest: t.hash };
  return audited(c, { operation: "token.create", target: `token:${t.id}`, input }, async () => {
    await insertToken(c.env.DB, { id: t.id, hash: t.hash, role, label: b.label, createdAt: now, expiresAt });
    return c.json(
      { ...tokenJson({ id: t.id, role, label: b.label ?? null, createdAt: now, expiresAt: expiresAt ?? null, revokedAt: null }), token: t.token },
      201,
      { location: new URL(`/api/v1/tokens/${t.id}`, c.req.url).toString(), "cache-control": "no-store" },
    );
  });
});

tokens.delete("/:id", async (c) => {
  const id = c.req.param("id");
  if (!isTokenId(id)) return bad("a token id is 16 hexadecimal digits");
  return audited(c, { operation: "token.revoke", target: `token:${id}`, input: { id } }, async () => {
    const revoked = await revokeToken(c.env.DB, id, Math.floor(Date.now() / 1000));
    if (!revoked) return problemResponse(problem(ProblemType.about, 404, `no unrevoked token with id ${id}`, { title: "Not Found" }));
    return c.body(null, 204);
  });
});
