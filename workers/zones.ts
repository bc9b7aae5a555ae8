// The zone API (/api/v1/zones): hosted zones, their RRsets, RFC 1035 zone-file import and export,
// and DNSSEC (DNSKEY, DS for the parent, key rollover). Admin tokens reach every zone; a
// `zone:<apex>` token only its own zone (403 elsewhere), and creating or deleting zones is admin's.

import { Hono } from "hono";
import { roleAllowsZone } from "../src/auth/tokens.ts";
import { demoZoneConfig, demoZoneContent } from "../src/dns/demo-zone.ts";
import { defaultZoneContent } from "../src/dns/hosted-zone.ts";
import { parseName } from "../src/dns/names.ts";
import { markBootstrapped, registerZone, unregisterZone, listZones, wasBootstrapped, zoneRegistry } from "../src/dns/registry.ts";
import { ownerInZone, rrTypeFromText, rrsetFromText } from "../src/dns/rrset-text.ts";
import type { RRset } from "../src/dns/types.ts";
import { zoneLimits } from "../src/dns/zone-limits.ts";
import { parseZoneFile } from "../src/dns/zonefile.ts";
import { type Problem, ProblemType, isProblem, problem } from "../src/problem.ts";
import { type Env, zoneObject } from "./env.ts";
import { CreateZoneBody, RRsetBody, RolloverBody } from "./api-routes.ts";
import { audited } from "./audit-trail.ts";
import { type AppContext, type AppEnv, problemResponse, readBody, requireToken, tooLarge } from "./http.ts";
import { validBody } from "./openapi.ts";

export const zones = new Hono<AppEnv>();

const MAX_JSON = 64 * 1024;

const bad = (detail: string): Response => problemResponse(problem(ProblemType.malformed, 400, detail));
const forbidden = (apex: string): Response =>
  problemResponse(problem(ProblemType.unauthorized, 403, `this token may not manage the zone ${apex}`, { title: "Forbidden" }));

/** Canonical apex from user text ("example.test" or "example.test."). */
export function apexFromText(text: string): string | null {
  const r = parseName(text.endsWith(".") ? text : `${text}.`);
  return r.ok && r.name !== "." ? r.name : null;
}

/**
 * Registers and creates a zone. The registry row comes first, so two concurrent creations
 * cannot both succeed; a row whose object holds nothing (a creation or deletion cut short) is
 * taken over instead of blocking the name forever.
 */
export async function createZone(env: Env, apex: string, content: RRset[]): Promise<{ apex: string; serial: number } | Problem> {
  const zone = zoneObject(env, apex);
  const inserted = await registerZone(env.DB, apex, Math.floor(Date.now() / 1000));
  if (!inserted && !isProblem(await zone.summary(apex))) {
    return problem(ProblemType.malformed, 409, `the zone ${apex} already exists`, { title: "Conflict" });
  }
  const created = await zone.create(apex, content);
  if (isProblem(created)) {
    if (inserted) await unregisterZone(env.DB, apex);
    return created;
  }
  zoneRegistry.invalidate(apex);
  zoneRegistry.noteSerial(apex, created.serial);
  return { apex, serial: created.serial };
}

let demoEnsured: Promise<void> | null = null;

/**
 * The first start's demo zone (wrangler.toml DEMO_ZONE), made lazily by the first request that
 * needs zones, once per isolate; D1 remembers that it was made, so an operator who deletes it
 * later does not see it come back.
 */
export function ensureDemoZone(env: Env): Promise<void> {
  demoEnsured ??= (async () => {
    const config = demoZoneConfig(env);
    if (!config || (await wasBootstrapped(env.DB, config.apex))) return;
    const now = Math.floor(Date.now() / 1000);
    const r = await createZone(env, config.apex, demoZoneContent(config, now));
    if (isProblem(r) && r.status !== 409) throw new Error(`demo zone: ${r.detail}`);
    await markBootstrapped(env.DB, config.apex, now);
  })().catch((e: unknown) => {
    demoEnsured = null; // try again on the next request
    console.error("could not create the demo zone", e);
  });
  return demoEnsured;
}

/** Resolves the :zone parameter and checks the token may act on it (401 was handled before). */
function zoneAccess(c: AppContext): { apex: string } | Response {
  const apex = apexFromText(c.req.param("zone") ?? "");
  if (!apex) return bad(`"${(c.req.param("zone") ?? "").slice(0, 300)}" is not a zone name`);
  if (!roleAllowsZone(c.get("principal").role, apex)) return forbidden(apex);
  return { apex };
}

function adminOnly(c: AppContext): Response | null {
  return c.get("principal").role === "admin"
    ? null
    : problemResponse(problem(ProblemType.unauthorized, 403, "creating and deleting zones needs an admin token", { title: "Forbidden" }));
}

const answer = (c: AppContext, r: object | Problem, status = 200): Response => (isProblem(r) ? problemResponse(r) : c.json(r, status as 200));

zones.use("*", requireToken());
zones.use("*", async (c, next) => {
  await ensureDemoZone(c.env);
  await next();
});

zones.get("/", async (c) => {
  const role = c.get("principal").role;
  const all = await listZones(c.env.DB);
  return c.json({ zones: all.filter((z) => roleAllowsZone(role, z.apex)).map((z) => ({ apex: z.apex, created_at: new Date(z.createdAt * 1000).toISOString() })) });
});

zones.post("/", async (c) => {
  const denied = adminOnly(c);
  if (denied) return denied;
  const body = await validBody(c, CreateZoneBody, MAX_JSON);
  if (!body.ok) return body.response;
  const b = body.value;
  const apex = apexFromText(b.name);
  if (!apex) return bad(`"${b.name.slice(0, 300)}" is not a zone name`);
  let content: RRset[];
  if (b.zonefile !== undefined) {
    const parsed = parseZoneFile(b.zonefile, { origin: apex });
    if (!parsed.ok) {
      return problemResponse(problem(ProblemType.malformed, 400, "the zone file is not valid", {
        subproblems: parsed.errors.map((e) => ({ type: ProblemType.malformed, detail: `line ${e.line}: ${e.message}` })),
      }));
    }
    content = parsed.rrsets;
  } else {
    const ns = b.nameservers ?? [`ns1.${apex}`];
    const hosts: string[] = [];
    for (const n of ns) {
      const h = parseName(n.endsWith(".") ? n : `${n}.`);
      if (!h.ok) return bad(`nameserver "${n.slice(0, 300)}": ${h.error}`);
      hosts.push(h.name);
    }
    content = defaultZoneContent(apex, hosts, Math.floor(Date.now() / 1000));
  }
  const input = { name: apex, nameservers: b.nameservers ?? null, zonefile: b.zonefile ?? null };
  return audited(c, { operation: "zone.create", target: `zone:${apex}`, input }, async () => {
    const r = await createZone(c.env, apex, content);
    if (isProblem(r)) return problemResponse(r);
    return c.json(await zoneObject(c.env, apex).summary(apex), 201, { location: new URL(`/api/v1/zones/${apex}`, c.req.url).toString() });
  });
});

zones.get("/:zone", async (c) => {
  const z = zoneAccess(c);
  if (z instanceof Response) return z;
  return answer(c, await zoneObject(c.env, z.apex).summary(z.apex));
});

zones.delete("/:zone", async (c) => {
  const z = zoneAccess(c);
  if (z instanceof Response) return z;
  const denied = adminOnly(c);
  if (denied) return denied;
  return audited(c, { operation: "zone.delete", target: `zone:${z.apex}`, input: { name: z.apex } }, async () => {
    // Routing stops first, then the content goes: no query reaches a half-deleted zone.
    await unregisterZone(c.env.DB, z.apex);
    zoneRegistry.invalidate(z.apex);
    const existed = await zoneObject(c.env, z.apex).destroy(z.apex);
    if (!existed) return problemResponse(problem(ProblemType.about, 404, `the zone ${z.apex} is not hosted here`, { title: "Not Found" }));
    return c.body(null, 204);
  });
});

zones.get("/:zone/rrsets", async (c) => {
  const z = zoneAccess(c);
  if (z instanceof Response) return z;
  const r = await zoneObject(c.env, z.apex).list(z.apex);
  return isProblem(r) ? problemResponse(r) : c.json({ apex: z.apex, rrsets: r });
});

/** The :name/:type pair of an RRset route, inside the zone. */
function rrsetParams(c: AppContext, apex: string): { name: string; type: NonNullable<ReturnType<typeof rrTypeFromText>> } | Response {
  const owner = ownerInZone(c.req.param("name") ?? "", apex);
  if (!owner.ok) return bad(owner.error);
  const type = rrTypeFromText(c.req.param("type") ?? "");
  if (!type) return bad(`"${(c.req.param("type") ?? "").slice(0, 30)}" is not a record type this server stores`);
  return { name: owner.name, type };
}

zones.get("/:zone/rrsets/:name/:type", async (c) => {
  const z = zoneAccess(c);
  if (z instanceof Response) return z;
  const p = rrsetParams(c, z.apex);
  if (p instanceof Response) return p;
  const r = await zoneObject(c.env, z.apex).get(z.apex, p.name, p.type);
  if (r === null) return problemResponse(problem(ProblemType.about, 404, `no ${p.type} RRset at ${p.name}`, { title: "Not Found" }));
  return answer(c, r);
});

zones.put("/:zone/rrsets/:name/:type", async (c) => {
  const z = zoneAccess(c);
  if (z instanceof Response) return z;
  const p = rrsetParams(c, z.apex);
  if (p instanceof Response) return p;
  const body = await validBody(c, RRsetBody, MAX_JSON);
  if (!body.ok) return body.response;
  const b = body.value;
  const rr = rrsetFromText({ name: p.name, type: p.type, ttl: b.ttl, records: b.records }, z.apex);
  if (!rr.ok) return bad(`${rr.error.name} ${rr.error.type}: ${rr.error.message}`);
  const input = { zone: z.apex, name: p.name, type: p.type, ttl: b.ttl, records: b.records };
  return audited(c, { operation: "zone.rrset.put", target: `rrset:${p.name}/${p.type}`, input }, async () => {
    const r = await zoneObject(c.env, z.apex).replace(z.apex, rr.rrset);
    if (!isProblem(r)) zoneRegistry.noteSerial(z.apex, r.serial);
    return answer(c, r);
  });
});

zones.delete("/:zone/rrsets/:name/:type", async (c) => {
  const z = zoneAccess(c);
  if (z instanceof Response) return z;
  const p = rrsetParams(c, z.apex);
  if (p instanceof Response) return p;
  return audited(c, { operation: "zone.rrset.delete", target: `rrset:${p.name}/${p.type}`, input: { zone: z.apex, name: p.name, type: p.type } }, async () => {
    const r = await zoneObject(c.env, z.apex).remove(z.apex, p.name, p.type);
    if (isProblem(r)) return problemResponse(r);
    zoneRegistry.noteSerial(z.apex, r.serial);
    if (!r.removed) return problemResponse(problem(ProblemType.about, 404, `no ${p.type} RRset at ${p.name}`, { title: "Not Found" }));
    return c.json(r);
  });
});

zones.get("/:zone/zonefile", async (c) => {
  const z = zoneAccess(c);
  if (z instanceof Response) return z;
  const r = await zoneObject(c.env, z.apex).exportText(z.apex);
  if (isProblem(r)) return problemResponse(r);
  return c.body(r, 200, { "content-type": "text/dns; charset=utf-8" });
});

zones.put("/:zone/zonefile", async (c) => {
  const z = zoneAccess(c);
  if (z instanceof Response) return z;
  // RFC 4027 registers text/dns for master files; text/plain is what curl --data-binary users send.
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "text/dns" && type !== "text/plain") {
    return problemResponse(problem(ProblemType.malformed, 415, "send the zone file as text/dns or text/plain", { title: "Unsupported Media Type" }));
  }
  const { maxZoneFileBytes } = zoneLimits(c.env);
  const body = await readBody(c.req.raw, maxZoneFileBytes);
  if (!body) return tooLarge(maxZoneFileBytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body);
  } catch {
    return bad("the zone file is not UTF-8 text");
  }
  return audited(c, { operation: "zone.zonefile.put", target: `zone:${z.apex}`, input: { zone: z.apex, zonefile: text } }, async () => {
    const r = await zoneObject(c.env, z.apex).importText(z.apex, text);
    if (!isProblem(r)) zoneRegistry.noteSerial(z.apex, r.serial);
    return answer(c, r);
  });
});

zones.get("/:zone/dnssec", async (c) => {
  const z = zoneAccess(c);
  if (z instanceof Response) return z;
  return answer(c, await zoneObject(c.env, z.apex).dnssec(z.apex));
});

zones.post("/:zone/dnssec/rollover", async (c) => {
  const z = zoneAccess(c);
  if (z instanceof Response) return z;
  const body = await validBody(c, RolloverBody, MAX_JSON, { emptyIsObject: true });
  if (!body.ok) return body.response;
  const b = body.value;
  const input = { zone: z.apex, step: b.step ?? null, force: b.force === true, auto: b.auto === true };
  return audited(c, { operation: "zone.dnssec.rollover", target: `zone:${z.apex}`, input }, async () => {
    const r = await zoneObject(c.env, z.apex).rollover(z.apex, { step: b.step, force: b.force === true, auto: b.auto === true });
    if (!isProblem(r)) zoneRegistry.invalidate(z.apex); // the DNSKEY RRset changed: learn the new serial
    return answer(c, r);
  });
});
