// Fuzzing the ACME JWS and JSON parsers: malformed envelopes, headers of the wrong shape, and
// validly signed requests with random payloads. Every answer is a 4xx problem document, never 5xx.

import { beforeAll, describe, expect, it } from "vitest";
import { AcmeClient, BASE, b64u, postRaw } from "../support/acme-client.ts";

// A deterministic generator, so a failure is repeatable.
let seed = 0x5eed1234;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

function randomValue(depth = 0): unknown {
  const leaves: (() => unknown)[] = [
    () => null,
    () => rand() < 0.5,
    () => Math.floor(rand() * 2 ** 40) * (rand() < 0.5 ? -1 : 1),
    () => 1e308 * 10,
    () => "",
    () => "x".repeat(Math.floor(rand() * 300)),
    () => pick(["dns", "ip", "*.", "*.*.a.test", "é.test", "::1", "1.2.3.4", "mailto:a@b.c", "deactivated", "\u0000", "a..b"]),
  ];
  if (depth > 3 || rand() < 0.5) return pick(leaves)();
  if (rand() < 0.5) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(depth + 1));
  const keys = ["identifiers", "type", "value", "csr", "certificate", "reason", "contact", "termsOfServiceAgreed", "onlyReturnExisting", "status", "notBefore", "__proto__", "constructor", "externalAccountBinding", "replaces", "protected", "payload", "signature", "alg", "kid", "url"];
  return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, () => [pick(keys), randomValue(depth + 1)]));
}

function mutate(s: string): string {
  const i = Math.floor(rand() * (s.length + 1));
  switch (Math.floor(rand() * 4)) {
    case 0:
      return s.slice(0, i);
    case 1:
      return s.slice(0, i) + String.fromCharCode(Math.floor(rand() * 256)) + s.slice(i + 1);
    case 2:
      return s.slice(0, i) + s.slice(i + 1 + Math.floor(rand() * 8));
    default:
      return s.slice(0, i) + pick(['"', "{", "}", "[", ",", ".", "=", "\\u0000", "null"]) + s.slice(i);
  }
}

describe("ACME parsers under fuzzing", { timeout: 60_000 }, () => {
  let client: AcmeClient;
  let orderFinalize: string;
  beforeAll(async () => {
    client = await AcmeClient.create();
    await client.register();
    const r = await client.post(`${BASE}/acme/new-order`, { identifiers: [{ type: "dns", value: "fuzz.acme-fuzz.test" }] });
    orderFinalize = ((await r.json()) as { finalize: string }).finalize;
  });

  const endpoints = () => [`${BASE}/acme/new-account`, `${BASE}/acme/new-order`, client.kid!, orderFinalize, `${BASE}/acme/authz/x`, `${BASE}/acme/chall/x`, `${BASE}/acme/cert/01`, `${BASE}/acme/revoke-cert`, `${BASE}/acme/key-change`];

  it("mutated envelopes and headers never cause a 5xx", async () => {
    for (let i = 0; i < 150; i++) {
      const url = pick(endpoints());
      const valid = await client.sign(url, rand() < 0.3 ? "" : randomValue(), { nonce: "bm9uY2U" });
      let body: string;
      const kind = i % 3;
      if (kind === 0) body = mutate(mutate(valid));
      else if (kind === 1) body = JSON.stringify(randomValue());
      else {
        // A well-formed envelope around a random protected header.
        const header = rand() < 0.5 ? randomValue() : { alg: pick(["ES256", "RS256", "EdDSA", "none", "HS256", 7]), nonce: randomValue(), url: rand() < 0.5 ? url : randomValue(), jwk: randomValue(), kid: randomValue() };
        body = JSON.stringify({ protected: b64u(JSON.stringify(header)), payload: b64u(JSON.stringify(randomValue())), signature: b64u(crypto.getRandomValues(new Uint8Array(Math.floor(rand() * 100)))) });
      }
      const r = await postRaw(url, body);
      expect(r.status, `${url} ${body.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${url} ${body.slice(0, 200)}`).toBeLessThan(500);
      expect(r.headers.get("content-type")).toBe("application/problem+json");
    }
  });

  it("validly signed requests with random payloads never cause a 5xx", async () => {
    for (let i = 0; i < 120; i++) {
      const url = pick(endpoints());
      const r = await client.post(url, randomValue(), url.endsWith("new-account") ? { jwk: true } : {});
      expect(r.status, `${url}`).toBeLessThan(500);
    }
  });

  it("random externalAccountBinding, replaces and renewal-info certIDs never cause a 5xx", async () => {
    const { call } = await import("../support/worker-helpers.ts");
    for (let i = 0; i < 30; i++) {
      const fresh = await AcmeClient.create();
      const header = rand() < 0.5 ? randomValue() : { alg: pick(["HS256", "HS512", "ES256", 3]), kid: randomValue(), url: rand() < 0.5 ? `${BASE}/acme/new-account` : randomValue(), nonce: rand() < 0.2 ? "x" : undefined };
      const eab = rand() < 0.3 ? randomValue() : { protected: b64u(JSON.stringify(header)), payload: rand() < 0.5 ? b64u(JSON.stringify(fresh.jwk)) : b64u(JSON.stringify(randomValue())), signature: b64u(crypto.getRandomValues(new Uint8Array(Math.floor(rand() * 64)))) };
      const r = await fresh.post(`${BASE}/acme/new-account`, { termsOfServiceAgreed: true, externalAccountBinding: eab });
      expect(r.status).toBeLessThan(500);
    }
    for (let i = 0; i < 30; i++) {
      const replaces = rand() < 0.5 ? randomValue() : `${b64u(crypto.getRandomValues(new Uint8Array(Math.floor(rand() * 24))))}.${b64u(crypto.getRandomValues(new Uint8Array(Math.floor(rand() * 20))))}`;
      const r = await client.post(`${BASE}/acme/new-order`, { identifiers: [{ type: "dns", value: "fuzz.acme-fuzz.test" }], replaces });
      expect(r.status).toBeLessThan(500);
    }
    for (let i = 0; i < 60; i++) {
      const id = mutate(`${b64u(crypto.getRandomValues(new Uint8Array(20)))}.${b64u(crypto.getRandomValues(new Uint8Array(1 + Math.floor(rand() * 20))))}`);
      const r = await call(`/acme/renewal-info/${encodeURIComponent(id)}`);
      expect(r.status, id).toBeLessThan(500);
      expect([200, 400, 404]).toContain(r.status);
    }
  });

  it("refuses to decode a revoked certificate of thousands of ASN.1 elements", async () => {
    // 900 RDNs (7,000 elements, under asn1js's own limit of 10,000): decoding and mapping them
    // took tens of milliseconds of CPU before the serial was found not to be ours (404).
    const { x509 } = await import("../../src/x509/peculiar.ts");
    const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
    const keys = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: "01",
      subject: Array.from({ length: 900 }, (_, i) => `CN=n${i}`).join(", "),
      issuer: "CN=issuer",
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000),
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      signingAlgorithm: alg,
    });
    const r = await client.post(`${BASE}/acme/revoke-cert`, { certificate: b64u(new Uint8Array(cert.rawData)) });
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    const p = (await r.json()) as { type: string; detail: string };
    expect(p.type).toBe("urn:ietf:params:acme:error:malformed");
    expect(p.detail).toContain("ASN.1 elements");
  });
});
