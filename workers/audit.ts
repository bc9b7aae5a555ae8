// The audit log's read side, public like a CT log's: the signed checkpoint, the tiles and entry
// bundles (c2sp.org/tlog-tiles paths under /audit/), the checkpoint's verifier keys, and a lookup
// of the leaf index that committed a consensus request hash.

import { Hono } from "hono";
import { AUDIT_PREFIX } from "../durable-objects/audit-log.ts";
import { type Problem, ProblemType, isProblem, problem } from "../src/problem.ts";
import { auditLog } from "./env.ts";
import { type AppEnv, problemResponse } from "./http.ts";

export const audit = new Hono<AppEnv>();

const notFound = (what: string): Problem => problem(ProblemType.about, 404, `${what} does not exist`, { title: "Not Found" });

audit.get("/key", async (c) => {
  const info = await auditLog(c.env).info();
  if (isProblem(info)) return problemResponse(info);
  // post-quantum: the vkeys of the checkpoint's ML-DSA-44 (type 0x06) and FALCON-1024 (type 0xff) lines.
  return c.json({ origin: info.origin, verifier_key: info.verifierKey, mldsa44_cosignature_key: info.mlDsa44CosignatureKey, falcon1024_cosignature_key: info.falconCosignatureKey, size: info.size });
});

audit.get("/lookup/:hash{[0-9a-f]{64}}", async (c) => {
  const r = await auditLog(c.env).indexOf(c.req.param("hash"));
  if (isProblem(r)) return problemResponse(r);
  if (r.index === null) return problemResponse(notFound(`an audit entry for request ${c.req.param("hash")}`));
  return c.json({ request_hash: c.req.param("hash"), index: r.index });
});

audit.get("/checkpoint", async (c) => {
  let obj = await c.env.BLOBS.get(`${AUDIT_PREFIX}checkpoint`);
  if (!obj) {
    // Until its object first starts (and signs the empty tree), a log nothing was appended to has
    // published nothing: start it, so a verifier's first fetch of a new deployment gets a checkpoint.
    const info = await auditLog(c.env).info();
    if (isProblem(info)) return problemResponse(info);
    obj = await c.env.BLOBS.get(`${AUDIT_PREFIX}checkpoint`);
  }
  if (!obj) return problemResponse(notFound("the audit checkpoint"));
  return new Response(obj.body, { headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
});

// tlog-tiles: tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>], N in x001/234 form.
audit.get("/tile/*", async (c) => {
  const path = new URL(c.req.url).pathname.slice("/audit/".length);
  if (!/^tile\/(entries|[0-9])\/(x[0-9]{3}\/)*[0-9]{3}(\.p\/[0-9]{1,3})?$/.test(path)) return problemResponse(problem(ProblemType.malformed, 400, "not a tile path"));
  const obj = await c.env.BLOBS.get(AUDIT_PREFIX + path);
  if (!obj) return problemResponse(notFound(path));
  return new Response(obj.body, { headers: { "content-type": "application/octet-stream", "cache-control": path.includes(".p/") ? "no-store" : "public, max-age=31536000, immutable" } });
});
