// The TrustChain Worker: one hono app mounting one router per surface.

import { Hono } from "hono";
import { ProblemType, problem } from "../src/problem.ts";
import { expireAcmeObjects, pruneNonces } from "../src/acme/store.ts";
import { acme } from "./acme.ts";
import { audit } from "./audit.ts";
import { consensus, refreshCrlsWithQuorum } from "./consensus.ts";
import { api } from "./api.ts";
import { pqAdmin } from "./pq-admin.ts";
import { eabAdmin } from "./eab-admin.ts";
import { rotateDueIssuers, rotation } from "./rotation.ts";
import { ct } from "./ct.ts";
import { dns01 } from "./dns01.ts";
import { doh, isDohUrl, serveDoh } from "./doh.ts";
import { type Env, caSigner, ctLog } from "./env.ts";
import { type AppEnv, internalError, problemResponse } from "./http.ts";
import { revocation } from "./revocation.ts";
import { tokens } from "./tokens.ts";
import { dashboard } from "./dashboard.ts";
import { health } from "./health.ts";
import { openapi } from "./openapi.ts";
import { status } from "./status.ts";
import { metricsRoutes, scheduleMetricsFlush } from "./metrics.ts";
import { limitByClient } from "./rate-limit.ts";
import { zones } from "./zones.ts";

export { CaSigner } from "../durable-objects/ca-signer.ts";
export { CtLog } from "../durable-objects/ct-log.ts";
export { CtBatcher } from "../durable-objects/ct-batcher.ts";
export { AuditLog } from "../durable-objects/audit-log.ts";
export { Validator } from "../durable-objects/validator.ts";
export { Zone } from "../durable-objects/zone.ts";
export { Metrics } from "../durable-objects/metrics.ts";
export { RateLimiter } from "../durable-objects/rate-limiter.ts";

/** Exported so tests can enumerate every route (test/worker/ops-roles.test.ts). */
export const app = new Hono<AppEnv>();

// Operations (workers/metrics.ts, workers/rate-limit.ts): what this request recorded reaches the
// Metrics object after the response; per-client limits run before any router (DoH applies its
// own, in serveDoh).
app.use("*", async (c, next) => {
  await next();
  scheduleMetricsFlush(c.executionCtx, c.env);
});
app.use("/api/v1/*", limitByClient("api"));
// The public consensus endpoints take anonymous requests (each costs validator work and may
// append to the audit log): the same per-client limit as the API.
app.use("/consensus/*", limitByClient("api"));
app.route("/", metricsRoutes);
app.route("/", dashboard);
app.route("/api/v1", status);
app.route("/", openapi);

app.route("/api/v1/zones", zones);
app.route("/api/v1/dns01", dns01);
app.route("/api/v1/tokens", tokens);
app.route("/api/v1/admin", pqAdmin);
app.route("/api/v1/admin", rotation);
app.route("/api/v1/admin", eabAdmin);
app.route("/api/v1", api);
app.route("/acme", acme);
app.route("/consensus", consensus);
app.route("/audit", audit);
app.route("/", doh);
app.route("/", revocation);
app.route("/", ct);

app.route("/", health);

app.notFound((c) => problemResponse(problem(ProblemType.about, 404, `no route for ${c.req.method} ${new URL(c.req.url).pathname}`, { title: "Not Found" })));

app.onError(internalError);

/** The cron runs hourly; a checkpoint older than this is re-signed for the same tree. */
const CHECKPOINT_REFRESH_MS = 30 * 60 * 1000;

export default {
  // DoH queries, by far the most frequent requests, go straight to serveDoh: the same function as
  // hono's route, without hono's per-request dispatch.
  fetch: (req: Request, env: Env, ctx: ExecutionContext) => {
    const url = req.url;
    return isDohUrl(url) ? serveDoh(req, env, ctx, url) : app.fetch(req, env, ctx);
  },
  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext) {
    ctx.waitUntil(refreshCrlsWithQuorum(env, (p) => ctx.waitUntil(p)));
    // Operations (issue 8): a new issuing CA when the current one is due (src/ca/rotation.ts).
    ctx.waitUntil(rotateDueIssuers(env, controller.scheduledTime, (p) => ctx.waitUntil(p)));
    ctx.waitUntil(caSigner(env).logPendingFinals());
    ctx.waitUntil(pruneNonces(env.DB, Math.floor(Date.now() / 1000)));
    ctx.waitUntil(
      expireAcmeObjects(env.DB, Math.floor(Date.now() / 1000)).then((r) => {
        if (Object.values(r).some((n) => n > 0)) console.log(`ACME expiry: ${JSON.stringify(r)}`);
      }),
    );
    // Operations (issue 8): a fresh CT checkpoint when the log has been idle.
    ctx.waitUntil(ctLog(env).refreshCheckpoint(CHECKPOINT_REFRESH_MS));
  },
} satisfies ExportedHandler<Env>;
