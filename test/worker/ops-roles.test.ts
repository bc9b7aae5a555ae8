// Every route of the Worker, enumerated from the hono app itself, against every role: a route
// that needs a role refuses requests without it (401 without a token, 403 with the wrong one) and
// lets the right roles through. A route added without an entry in ACCESS fails this test.

import { describe, expect, it } from "vitest";
import type { Role } from "../../src/auth/tokens.ts";
import { app } from "../../workers/index.ts";
import { call, mintToken } from "../support/worker-helpers.ts";

type Permission = "read" | "issue" | "revoke" | "admin";
type Access =
  | { public: string } // why no token is asked for
  | { permission: Permission }
  | { anyToken: true }
  | { zone: "editor" | "admin" };

const DEMO = "trustchain.test";
const ACME_JWS = { public: "ACME requests authenticate with JWS (RFC 8555 §6.2)" };
const RELYING = { public: "relying parties and monitors read these without credentials" };

/** The declared access of every route: "METHOD path" as the hono app lists it. */
const ACCESS: Record<string, Access> = {
  "GET /": RELYING,
  "GET /health": RELYING,
  "GET /metrics": { public: "aggregate counters only; scraped by Prometheus" },
  "GET /api/v1/openapi.json": RELYING,
  "GET /api/v1/status": RELYING,
  "GET /api/v1/search": { public: "certificates are public: every one is in the CT log" },
  "GET /api/v1/zones": { anyToken: true },
  "POST /api/v1/zones": { zone: "admin" },
  "GET /api/v1/zones/:zone": { zone: "editor" },
  "DELETE /api/v1/zones/:zone": { zone: "admin" },
  "GET /api/v1/zones/:zone/rrsets": { zone: "editor" },
  "GET /api/v1/zones/:zone/rrsets/:name/:type": { zone: "editor" },
  "PUT /api/v1/zones/:zone/rrsets/:name/:type": { zone: "editor" },
  "DELETE /api/v1/zones/:zone/rrsets/:name/:type": { zone: "editor" },
  "GET /api/v1/zones/:zone/zonefile": { zone: "editor" },
  "PUT /api/v1/zones/:zone/zonefile": { zone: "editor" },
  "GET /api/v1/zones/:zone/dnssec": { zone: "editor" },
  "POST /api/v1/zones/:zone/dnssec/rollover": { zone: "editor" },
  "POST /api/v1/dns01/present": { zone: "editor" },
  "POST /api/v1/dns01/cleanup": { zone: "editor" },
  "GET /api/v1/tokens": { permission: "admin" },
  "POST /api/v1/tokens": { permission: "admin" },
  "DELETE /api/v1/tokens/:id": { permission: "admin" },
  "GET /api/v1/ca": RELYING,
  "POST /api/v1/certificates": { permission: "issue" },
  "GET /api/v1/certificates": { permission: "read" },
  "GET /api/v1/certificates/:serial": { permission: "read" },
  "POST /api/v1/certificates/:serial/revoke": { permission: "revoke" },
  "GET /acme/directory": ACME_JWS,
  "GET /acme/terms": ACME_JWS,
  "GET /acme/new-nonce": ACME_JWS,
  "POST /acme/new-account": ACME_JWS,
  "POST /acme/account/:id": ACME_JWS,
  "POST /acme/account/:id/orders": ACME_JWS,
  "POST /acme/key-change": ACME_JWS,
  "POST /acme/new-order": ACME_JWS,
  "POST /acme/order/:id": ACME_JWS,
  "POST /acme/order/:id/finalize": ACME_JWS,
  "POST /acme/authz/:id": ACME_JWS,
  "POST /acme/chall/:id": ACME_JWS,
  "POST /acme/cert/:serial": ACME_JWS,
  "POST /acme/cert/:serial/:chain{[1-9][0-9]*}": ACME_JWS,
  "POST /acme/revoke-cert": ACME_JWS,
  "GET /acme/renewal-info/:id": { public: "RFC 9773: renewal information is fetched without authentication" },
  "ALL /dns-query": RELYING,
  "POST /ocsp": RELYING,
  "GET /ocsp/*": RELYING,
  "GET /crl/:file{[0-9a-f]+\\.crl}": RELYING,
  "GET /ca/:file{[0-9a-f]+\\.der}": RELYING,
  "POST /ct/v1/add-chain": { public: "RFC 6962 submissions are open to anyone" },
  "POST /ct/v1/add-pre-chain": { public: "RFC 6962 submissions are open to anyone" },
  "GET /ct/v1/get-roots": RELYING,
  "GET /ct/v1/get-sth": RELYING,
  "GET /ct/v1/get-sth-consistency": RELYING,
  "GET /ct/v1/get-proof-by-hash": RELYING,
  "GET /ct/v1/get-entries": RELYING,
  "GET /ct/v1/get-entry-and-proof": RELYING,
  "POST /:log/ct/v1/add-chain": { public: "RFC 6962 submissions are open to anyone" },
  "POST /:log/ct/v1/add-pre-chain": { public: "RFC 6962 submissions are open to anyone" },
  "GET /:log/ct/v1/get-roots": RELYING,
  "GET /:log/ct/v1/get-sth": RELYING,
  "GET /:log/ct/v1/get-sth-consistency": RELYING,
  "GET /:log/ct/v1/get-proof-by-hash": RELYING,
  "GET /:log/ct/v1/get-entries": RELYING,
  "GET /:log/ct/v1/get-entry-and-proof": RELYING,
  "GET /:log/checkpoint": RELYING,
  "GET /:log/tile/*": RELYING,
  "GET /:log/issuer/:fingerprint{[0-9a-f]{64}}": RELYING,
  "GET /:log/log.v3.json": RELYING,
  "POST /api/v1/admin/ca-backup": { permission: "admin" },
  "GET /api/v1/admin/ca-restore-key": { permission: "admin" },
  "POST /api/v1/admin/ca-restore": { permission: "admin" },
  "POST /api/v1/admin/ca-rotate": { permission: "admin" },
  "POST /api/v1/admin/acme-eab": { permission: "admin" },
  "GET /api/v1/certificates/:serial/quorum": { permission: "read" },
  "POST /consensus/validate_certificate": { public: "authenticated callers present their own credentials; anonymous ones pay proof of work" },
  "POST /consensus/validate_proofs": { public: "anyone may check a quorum certificate" },
  "GET /consensus/validation_status": RELYING,
  "POST /consensus/validators/:id/suspend": { permission: "admin" },
  "POST /consensus/validators/:id/resume": { permission: "admin" },
  "POST /consensus/validators/:id/release": { permission: "admin" },
  "GET /audit/key": RELYING,
  "GET /audit/lookup/:hash{[0-9a-f]{64}}": RELYING,
  "GET /audit/checkpoint": RELYING,
  "GET /audit/tile/*": RELYING,
};

/** The app's endpoints (not its middleware: `use` entries are ALL with a `next` parameter). */
function endpoints(): string[] {
  const seen = new Set<string>();
  for (const r of app.routes) {
    if (r.method === "ALL" && r.handler.length >= 2) continue;
    seen.add(`${r.method} ${r.path}`);
  }
  return [...seen];
}

/** A concrete path for a route pattern; zone routes name the demo zone unless deleting it. */
function concrete(method: string, pattern: string): string {
  const zone = method === "DELETE" && pattern === "/api/v1/zones/:zone" ? "absent-zone.test" : DEMO;
  return pattern
    .replace(":zone", zone)
    .replace(":name/:type", "www/TXT")
    .replace(":serial", "7f7f7f7f")
    .replace(":id", "0000000000000000")
    .replace(/:file\{[^}]*crl\}/, "00.crl")
    .replace(/:file\{[^}]*der\}/, "00.der")
    .replace(/:fingerprint\{[^}]*\}\}/, "0".repeat(64))
    .replace(/:hash\{[^}]*\}\}/, "0".repeat(64))
    .replace(/:chain\{[^}]*\}/, "1")
    .replace(":log", "trustchain-2026")
    .replace("*", "0/000");
}

function bodyFor(method: string, pattern: string): RequestInit {
  if (pattern.startsWith("/api/v1/dns01/")) {
    return { body: JSON.stringify({ fqdn: `_acme-challenge.roles.${DEMO}.`, value: "x".repeat(43) }), headers: { "content-type": "application/json" } };
  }
  if (method === "PUT" && pattern.endsWith(":type")) {
    return { body: JSON.stringify({ ttl: 60, records: ['"roles"'] }), headers: { "content-type": "application/json" } };
  }
  return method === "GET" || method === "DELETE" ? {} : { body: "{}", headers: { "content-type": "application/json" } };
}

const ROLES: Role[] = ["admin", "issuer", "revoker", "reader", `zone:${DEMO}`, "zone:other.test"];

function allowed(access: Access, role: Role): boolean {
  if ("anyToken" in access) return true;
  if ("zone" in access) return role === "admin" || (access.zone === "editor" && role === `zone:${DEMO}`);
  if ("permission" in access) {
    const p = access.permission;
    if (role === "admin") return true;
    if (p === "read") return role === "reader" || role === "issuer" || role === "revoker";
    return (p === "issue" && role === "issuer") || (p === "revoke" && role === "revoker");
  }
  return true;
}

describe("roles on every route", () => {
  const routes = endpoints();

  it("every route declares its access", () => {
    const undeclared = routes.filter((r) => !(r in ACCESS));
    expect(undeclared).toEqual([]);
    expect(routes.length).toBeGreaterThan(50);
  });

  const guarded = routes.filter((r) => ACCESS[r] && !("public" in ACCESS[r]!));
  it.each(guarded)("%s: 401 without a token, 403 for the wrong role, through for the right one", async (route) => {
    const [method, pattern] = route.split(" ") as [string, string];
    const access = ACCESS[route]!;
    const path = concrete(method, pattern);

    const anonymous = await call(path, { method, ...bodyFor(method, pattern) });
    expect(anonymous.status, `${route} without a token`).toBe(401);
    expect(anonymous.headers.get("content-type")).toBe("application/problem+json");

    const bogus = await call(path, { method, ...bodyFor(method, pattern), token: "tc_" + "A".repeat(43) });
    expect(bogus.status, `${route} with an unknown token`).toBe(401);

    for (const role of ROLES) {
      const token = await mintToken(role);
      const res = await call(path, { method, ...bodyFor(method, pattern), token });
      if (allowed(access, role)) {
        expect([401, 403], `${route} as ${role} (${res.status}: ${await res.clone().text()})`).not.toContain(res.status);
      } else {
        expect(res.status, `${route} as ${role}`).toBe(403);
        expect(((await res.json()) as { type: string }).type).toBe("urn:ietf:params:acme:error:unauthorized");
      }
    }
  });

  const open = routes.filter((r) => ACCESS[r] && "public" in ACCESS[r]! && ACCESS[r] !== ACME_JWS);
  it.each(open)("%s is public: answered without a token", async (route) => {
    const [method, pattern] = route.split(" ") as [string, string];
    const res = await call(concrete(method, pattern), { method: method === "ALL" ? "PUT" : method, ...bodyFor(method, pattern) });
    expect([401, 403], `${route}: ${res.status}`).not.toContain(res.status);
  });

  it("an expired token and a revoked token are refused everywhere a token is needed", async () => {
    const admin = await mintToken("admin");
    const made = await call("/api/v1/tokens", { method: "POST", token: admin, body: JSON.stringify({ role: "reader", expires_in_days: 0.00002 }) });
    expect(made.status).toBe(201);
    const short = (await made.json()) as { token: string; id: string; expires_at: string };
    expect(Date.parse(short.expires_at) - Date.now()).toBeLessThan(3000);
    await new Promise((r) => setTimeout(r, 2100));
    expect((await call("/api/v1/certificates?name=a.example", { token: short.token })).status).toBe(401);

    const revoked = await mintToken("reader");
    expect((await call("/api/v1/certificates?name=a.example", { token: revoked })).status).toBe(200);
    const list = (await (await call("/api/v1/tokens", { token: admin })).json()) as { tokens: { id: string; role: string; revoked_at: string | null }[] };
    expect(JSON.stringify(list)).not.toContain(revoked); // never the secret
    const readers = list.tokens.filter((t) => t.role === "reader" && t.revoked_at === null);
    for (const t of readers) expect((await call(`/api/v1/tokens/${t.id}`, { method: "DELETE", token: admin })).status).toBe(204);
    expect((await call("/api/v1/certificates?name=a.example", { token: revoked })).status).toBe(401);
    expect((await call(`/api/v1/tokens/${readers[0]!.id}`, { method: "DELETE", token: admin })).status).toBe(404);
  });

  it("an admin creates a token through the API that then works for its role only", async () => {
    const admin = await mintToken("admin");
    const bad = await call("/api/v1/tokens", { method: "POST", token: admin, body: JSON.stringify({ role: "root" }) });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toBe("application/problem+json");
    const made = await call("/api/v1/tokens", { method: "POST", token: admin, body: JSON.stringify({ role: "revoker", label: "ops test" }) });
    expect(made.status).toBe(201);
    const t = (await made.json()) as { token: string; role: string; label: string };
    expect(t).toMatchObject({ role: "revoker", label: "ops test" });
    expect((await call("/api/v1/tokens", { token: t.token })).status).toBe(403);
    expect((await call("/api/v1/certificates/7f7f7f7f/revoke", { method: "POST", token: t.token })).status).toBe(404);
  });
});
