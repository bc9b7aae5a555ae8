// Rotation of the issuing CAs (src/ca/rotation.ts): on demand by an operator
// (POST /api/v1/admin/ca-rotate, admin) and by the scheduled handler when the policy says an
// issuing CA is due. Both go through consensus like every CA operation, and the CaSigner acts
// only for a request naming the issuing CA that is still current.

import { Hono } from "hono";
import { rotationPolicy } from "../src/ca/rotation.ts";
import { type Problem, isProblem } from "../src/problem.ts";
import type { Rotation } from "../durable-objects/ca-signer.ts";
import { rotationJson } from "./api.ts";
import { RotateBody } from "./api-routes.ts";
import { audited, tokenActor } from "./audit-trail.ts";
import { type Background, rotateWithQuorum } from "./consensus.ts";
import { type Env, caSigner } from "./env.ts";
import { type AppEnv, bearerCredentials, problemResponse, requirePermission } from "./http.ts";
import { validBody } from "./openapi.ts";

export const rotation = new Hono<AppEnv>();

rotation.post("/ca-rotate", requirePermission("admin"), async (c) => {
  const body = await validBody(c, RotateBody, 4096, { emptyIsObject: true });
  if (!body.ok) return body.response;
  const hierarchy = body.value.hierarchy ?? "classical";
  const named = body.value.issuing_id;
  return audited(c, { operation: "ca.rotate", target: `ca:${hierarchy}`, input: { hierarchy, ...(named ? { issuing_id: named } : {}) } }, async () => {
    let issuing = named;
    if (!issuing) {
      const certs = await caSigner(c.env).certificates();
      if (isProblem(certs)) return problemResponse(certs);
      issuing = (hierarchy === "pq" ? certs.pq.issuing : certs.issuing).id;
    }
    const rotated = await rotateWithQuorum(c.env, hierarchy, issuing, tokenActor(c), bearerCredentials(c), (p) => c.executionCtx.waitUntil(p));
    return isProblem(rotated) ? problemResponse(rotated) : c.json(rotationJson(rotated));
  });
});

/**
 * The scheduled handler's part: each issuing CA the configured policy says is due at `now` (the
 * cron's scheduled time) is rotated, as the scheduler (system:cron), through consensus.
 */
export async function rotateDueIssuers(env: Env, now: number, background: Background): Promise<(Rotation | Problem)[]> {
  const due = await caSigner(env).rotationsDue(now, rotationPolicy(env));
  if (isProblem(due)) return [due];
  const out: (Rotation | Problem)[] = [];
  for (const d of due) {
    console.log(`rotating the ${d.hierarchy} issuing CA ${d.issuing}: ${d.reason}`);
    const rotated = await rotateWithQuorum(env, d.hierarchy, d.issuing, "system:cron", { kind: "system" }, background);
    if (isProblem(rotated)) console.error(`ALERT: rotation of the ${d.hierarchy} issuing CA ${d.issuing} refused: ${rotated.detail}`);
    out.push(rotated);
  }
  return out;
}
