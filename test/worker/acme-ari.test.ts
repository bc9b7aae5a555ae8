// ACME Renewal Information (RFC 9773) through the Worker: the directory's renewalInfo, the
// suggested window for a certificate named by its certID (computed here from the certificate,
// independently of src/acme), Retry-After, a window in the past once revoked, and newOrder's
// `replaces` (accepted once; refused for another account, for unrelated names, when malformed).

import { beforeAll, describe, expect, it } from "vitest";
import { x509 } from "../../src/x509/peculiar.ts";
import { AcmeClient, BASE, type OrderJson, b64u, newOrder, validateDns } from "../support/acme-client.ts";
import { call, makeCsr, mintToken } from "../support/worker-helpers.ts";

const ZONE = "acme-ari.test";
let admin: string;
let client: AcmeClient;
let leaf: x509.X509Certificate;
let certId: string;

const hexBytes = (hex: string) => new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));
const E = (t: string) => `urn:ietf:params:acme:error:${t}`;
const post = (path: string, body: unknown) => call(path, { method: "POST", token: admin, body: JSON.stringify(body), headers: { "content-type": "application/json" } });

beforeAll(async () => {
  admin = await mintToken("admin");
  expect((await post("/api/v1/zones", { name: ZONE })).status).toBe(201);
  client = await AcmeClient.create();
  await client.register();
  const { order } = await newOrder(client, [`www.${ZONE}`]);
  await validateDns(client, order, async (t) => `${t}.${await client.thumbprint()}`, (b) => post("/api/v1/dns01/present", b));
  const csr = await makeCsr("p256", [`www.${ZONE}`]);
  const done = (await (await client.post(order.finalize, { csr: b64u(csr.der) })).json()) as OrderJson;
  const pem = await (await client.post(done.certificate!, "")).text();
  leaf = new x509.X509Certificate(pem.split(/(?=-----BEGIN)/)[0]!);
  // RFC 9773 §4.1: base64url(AKI keyIdentifier) "." base64url(serial INTEGER contents).
  const aki = leaf.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId!;
  certId = `${b64u(hexBytes(aki))}.${b64u(hexBytes(leaf.serialNumber))}`;
});

describe("renewalInfo (RFC 9773 §4)", () => {
  it("is in the directory and suggests a window inside the validity, with Retry-After", async () => {
    const dir = (await (await call("/acme/directory")).json()) as { renewalInfo: string };
    expect(dir.renewalInfo).toBe(`${BASE}/acme/renewal-info`);
    const r = await call(`/acme/renewal-info/${certId}`);
    expect(r.status).toBe(200);
    const retry = Number(r.headers.get("retry-after"));
    expect(retry).toBeGreaterThanOrEqual(60);
    expect(retry).toBeLessThanOrEqual(21600);
    const body = (await r.json()) as { suggestedWindow: { start: string; end: string } };
    const start = Date.parse(body.suggestedWindow.start);
    const end = Date.parse(body.suggestedWindow.end);
    expect(start).toBeLessThan(end);
    expect(start).toBeGreaterThan(leaf.notBefore.getTime());
    expect(end).toBeLessThan(leaf.notAfter.getTime());
  });

  it("answers 400 for a malformed certID and 404 for one we did not issue", async () => {
    expect((await call("/acme/renewal-info/not-a-cert-id")).status).toBe(400);
    const [aki] = certId.split(".");
    expect((await call(`/acme/renewal-info/${aki}.${b64u(hexBytes("7f0102030405060708"))}`)).status).toBe(404);
    // Right serial, another issuer's key identifier.
    expect((await call(`/acme/renewal-info/${b64u(new Uint8Array(20))}.${certId.split(".")[1]}`)).status).toBe(404);
  });
});

describe("newOrder replaces (RFC 9773 §5)", () => {
  it("refuses malformed, unrelated, and other accounts' replacements", async () => {
    const order = (ids: string[], replaces: unknown, who = client) => who.post(`${BASE}/acme/new-order`, { identifiers: ids.map((value) => ({ type: "dns", value })), replaces });
    const type = async (r: Response) => ((await r.json()) as { type: string }).type;
    expect(await type(await order([`www.${ZONE}`], "nope"))).toBe(E("malformed"));
    expect(await type(await order([`other.${ZONE}`], certId))).toBe(E("malformed"));
    const other = await AcmeClient.create();
    await other.register();
    const stranger = await order([`www.${ZONE}`], certId, other);
    expect(stranger.status).toBe(403);
    expect(await type(stranger)).toBe(E("unauthorized"));
  });

  it("accepts one replacement order and refuses a second with alreadyReplaced", async () => {
    const { order } = await newOrder(client, [`www.${ZONE}`], { replaces: certId });
    expect((order as OrderJson & { replaces?: string }).replaces).toBe(certId);
    const again = await client.post(`${BASE}/acme/new-order`, { identifiers: [{ type: "dns", value: `www.${ZONE}` }], replaces: certId });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { type: string }).type).toBe(E("alreadyReplaced"));
  });

  it("suggests renewing now once the certificate is revoked", async () => {
    const r = await client.post(`${BASE}/acme/revoke-cert`, { certificate: b64u(new Uint8Array(leaf.rawData)), reason: 4 });
    expect(r.status).toBe(200);
    const info = (await (await call(`/acme/renewal-info/${certId}`)).json()) as { suggestedWindow: { end: string } };
    expect(Date.parse(info.suggestedWindow.end)).toBeLessThan(Date.now());
  });
});
