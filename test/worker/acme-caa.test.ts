// CAA at finalize (RFC 8659, RFC 8657) through the Worker: names in a zone we host whose CAA
// records forbid us, name another account, allow another validation method, or carry a critical
// tag we do not know are refused with `caa` and no certificate; a matching record (also found by
// climbing to the zone apex) lets issuance go ahead.

import { beforeAll, describe, expect, it } from "vitest";
import { AcmeClient, b64u, newOrder, validateDns } from "../support/acme-client.ts";
import { call, countRows, makeCsr, mintToken } from "../support/worker-helpers.ts";

const ZONE = "acme-caa.test";
let admin: string;
let client: AcmeClient;

const json = (body: unknown) => ({ method: "PUT", token: admin, body: JSON.stringify(body), headers: { "content-type": "application/json" } });
const present = (body: unknown) => call("/api/v1/dns01/present", { ...json(body), method: "POST" });

async function setCaa(name: string, records: string[]) {
  const r = await call(`/api/v1/zones/${ZONE}/rrsets/${name}/CAA`, json({ ttl: 60, records }));
  expect(r.status, await r.text()).toBe(200);
}

/** Orders, validates with dns-01 and finalizes; returns the finalize response. */
async function issue(names: string[]): Promise<Response> {
  const { order } = await newOrder(client, names);
  const keyAuth = async (token: string) => `${token}.${await client.thumbprint()}`;
  const authzs = await validateDns(client, order, keyAuth, present);
  expect(authzs.every((a) => a.status === "valid")).toBe(true);
  const csr = await makeCsr("p256", names);
  return client.post(order.finalize, { csr: b64u(csr.der) });
}

async function refusedWithCaa(names: string[], detail: RegExp) {
  const before = await countRows("certificates");
  const r = await issue(names);
  expect(r.status).toBe(403);
  const p = (await r.json()) as { type: string; detail: string };
  expect(p.type).toBe("urn:ietf:params:acme:error:caa");
  expect(p.detail).toMatch(detail);
  expect(await countRows("certificates")).toBe(before);
}

beforeAll(async () => {
  admin = await mintToken("admin");
  const r = await call("/api/v1/zones", { ...json({ name: ZONE }), method: "POST" });
  expect(r.status).toBe(201);
  client = await AcmeClient.create();
  await client.register();
  // The apex allows us for names but nobody for wildcards.
  await setCaa(ZONE, ['0 issue "trustchain.test"', '0 issuewild ";"']);
});

describe("CAA before issuance", () => {
  it("refuses a name whose CAA names another CA", async () => {
    await setCaa(`other.${ZONE}`, ['0 issue "other-ca.example"', '0 iodef "mailto:sec@example.com"']);
    await refusedWithCaa([`other.${ZONE}`], /other\.acme-caa\.test\. forbid/);
  });

  it("refuses when accounturi names another account, and issues when it names this one", async () => {
    const name = `acct.${ZONE}`;
    await setCaa(name, [`0 issue "trustchain.test; accounturi=http://trustchain.test/acme/account/someone-else"`]);
    await refusedWithCaa([name], /accounturi/);
    await setCaa(name, [`0 issue "trustchain.test; accounturi=${client.kid}"`]);
    // The authorization is reused and the order is ready at once.
    expect((await issue([name])).status).toBe(200);
  });

  it("refuses when validationmethods does not include the method that validated the name", async () => {
    const name = `method.${ZONE}`;
    await setCaa(name, ['0 issue "trustchain.test; validationmethods=http-01"']);
    await refusedWithCaa([name], /validationmethods/);
    await setCaa(name, ['0 issue "trustchain.test; validationmethods=http-01,dns-01"']);
    expect((await issue([name])).status).toBe(200);
  });

  it("refuses on a critical property it does not understand", async () => {
    const name = `crit.${ZONE}`;
    await setCaa(name, ['0 issue "trustchain.test"', '128 futuretag "x"']);
    await refusedWithCaa([name], /critical/);
  });

  it("climbs to the apex: names are allowed there, wildcards forbidden by issuewild", async () => {
    expect((await issue([`www.${ZONE}`])).status).toBe(200);
    await refusedWithCaa([`*.${ZONE}`], /issuewild/);
  });
});
