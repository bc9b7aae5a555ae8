// The TrustChain Worker: one hono app mounting one router per surface.

import { Hono } from "hono";
import { ProblemType, problem, isProblem } from "../src/problem.ts";
import { pruneNonces } from "../src/acme/store.ts";
import { acme } from "./acme.ts";
import { api } from "./api.ts";
import { pqAdmin } from "./pq-admin.ts";
import { ct } from "./ct.ts";
import { dns01 } from "./dns01.ts";
import { doh } from "./doh.ts";
import { type Env, caSigner } from "./env.ts";
import { type AppEnv, problemResponse } from "./http.ts";
import { revocation } from "./revocation.ts";
import { zones } from "./zones.ts";

export { CaSigner } from "../durable-objects/ca-signer.ts";
export { CtLog } from "../durable-objects/ct-log.ts";
export { Zone } from "../durable-objects/zone.ts";

const app = new Hono<AppEnv>();

app.route("/api/v1/zones", zones);
app.route("/api/v1/dns01", dns01);
app.route("/api/v1/admin", pqAdmin);
app.route("/api/v1", api);
app.route("/acme", acme);
app.route("/", doh);
app.route("/", revocation);
app.route("/", ct);

app.get("/health", async (c) => {
  const checks: Record<string, { ok: boolean; detail?: string }> = {};
  const ca = await caSigner(c.env).certificates().catch((e: unknown) => problem(ProblemType.serverInternal, 503, String(e)));
  checks.ca_signer = isProblem(ca) ? { ok: false, detail: ca.detail } : { ok: true };
  try {
    await c.env.DB.prepare("SELECT 1 FROM certificates LIMIT 1").first();
    checks.d1 = { ok: true };
  } catch (e) {
    checks.d1 = { ok: false, detail: e instanceof Error ? e.message : String(e) };
  }
  try {
    await c.env.BLOBS.head("health");
    checks.r2 = { ok: true };
  } catch (e) {
    checks.r2 = { ok: false, detail: e instanceof Error ? e.message : String(e) };
  }
  const ok = Object.values(checks).every((x) => x.ok);
  return c.json({ status: ok ? "ok" : "failing", checks }, ok ? 200 : 503);
});

app.notFound((c) => problemResponse(problem(ProblemType.about, 404, `no route for ${c.req.method} ${new URL(c.req.url).pathname}`, { title: "Not Found" })));

app.onError((err) => {
  // The one place an unexpected exception ends: the client gets a problem document, the log the stack.
  console.error("unhandled error", err);
  return problemResponse(problem(ProblemType.serverInternal, 500, "internal error; the request was not completed"));
});

export default {
  fetch: app.fetch,
  async scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext) {
    ctx.waitUntil(caSigner(env).refreshCrls());
    ctx.waitUntil(caSigner(env).logPendingFinals());
    ctx.waitUntil(pruneNonces(env.DB, Math.floor(Date.now() / 1000)));
  },
} satisfies ExportedHandler<Env>;
