// The ACME front door (RFC 8555) end to end inside workerd: directory and nonces, accounts with
// every supported JWS algorithm, an order for an apex + wildcard pair validated with dns-01
// against our own hosted zone (TXT published through the DNS-01 hook), finalize, download, and
// the refusals: replayed nonce, wrong url, another key, finalize too early, CSR names that differ,
// a wrong challenge response — none of which issues a certificate.

import { beforeAll, describe, expect, it } from "vitest";
import { x509 } from "../../src/x509/peculiar.ts";
import { type AuthzJson, AcmeClient, BASE, DIRECTORY, type OrderJson, b64u, newOrder, postRaw, validateDns } from "../support/acme-client.ts";
import { call, countRows, hostedZoneForTests, makeCsr, mintToken } from "../support/worker-helpers.ts";

const ZONE = "acme-flow.test";
const { admin, present } = hostedZoneForTests(ZONE);

async function problemType(r: Response): Promise<string> {
  expect(r.headers.get("content-type")).toBe("application/problem+json");
  expect(r.headers.get("replay-nonce")).toBeTruthy();
  return ((await r.json()) as { type: string }).type;
}

const E = (t: string) => `urn:ietf:params:acme:error:${t}`;

describe("ACME directory and nonces (RFC 8555 §7.1.1, §7.2)", () => {
  it("serves the directory with meta", async () => {
    const r = await call("/acme/directory");
    expect(r.status).toBe(200);
    const d = (await r.json()) as Record<string, unknown> & { meta: Record<string, unknown> };
    expect(d.newNonce).toBe(`${BASE}/acme/new-nonce`);
    expect(d.newAccount).toBe(`${BASE}/acme/new-account`);
    expect(d.newOrder).toBe(`${BASE}/acme/new-order`);
    expect(d.meta).toMatchObject({ termsOfService: `${BASE}/acme/terms`, externalAccountRequired: false, caaIdentities: ["trustchain.test"] });
    expect(typeof d.meta.website).toBe("string");
    expect((await call("/acme/terms")).status).toBe(200);
  });

  it("hands out fresh nonces on HEAD (200) and GET (204), never cached", async () => {
    const h = await call("/acme/new-nonce", { method: "HEAD" });
    const g = await call("/acme/new-nonce");
    expect(h.status).toBe(200);
    expect(g.status).toBe(204);
    for (const r of [h, g]) {
      expect(r.headers.get("replay-nonce")).toMatch(/^[A-Za-z0-9_-]{16,}$/);
      expect(r.headers.get("cache-control")).toBe("no-store");
      expect(r.headers.get("link")).toContain(`<${DIRECTORY}>;rel="index"`);
    }
    expect(h.headers.get("replay-nonce")).not.toBe(g.headers.get("replay-nonce"));
  });
});

describe("ACME accounts (§7.3)", () => {
  for (const alg of ["ES256", "ES384", "RS256", "EdDSA"] as const) {
    it(`registers, finds and reads an ${alg} account`, async () => {
      const client = await AcmeClient.create(alg);
      const r = await client.register();
      expect(r.status).toBe(201);
      expect(client.kid).toMatch(new RegExp(`^${BASE}/acme/account/`));
      expect(await r.json()).toMatchObject({ status: "valid", contact: ["mailto:test@example.com"] });
      // The same key again: the existing account, 200 (§7.3.1).
      const again = await client.post(`${BASE}/acme/new-account`, { onlyReturnExisting: true }, { jwk: true });
      expect(again.status).toBe(200);
      expect(again.headers.get("location")).toBe(client.kid);
      const read = await client.post(client.kid!, "");
      expect(read.status).toBe(200);
    });
  }

  it("refuses onlyReturnExisting for an unknown key, and a missing ToS agreement", async () => {
    const client = await AcmeClient.create();
    expect(await problemType(await client.post(`${BASE}/acme/new-account`, { onlyReturnExisting: true }))).toBe(E("accountDoesNotExist"));
    expect(await problemType(await client.post(`${BASE}/acme/new-account`, { contact: [] }))).toBe(E("userActionRequired"));
    expect(await problemType(await client.post(`${BASE}/acme/new-account`, { termsOfServiceAgreed: true, contact: ["tel:+1"] }))).toBe(E("malformed"));
  });

  it("updates contacts and deactivates; a deactivated account cannot act", async () => {
    const client = await AcmeClient.create();
    await client.register();
    const up = await client.post(client.kid!, { contact: ["mailto:new@example.com"] });
    expect(await up.json()).toMatchObject({ contact: ["mailto:new@example.com"] });
    const off = await client.post(client.kid!, { status: "deactivated" });
    expect(await off.json()).toMatchObject({ status: "deactivated" });
    expect(await problemType(await client.post(`${BASE}/acme/new-order`, { identifiers: [{ type: "dns", value: `x.${ZONE}` }] }))).toBe(E("unauthorized"));
  });
});

describe("ACME key change (§7.3.5)", () => {
  it("rolls the account key; the old key no longer signs, a taken key is refused", async () => {
    const client = await AcmeClient.create();
    await client.register();
    const url = `${BASE}/acme/key-change`;
    const next = await AcmeClient.create("EdDSA");
    const inner = JSON.parse(await next.sign(url, { account: client.kid, oldKey: client.jwk }, { jwk: true, noNonce: true })) as unknown;
    // An inner JWS with a nonce is refused.
    const withNonce = JSON.parse(await next.sign(url, { account: client.kid, oldKey: client.jwk }, { jwk: true })) as unknown;
    expect(await problemType(await client.post(url, withNonce))).toBe(E("malformed"));
    // oldKey must be the current key.
    const wrongOld = JSON.parse(await next.sign(url, { account: client.kid, oldKey: next.jwk }, { jwk: true, noNonce: true })) as unknown;
    expect(await problemType(await client.post(url, wrongOld))).toBe(E("unauthorized"));

    const r = await client.post(url, inner);
    expect(r.status).toBe(200);
    expect(r.headers.get("location")).toBe(client.kid);
    expect((await client.post(client.kid!, "")).status).toBe(403);
    next.kid = client.kid;
    expect((await next.post(client.kid!, "")).status).toBe(200);

    // A key another account holds: 409 with that account's URL.
    const third = await AcmeClient.create();
    await third.register();
    const taken = JSON.parse(await third.sign(url, { account: next.kid, oldKey: next.jwk }, { jwk: true, noNonce: true })) as unknown;
    const conflict = await next.post(url, taken);
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get("location")).toBe(third.kid);
  });
});

describe("ACME JWS checks (§6.2–§6.5)", () => {
  let client: AcmeClient;
  beforeAll(async () => {
    client = await AcmeClient.create();
    await client.register();
  });

  it("refuses a replayed nonce with badNonce, and an unknown one", async () => {
    const nonce = await client.nonce();
    expect((await client.post(client.kid!, "", { nonce })).status).toBe(200);
    const replay = await client.post(client.kid!, "", { nonce });
    expect(replay.status).toBe(400);
    expect(await problemType(replay)).toBe(E("badNonce"));
    expect(await problemType(await client.post(client.kid!, "", { nonce: "bm90LWEtbm9uY2U" }))).toBe(E("badNonce"));
  });

  it("refuses a JWS whose url is not the request URL", async () => {
    const r = await postRaw(client.kid!, await client.sign(client.kid!, "", { url: `${BASE}/acme/new-order` }));
    expect(r.status).toBe(401);
    expect(await problemType(r)).toBe(E("unauthorized"));
    // The same path on another origin is another URL.
    const other = await postRaw(client.kid!, await client.sign(client.kid!, "", { url: client.kid!.replace("http://", "https://") }));
    expect(await problemType(other)).toBe(E("unauthorized"));
  });

  it("refuses a JWS signed by another key than the account's", async () => {
    const intruder = await AcmeClient.create();
    const r = await intruder.post(client.kid!, "", { kid: client.kid! });
    expect(r.status).toBe(403);
    expect(await problemType(r)).toBe(E("unauthorized"));
  });

  it("applies the jwk/kid rules and the content type", async () => {
    expect(await problemType(await client.post(`${BASE}/acme/new-order`, { identifiers: [{ type: "dns", value: `a.${ZONE}` }] }, { jwk: true }))).toBe(E("malformed"));
    const body = await client.sign(client.kid!, "");
    expect((await postRaw(client.kid!, body, "application/json")).status).toBe(415);
    const unknown = await client.post(client.kid!, "", { kid: `${BASE}/acme/account/nope` });
    expect(await problemType(unknown)).toBe(E("accountDoesNotExist"));
  });
});

describe("ACME orders with dns-01 in our hosted zone (§7.4, §8.4)", () => {
  let client: AcmeClient;
  beforeAll(async () => {
    client = await AcmeClient.create();
    await client.register();
  });
  const keyAuth = async (token: string) => `${token}.${await client.thumbprint()}`;

  it("issues for an apex + wildcard pair and serves the chain", async () => {
    const before = await countRows("certificates");
    const { url, order } = await newOrder(client, [ZONE, `*.${ZONE}`]);
    expect(order.status).toBe("pending");
    expect(order.authorizations).toHaveLength(2);

    // Too early: the order is not ready.
    const early = await makeCsr("p256", [ZONE, `*.${ZONE}`]);
    const tooSoon = await client.post(order.finalize, { csr: b64u(early.der) });
    expect(tooSoon.status).toBe(403);
    expect(await problemType(tooSoon)).toBe(E("orderNotReady"));

    const authzs = await validateDns(client, order, keyAuth, present);
    expect(authzs.map((a) => a.status)).toEqual(["valid", "valid"]);
    // The wildcard's authorization offers dns-01 only (§7.1.3).
    const wild = authzs.find((a) => a.wildcard)!;
    expect(wild.identifier.value).toBe(ZONE);
    const ready = (await (await client.post(url, "")).json()) as OrderJson;
    expect(ready.status).toBe("ready");

    // CSR names that differ from the order: badCSR, and the order stays ready.
    const wrong = await makeCsr("p256", [ZONE, `www.${ZONE}`]);
    const bad = await client.post(order.finalize, { csr: b64u(wrong.der) });
    expect(await problemType(bad)).toBe(E("badCSR"));
    expect(await countRows("certificates")).toBe(before);

    const good = await client.post(order.finalize, { csr: b64u(early.der) });
    expect(good.status).toBe(200);
    const done = (await good.json()) as OrderJson;
    expect(done.status).toBe("valid");
    expect(done.certificate).toMatch(new RegExp(`^${BASE}/acme/cert/`));
    expect(await countRows("certificates")).toBe(before + 1);

    const cert = await client.post(done.certificate!, "");
    expect(cert.status).toBe(200);
    expect(cert.headers.get("content-type")).toBe("application/pem-certificate-chain");
    expect(cert.headers.get("link")).toMatch(/<http:\/\/trustchain\.test\/ca\/[0-9a-f]+\.der>;rel="up"/);
    const pem = await cert.text();
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!;
    expect(blocks).toHaveLength(2);
    const leaf = new x509.X509Certificate(blocks[0]!);
    const san = leaf.getExtension(x509.SubjectAlternativeNameExtension)!;
    expect(san.names.items.map((n) => n.value).sort()).toEqual([`*.${ZONE}`, ZONE].sort());
    expect(await leaf.verify({ publicKey: new x509.X509Certificate(blocks[1]!).publicKey, signatureOnly: true })).toBe(true);

    // Finalizing again: the order is no longer ready.
    expect(await problemType(await client.post(order.finalize, { csr: b64u(early.der) }))).toBe(E("orderNotReady"));
    // Another account cannot read this certificate, nor revoke it.
    const other = await AcmeClient.create();
    await other.register();
    expect((await other.post(done.certificate!, "")).status).toBe(404);
    const revokeUrl = `${BASE}/acme/revoke-cert`;
    const certB64 = b64u(new Uint8Array(leaf.rawData));
    expect(await problemType(await other.post(revokeUrl, { certificate: certB64 }))).toBe(E("unauthorized"));
    // Another key in "jwk" is not the certificate's key.
    expect(await problemType(await (await AcmeClient.create()).post(revokeUrl, { certificate: certB64 }))).toBe(E("unauthorized"));
    expect(await problemType(await client.post(revokeUrl, { certificate: certB64, reason: 6 }))).toBe(E("badRevocationReason"));

    // §7.6: the certificate's own key may revoke it.
    const certKey = await AcmeClient.fromKeys("ES256", early.keys);
    const revoked = await certKey.post(revokeUrl, { certificate: certB64, reason: 1 });
    expect(revoked.status).toBe(200);
    const status = (await (await call(`/api/v1/certificates/${leaf.serialNumber}`, { token: admin() })).json()) as { status: string; revocation_reason: string };
    expect(status).toMatchObject({ status: "revoked", revocation_reason: "keyCompromise" });
    expect(await problemType(await client.post(revokeUrl, { certificate: certB64 }))).toBe(E("alreadyRevoked"));
  });

  it("reuses the account's valid authorizations for a new order", async () => {
    const { order } = await newOrder(client, [ZONE]);
    expect(order.status).toBe("ready");
    // A different account must validate on its own.
    const other = await AcmeClient.create();
    await other.register();
    expect((await newOrder(other, [ZONE])).order.status).toBe("pending");
  });

  it("fails a wrong challenge response with incorrectResponse and issues nothing", async () => {
    const before = await countRows("certificates");
    const name = `wrong.${ZONE}`;
    const { url, order } = await newOrder(client, [name]);
    const authz = (await (await client.post(order.authorizations[0]!, "")).json()) as AuthzJson;
    expect(authz.challenges.map((c) => c.type).sort()).toEqual(["dns-01", "http-01"]);
    const ch = authz.challenges.find((c) => c.type === "dns-01")!;
    // The key authorization of another key.
    expect((await present({ domain: name, token: ch.token, keyAuth: `${ch.token}.not-this-account` })).status).toBe(200);
    const r = await client.post(ch.url, {});
    const body = (await r.json()) as { status: string; error: { type: string } };
    expect(body.status).toBe("invalid");
    expect(body.error.type).toBe(E("incorrectResponse"));
    const after = (await (await client.post(url, "")).json()) as OrderJson;
    expect(after.status).toBe("invalid");
    const csr = await makeCsr("p256", [name]);
    expect(await problemType(await client.post(order.finalize, { csr: b64u(csr.der) }))).toBe(E("orderNotReady"));
    expect(await countRows("certificates")).toBe(before);
  });

  it("refuses bad identifiers and keeps orders private", async () => {
    const post = (ids: unknown) => client.post(`${BASE}/acme/new-order`, { identifiers: ids });
    expect(await problemType(await post([]))).toBe(E("malformed"));
    expect(await problemType(await post([{ type: "dns", value: "bad..name" }]))).toBe(E("rejectedIdentifier"));
    expect(await problemType(await post([{ type: "email", value: "a@b.c" }]))).toBe(E("unsupportedIdentifier"));
    const ip = await post([{ type: "ip", value: "2001:db8::1" }]);
    expect(ip.status).toBe(201);
    const ipOrder = (await ip.json()) as OrderJson;
    const ipAuthz = (await (await client.post(ipOrder.authorizations[0]!, "")).json()) as AuthzJson;
    expect(ipAuthz.challenges.map((c) => c.type)).toEqual(["http-01"]);
    const other = await AcmeClient.create();
    await other.register();
    expect((await other.post(ipOrder.authorizations[0]!, "")).status).toBe(404);
    // §7.5.2: deactivating the authorization leaves its order invalid.
    const off = await client.post(ipOrder.authorizations[0]!, { status: "deactivated" });
    expect(((await off.json()) as AuthzJson).status).toBe("deactivated");
    const ordersUrl = `${client.kid}/orders`;
    const list = (await (await client.post(ordersUrl, "")).json()) as { orders: string[] };
    expect(list.orders.length).toBeGreaterThanOrEqual(4);
    const states = await Promise.all(list.orders.map(async (u) => ((await (await client.post(u, "")).json()) as OrderJson).status));
    expect(states).toContain("invalid");
    expect(states).toContain("valid");
  });
});
