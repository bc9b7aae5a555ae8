// The lego httpreq DNS-01 hook: present/cleanup in default and RAW mode, Basic auth with a zone
// token, two values coexisting at one name, and refusal outside the token's zone.

import { beforeAll, describe, expect, it } from "vitest";
import { dns01Value } from "../../src/dns/acme-challenge.ts";
import { buildQuery } from "../../src/dns/message.ts";
import { TYPE } from "../../src/dns/types.ts";
import { decoded, dohGet } from "../support/dns-helpers.ts";
import { call, mintToken } from "../support/worker-helpers.ts";

let zoneToken: string;

beforeAll(async () => {
  const admin = await mintToken("admin");
  for (const name of ["acme-a.test", "acme-b.test"]) {
    expect((await call("/api/v1/zones", { method: "POST", token: admin, body: JSON.stringify({ name }), headers: { "content-type": "application/json" } })).status).toBe(201);
  }
  zoneToken = await mintToken("zone:acme-a.test");
});

const hook = (action: "present" | "cleanup", body: unknown, password = zoneToken) =>
  call(`/api/v1/dns01/${action}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", authorization: `Basic ${btoa(`lego:${password}`)}` } });

async function txt(name: string): Promise<string[]> {
  const p = await decoded(await dohGet(buildQuery(name, TYPE.TXT, { id: 3 })));
  return p.answers.filter((a) => a.type === "TXT").map((a) => (a.data as Uint8Array[]).map((b) => new TextDecoder().decode(b)).join("")).sort();
}

describe("httpreq DNS-01 hook", () => {
  it("presents two values at one name and cleans them up one by one", async () => {
    const fqdn = "_acme-challenge.www.acme-a.test.";
    expect((await hook("present", { fqdn, value: "value-one" })).status).toBe(200);
    // RAW mode: the wildcard's challenge lands at the same name, with the digest computed here.
    const raw = await hook("present", { domain: "*.www.acme-a.test", token: "tok", keyAuth: "tok.thumbprint" });
    expect(raw.status).toBe(200);
    const computed = await dns01Value("tok.thumbprint");
    expect(computed).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(((await raw.json()) as { fqdn: string; value: string })).toMatchObject({ fqdn, value: computed });
    expect(await txt(fqdn)).toEqual([computed, "value-one"].sort());
    // Presenting the same value again is harmless.
    expect((await hook("present", { fqdn, value: "value-one" })).status).toBe(200);
    expect(await txt(fqdn)).toHaveLength(2);

    expect((await hook("cleanup", { fqdn, value: "value-one" })).status).toBe(200);
    expect(await txt(fqdn)).toEqual([computed]);
    expect((await hook("cleanup", { domain: "*.www.acme-a.test", token: "tok", keyAuth: "tok.thumbprint" })).status).toBe(200);
    expect(await txt(fqdn)).toEqual([]);
  });

  it("refuses other zones, missing auth and bad bodies", async () => {
    expect((await hook("present", { fqdn: "_acme-challenge.acme-b.test.", value: "x" })).status).toBe(403);
    expect((await hook("present", { fqdn: "_acme-challenge.unhosted.example.", value: "x" })).status).toBe(403);
    expect((await hook("present", { fqdn: "_acme-challenge.acme-a.test.", value: "x" }, "tc_wrong")).status).toBe(401);
    const anonymous = await call("/api/v1/dns01/present", { method: "POST", body: JSON.stringify({ fqdn: "_acme-challenge.acme-a.test.", value: "x" }) });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toContain("Basic");
    expect((await hook("present", { fqdn: "_acme-challenge.acme-a.test." })).status).toBe(400);
    expect((await hook("present", "nope")).status).toBe(400);
    expect((await hook("present", { fqdn: "bad..name", value: "x" })).status).toBe(400);
  });
});
