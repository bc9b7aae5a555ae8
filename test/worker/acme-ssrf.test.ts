// The http-01 SSRF guard through the Worker in its default "resolver" mode (wrangler.toml): an
// IP identifier at loopback, and a name whose zone publishes a private address, fail with
// `connection` before any request is made; the authorization becomes invalid.

import { beforeAll, describe, expect, it } from "vitest";
import { AcmeClient, BASE, type AuthzJson, type OrderJson } from "../support/acme-client.ts";
import { call, mintToken } from "../support/worker-helpers.ts";

const ZONE = "acme-ssrf.test";
let client: AcmeClient;

beforeAll(async () => {
  const admin = await mintToken("admin");
  const json = (method: string, body: unknown) => ({ method, token: admin, body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  expect((await call("/api/v1/zones", json("POST", { name: ZONE }))).status).toBe(201);
  expect((await call(`/api/v1/zones/${ZONE}/rrsets/intranet.${ZONE}/A`, json("PUT", { ttl: 60, records: ["10.0.0.7"] }))).status).toBe(200);
  client = await AcmeClient.create();
  await client.register();
});

async function http01(identifier: { type: string; value: string }): Promise<{ status: string; error?: { type: string; detail: string } }> {
  const o = (await (await client.post(`${BASE}/acme/new-order`, { identifiers: [identifier] })).json()) as OrderJson;
  const authz = (await (await client.post(o.authorizations[0]!, "")).json()) as AuthzJson;
  const ch = authz.challenges.find((c) => c.type === "http-01")!;
  return (await (await client.post(ch.url, {})).json()) as { status: string; error?: { type: string; detail: string } };
}

describe("http-01 never reaches private addresses in resolver mode", () => {
  for (const value of ["::1", "127.0.0.1", "fd12:3456::1", "169.254.169.254"]) {
    it(`refuses the IP identifier ${value}`, async () => {
      const r = await http01({ type: "ip", value });
      expect(r.status).toBe("invalid");
      expect(r.error?.type).toBe("urn:ietf:params:acme:error:connection");
    });
  }

  it("refuses a name whose zone publishes a private address", async () => {
    const r = await http01({ type: "dns", value: `intranet.${ZONE}` });
    expect(r.status).toBe("invalid");
    expect(r.error?.type).toBe("urn:ietf:params:acme:error:connection");
    expect(r.error?.detail).toContain("10.0.0.7");
  });
});
