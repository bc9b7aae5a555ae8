// Bad requests get specific problem documents and change nothing in D1 or R2.

import { env } from "cloudflare:test";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { call, countRows, csrForKeys, makeCsr, mintToken } from "../support/worker-helpers.ts";
import { fermatWeakKey, rocaKey } from "../support/weak-rsa-keys.ts";

let issuer: string;
let before: { certs: number; names: number; blobs: string[] };

async function blobKeys(): Promise<string[]> {
  return (await env.BLOBS.list()).objects.map((o) => `${o.key}@${o.etag}`).sort();
}

beforeAll(async () => {
  issuer = await mintToken("issuer");
  await call("/api/v1/ca"); // the CA bootstraps (and publishes its first CRLs) before we snapshot R2
});

beforeEach(async () => {
  before = { certs: await countRows("certificates"), names: await countRows("certificate_names"), blobs: await blobKeys() };
});

afterEach(async () => {
  expect(await countRows("certificates")).toBe(before.certs);
  expect(await countRows("certificate_names")).toBe(before.names);
  expect(await blobKeys()).toEqual(before.blobs);
});

async function post(body: BodyInit, opts: { token?: string; type?: string } = {}) {
  const res = await call("/api/v1/certificates", {
    method: "POST",
    body,
    token: opts.token ?? issuer,
    headers: { "content-type": opts.type ?? "application/pkcs10" },
  });
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return { status: res.status, problem: (await res.json()) as { type: string; detail: string; subproblems?: unknown[] } };
}

const ACME = "urn:ietf:params:acme:error:";

describe("authentication", () => {
  it("refuses a missing token", async () => {
    const csr = await makeCsr("p256", ["ok.example.com"]);
    const r = await call("/api/v1/certificates", { method: "POST", body: csr.der });
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toContain("Bearer");
    expect(((await r.json()) as { type: string }).type).toBe(`${ACME}unauthorized`);
  });
  it("refuses an unknown token", async () => {
    const csr = await makeCsr("p256", ["ok.example.com"]);
    const { status, problem } = await post(csr.der, { token: "tc_not-a-real-token" });
    expect(status).toBe(401);
    expect(problem.detail).toContain("unknown");
  });
  it("refuses a token whose role may not issue", async () => {
    const csr = await makeCsr("p256", ["ok.example.com"]);
    const { status, problem } = await post(csr.der, { token: await mintToken("reader") });
    expect(status).toBe(403);
    expect(problem.type).toBe(`${ACME}unauthorized`);
  });
});

describe("CSR and key problems", () => {
  it("garbage and empty bodies", async () => {
    expect((await post(new Uint8Array([1, 2, 3, 4]))).problem.type).toBe(`${ACME}badCSR`);
    expect((await post(new Uint8Array([0x30, 0x82, 0xff, 0xff, 0]))).problem.type).toBe(`${ACME}badCSR`);
    expect((await post("")).problem.type).toBe(`${ACME}malformed`);
    expect((await post("not json", { type: "application/json" })).problem.type).toBe(`${ACME}malformed`);
    expect((await post('{"csr": 5}', { type: "application/json" })).problem.type).toBe(`${ACME}malformed`);
    expect((await post("-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n", { type: "text/plain" })).problem.type).toBe(`${ACME}badCSR`);
  });

  it("a CSR whose signature is broken", async () => {
    const csr = await makeCsr("p256", ["ok.example.com"]);
    const broken = csr.der.slice();
    broken[broken.length - 5]! ^= 0x01;
    const { status, problem } = await post(broken);
    expect(status).toBe(400);
    expect(problem.type).toBe(`${ACME}badCSR`);
    expect(problem.detail).toMatch(/signature|well-formed/);
  });

  it("RSA-1024", async () => {
    const keys = (await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const csr = await csrForKeys(keys, { name: "RSASSA-PKCS1-v1_5" }, ["ok.example.com"]);
    const { problem } = await post(csr.der);
    expect(problem.type).toBe(`${ACME}badCSR`);
    expect(problem.detail).toContain("1024 bits; at least 2048");
  });

  it("an RSA key with a 60 KB public exponent is refused with a short reason", async () => {
    // The reason printed the exponent in decimal: 144,000 digits (30 ms) in the problem document.
    const { bitString, oid, sequence, tlv, unsignedInteger } = await import("../../src/encoding/der-writer.ts");
    const modulus = crypto.getRandomValues(new Uint8Array(256));
    modulus[0] = 0xc1;
    const rsaKey = sequence(unsignedInteger(modulus), unsignedInteger(new Uint8Array(60_000).fill(0xff)));
    const spki = sequence(sequence(oid("1.2.840.113549.1.1.1"), tlv(0x05)), bitString(rsaKey));
    const info = sequence(unsignedInteger(Uint8Array.of(0)), sequence(), spki, tlv(0xa0));
    const csr = sequence(info, sequence(oid("1.2.840.113549.1.1.11"), tlv(0x05)), bitString(new Uint8Array(256)));
    const { status, problem } = await post(csr);
    expect(status).toBe(400);
    expect(problem.type).toBe(`${ACME}badCSR`);
    expect(problem.detail).toBe("RSA public exponent must be 65537, got a 480000-bit number");
  });

  it("an unsupported curve (P-521)", async () => {
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-521" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const csr = await csrForKeys(keys, { name: "ECDSA", hash: "SHA-512" } as SubtleCryptoSignAlgorithm, ["ok.example.com"]);
    const { problem } = await post(csr.der);
    expect(problem.type).toBe(`${ACME}badCSR`);
    expect(problem.detail).toContain("unsupported elliptic curve 1.3.132.0.35");
  });

  it("an RSA key whose primes are too close (Fermat)", async () => {
    const csr = await csrForKeys(await fermatWeakKey(), { name: "RSASSA-PKCS1-v1_5" }, ["ok.example.com"]);
    const { problem } = await post(csr.der);
    expect(problem.type).toBe(`${ACME}badCSR`);
    expect(problem.detail).toContain("Fermat");
  });

  it("an RSA key with the ROCA structure", async () => {
    const csr = await csrForKeys(await rocaKey(), { name: "RSASSA-PKCS1-v1_5" }, ["ok.example.com"]);
    const { problem } = await post(csr.der);
    expect(problem.type).toBe(`${ACME}badCSR`);
    expect(problem.detail).toContain("ROCA");
  }, 60_000);
});

describe("name problems", () => {
  it.each([
    ["a..b"],
    ["*.*.x"],
    ["-x.com"],
    [`${"a".repeat(64)}.example.com`],
    [`${"abcdefghi.".repeat(25)}abcd`],
  ])("rejects %s", async (name) => {
    const csr = await makeCsr("p256", [name]);
    const { status, problem } = await post(csr.der);
    expect(status).toBe(400);
    expect(problem.type).toBe(`${ACME}rejectedIdentifier`);
    expect(problem.subproblems).toHaveLength(1);
  });

  it("rejects an IP address written as a DNS name", async () => {
    const { x509 } = await import("../../src/x509/peculiar.ts");
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: "",
      keys,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } as SubtleCryptoSignAlgorithm,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "192.0.2.1" }])],
    });
    const { problem } = await post(new Uint8Array(csr.rawData));
    expect(problem.type).toBe(`${ACME}rejectedIdentifier`);
    expect(problem.detail).toContain("IP address");
  });

  it("rejects too many names", async () => {
    const names = Array.from({ length: 101 }, (_, i) => `n${i}.example.com`);
    const { problem } = await post((await makeCsr("p256", names)).der);
    expect(problem.type).toBe(`${ACME}rejectedIdentifier`);
    expect(problem.detail).toContain("at most 100");
  });

  it("refuses a CSR of thousands of names before decoding them, in a small problem document", async () => {
    // 5,000 one-label names (34 KiB): decoding them took 100–250 ms of CPU and the answer listed
    // every one of them (a 1 MB problem document).
    const csr = await makeCsr("p256", Array.from({ length: 5000 }, (_, i) => `x${i % 10}`));
    const { status, problem } = await post(csr.der);
    expect(status).toBe(400);
    expect(problem.type).toBe(`${ACME}badCSR`);
    expect(problem.detail).toContain("ASN.1 elements");
    expect(JSON.stringify(problem).length).toBeLessThan(1000);
  });

  it("lists at most 20 of many invalid names", async () => {
    const { status, problem } = await post((await makeCsr("p256", Array.from({ length: 150 }, (_, i) => `single${i}`))).der);
    expect(status).toBe(400);
    expect(problem.type).toBe(`${ACME}rejectedIdentifier`);
    expect(problem.subproblems).toHaveLength(20);
    expect(problem.detail).toContain("150 invalid identifier(s)");
    expect(problem.detail).toContain("and 130 more");
  });

  it("rejects a CN that is not among the SANs", async () => {
    const { problem } = await post((await makeCsr("p256", ["a.example.com"], { cn: "b.example.com" })).der);
    expect(problem.type).toBe(`${ACME}badCSR`);
  });
});

describe("size and routing", () => {
  it("oversized bodies get 413", async () => {
    const { status } = await post(new Uint8Array(200_000));
    expect(status).toBe(413);
  });
  it("unknown profiles and revocation reasons", async () => {
    const csr = await makeCsr("p256", ["ok.example.com"]);
    const r = await call("/api/v1/certificates?profile=forever", { method: "POST", body: csr.der, token: issuer });
    expect(r.status).toBe(400);
    const rev = await call("/api/v1/certificates/4000/revoke", {
      method: "POST",
      body: JSON.stringify({ reason: "certificateHold" }),
      token: await mintToken("revoker"),
    });
    expect(((await rev.json()) as { type: string }).type).toBe(`${ACME}badRevocationReason`);
  });
  it("revoking an unknown serial is 404", async () => {
    const rev = await call("/api/v1/certificates/7fffffff/revoke", { method: "POST", token: await mintToken("revoker") });
    expect(rev.status).toBe(404);
  });
});
