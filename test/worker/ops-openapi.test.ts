// The OpenAPI document covers every /api/v1 route the app has (and no route it lacks), and bodies
// that do not match their schemas get problem documents. (Validation against the OpenAPI 3.1
// JSON schema runs in Node: test/e2e/ops-dashboard.test.ts.)

import { describe, expect, it } from "vitest";
import { app } from "../../workers/index.ts";
import { call, mintToken } from "../support/worker-helpers.ts";

const METHODS = ["get", "post", "put", "delete", "patch"] as const;

describe("/api/v1/openapi.json", () => {
  it("documents exactly the app's /api/v1 routes", async () => {
    const res = await call("/api/v1/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe("3.1.0");
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => METHODS.filter((m) => m in ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`))
      .sort();
    const routes = [
      ...new Set(app.routes.filter((r) => r.path.startsWith("/api/v1") && !(r.method === "ALL" && r.handler.length >= 2)).map((r) => `${r.method} ${r.path}`)),
    ].sort();
    expect(documented).toEqual(routes);
  });

  it("bodies that do not match their schema get a problem document naming the field", async () => {
    const admin = await mintToken("admin");
    const cases: [string, string, unknown][] = [
      ["POST", "/api/v1/tokens", { role: "reader", expires_in_days: "soon" }],
      ["POST", "/api/v1/tokens", { role: "superuser" }],
      ["POST", "/api/v1/zones", { name: 42 }],
      ["PUT", "/api/v1/zones/trustchain.test/rrsets/www/A", { ttl: -1, records: ["192.0.2.1"] }],
      ["POST", "/api/v1/zones/trustchain.test/dnssec/rollover", { step: "explode" }],
      ["POST", "/api/v1/dns01/present", { fqdn: 1 }],
      ["POST", "/api/v1/certificates/01/revoke", { reason: true }],
    ];
    for (const [method, path, body] of cases) {
      const token = path.includes("revoke") ? await mintToken("revoker") : admin;
      const r = await call(path, { method, token, body: JSON.stringify(body), headers: { "content-type": "application/json" } });
      expect(r.status, `${method} ${path}`).toBe(400);
      expect(r.headers.get("content-type")).toBe("application/problem+json");
      const p = (await r.json()) as { type: string; detail: string };
      expect(p.type).toBe("urn:ietf:params:acme:error:malformed");
      expect(p.detail).toContain("does not match its schema");
    }
  });
});
