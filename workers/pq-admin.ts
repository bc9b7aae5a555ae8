// Operator routes for CA key backups (admin tokens only), used by `npm run ca:backup` and
// `npm run ca:restore` (scripts/ca-backup.ts, scripts/ca-restore.ts). Keys cross these routes only
// inside X-Wing envelopes (src/ca/backup.ts).

import { Hono } from "hono";
import { XWING_PUBLIC_KEY_BYTES } from "../src/ca/backup.ts";
import { fromBase64 } from "../src/encoding/bytes.ts";
import { ProblemType, isProblem, problem } from "../src/problem.ts";
import { caCertificatesJson } from "./api.ts";
import { caSigner } from "./env.ts";
import type { Canonical } from "../src/consensus/canonical.ts";
import { audited } from "./audit-trail.ts";
import { type AppEnv, problemResponse, readBody, requirePermission, tooLarge } from "./http.ts";

export const pqAdmin = new Hono<AppEnv>();

const MAX_ENVELOPE = 256 * 1024;

async function jsonBody(req: Request): Promise<Record<string, unknown> | Response> {
  const body = await readBody(req, MAX_ENVELOPE);
  if (!body) return tooLarge(MAX_ENVELOPE);
  try {
    const v = JSON.parse(new TextDecoder().decode(body)) as unknown;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  return problemResponse(problem(ProblemType.malformed, 400, "the body must be a JSON object"));
}

pqAdmin.post("/ca-backup", requirePermission("admin"), async (c) => {
  const body = await jsonBody(c.req.raw);
  if (body instanceof Response) return body;
  const recipient = typeof body.recipient === "string" ? fromBase64(body.recipient) : null;
  if (!recipient || recipient.length !== XWING_PUBLIC_KEY_BYTES) {
    return problemResponse(problem(ProblemType.malformed, 400, `"recipient" must be a base64 X-Wing public key (${XWING_PUBLIC_KEY_BYTES} bytes)`));
  }
  return audited(c, { operation: "ca.backup.export", target: "ca:keys", input: { recipient: body.recipient as string } }, async () => {
    const sealed = await caSigner(c.env).exportBackup(recipient);
    return isProblem(sealed) ? problemResponse(sealed) : c.json(sealed);
  });
});

pqAdmin.get("/ca-restore-key", requirePermission("admin"), async (c) => {
  const key = await caSigner(c.env).restoreKey();
  return isProblem(key) ? problemResponse(key) : c.json({ public_key: key.publicKey, expires_at: key.expiresAt });
});

pqAdmin.post("/ca-restore", requirePermission("admin"), async (c) => {
  const body = await jsonBody(c.req.raw);
  if (body instanceof Response) return body;
  return audited(c, { operation: "ca.backup.restore", target: "ca:keys", input: body as Canonical }, async () => {
    const restored = await caSigner(c.env).restore(body);
    return isProblem(restored) ? problemResponse(restored) : c.json(caCertificatesJson(restored));
  });
});
