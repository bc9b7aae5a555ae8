// The DNS-01 hook in lego's `httpreq` protocol (/api/v1/dns01/present and /cleanup): publishes
// or withdraws one `_acme-challenge` TXT value in a hosted zone. Several values at one name
// coexist (an order for a name and its wildcard presents both before validation).
//
//   lego:    HTTPREQ_ENDPOINT=http://localhost:8787/api/v1/dns01 HTTPREQ_USERNAME=any
//            HTTPREQ_PASSWORD=<zone token> [HTTPREQ_MODE=RAW] lego --dns httpreq ...
//   certbot: --manual-auth-hook / --manual-cleanup-hook running
//            curl -u any:$TOKEN -d "{\"fqdn\":\"_acme-challenge.$CERTBOT_DOMAIN.\",\"value\":\"$CERTBOT_VALIDATION\"}" .../present

import { Hono } from "hono";
import { roleAllowsZone } from "../src/auth/tokens.ts";
import { CHALLENGE_TTL, parseChallenge } from "../src/dns/acme-challenge.ts";
import { zoneRegistry } from "../src/dns/registry.ts";
import { ProblemType, isProblem, problem } from "../src/problem.ts";
import { zoneObject } from "./env.ts";
import { Dns01Body } from "./api-routes.ts";
import { audited } from "./audit-trail.ts";
import { type AppContext, type AppEnv, problemResponse, requireToken } from "./http.ts";
import { validBody } from "./openapi.ts";
import { ensureDemoZone } from "./zones.ts";

export const dns01 = new Hono<AppEnv>();

const MAX_BODY = 4096;

dns01.use("*", requireToken());

async function handle(c: AppContext, action: "present" | "cleanup"): Promise<Response> {
  const body = await validBody(c, Dns01Body, MAX_BODY);
  if (!body.ok) return body.response;
  const ch = await parseChallenge(body.value);
  if (!ch.ok) return problemResponse(problem(ProblemType.malformed, 400, ch.error));
  await ensureDemoZone(c.env);
  const apex = await zoneRegistry.lookup(c.env.DB, ch.fqdn);
  // A zone token learns nothing about zones it does not hold: "not yours" and "not hosted" differ
  // only for admin.
  if (!apex) {
    return c.get("principal").role === "admin"
      ? problemResponse(problem(ProblemType.about, 404, `no hosted zone contains ${ch.fqdn}`, { title: "Not Found" }))
      : problemResponse(problem(ProblemType.unauthorized, 403, `this token may not publish records at ${ch.fqdn}`, { title: "Forbidden" }));
  }
  if (!roleAllowsZone(c.get("principal").role, apex)) {
    return problemResponse(problem(ProblemType.unauthorized, 403, `this token may not publish records at ${ch.fqdn}`, { title: "Forbidden" }));
  }
  return audited(c, { operation: `dns01.${action}`, target: `rrset:${ch.fqdn}/TXT`, input: { zone: apex, fqdn: ch.fqdn, value: ch.value } }, async () => {
    const zone = zoneObject(c.env, apex);
    const r = action === "present" ? await zone.addTxt(apex, ch.fqdn, ch.value, CHALLENGE_TTL) : await zone.removeTxt(apex, ch.fqdn, ch.value);
    if (isProblem(r)) return problemResponse(r);
    zoneRegistry.noteSerial(apex, r.serial);
    return c.json({ fqdn: ch.fqdn, value: ch.value, zone: apex, serial: r.serial });
  });
}

dns01.post("/present", (c) => handle(c, "present"));
dns01.post("/cleanup", (c) => handle(c, "cleanup"));
