import { describe, expect, it } from "vitest";
import { x509 } from "../../src/x509/peculiar.ts";
import { type KeyAlg, call, csrForKeys, makeCsr, mintToken } from "../support/worker-helpers.ts";

describe("POST /api/v1/certificates", () => {
  it.each<KeyAlg>(["p256", "p384", "rsa2048", "ed25519"])("issues a chained leaf for a %s CSR", async (alg) => {
    const token = await mintToken("issuer");
    const csr = await makeCsr(alg, ["www.example.com", "example.com", "2001:db8::1"]);
    const res = await call("/api/v1/certificates", { method: "POST", body: csr.pem, token, headers: { "content-type": "application/x-pem-file" } });
    const body = (await res.json()) as Record<string, string>;
    expect(res.status, JSON.stringify(body)).toBe(201);
    const leaf = new x509.X509Certificate(body.certificate!);
    const ca = (await (await call("/api/v1/ca")).json()) as { root: { pem: string }; intermediates: { pem: string }[] };
    const inter = new x509.X509Certificate(ca.intermediates[0]!.pem);
    const root = new x509.X509Certificate(ca.root.pem);
    expect(await leaf.verify({ publicKey: inter.publicKey, signatureOnly: true })).toBe(true);
    expect(await inter.verify({ publicKey: root.publicKey, signatureOnly: true })).toBe(true);
    expect(leaf.issuer).toBe(inter.subject);
    const san = leaf.getExtension(x509.SubjectAlternativeNameExtension)!;
    expect(san.names.items.map((n) => n.value)).toEqual(["www.example.com", "example.com", "2001:db8::1"]);
    expect(leaf.notAfter.getTime() - leaf.notBefore.getTime()).toBe(24 * 3600 * 1000);
    expect(body.chain).toBe(body.certificate + ca.intermediates[0]!.pem);

    const got = await call(`/api/v1/certificates/${body.serial}`, { token });
    expect(got.status).toBe(200);
    const record = (await got.json()) as { status: string; certificate: string; names: string[] };
    expect(record.status).toBe("valid");
    expect(record.certificate).toBe(body.certificate);
    expect(record.names).toEqual(["dns:www.example.com", "dns:example.com", "ip:2001:db8::1"]);
    const der = await call(`/api/v1/certificates/${body.serial}?format=der`, { token });
    expect(new Uint8Array(await der.arrayBuffer())).toEqual(new Uint8Array(leaf.rawData));
    const found = (await (await call("/api/v1/certificates?name=2001:db8::1", { token })).json()) as { certificates: { serial: string }[] };
    expect(found.certificates.map((c) => c.serial)).toContain(body.serial);
  });
});

describe("CSR signature algorithms", () => {
  it("accepts RSASSA-PSS and ECDSA with a larger hash", async () => {
    const token = await mintToken("issuer");
    const pss = (await crypto.subtle.generateKey(
      { name: "RSA-PSS", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const ec = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    for (const [keys, alg] of [
      [pss, { name: "RSA-PSS", saltLength: 32 }],
      [ec, { name: "ECDSA", hash: "SHA-384" }],
    ] as const) {
      const csr = await csrForKeys(keys, alg as SubtleCryptoSignAlgorithm, ["alg.example.com"]);
      const res = await call("/api/v1/certificates", { method: "POST", body: csr.der, token });
      expect(res.status, await res.clone().text()).toBe(201);
    }
  });

  it("refuses SHA-1 signatures as unsupported", async () => {
    const token = await mintToken("issuer");
    const keys = (await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-1" },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const csr = await csrForKeys(keys, { name: "RSASSA-PKCS1-v1_5" }, ["sha1.example.com"]);
    const res = await call("/api/v1/certificates", { method: "POST", body: csr.der, token });
    const body = (await res.json()) as { type: string; detail: string };
    expect(res.status).toBe(400);
    expect(body.detail).toContain("unsupported CSR signature algorithm 1.2.840.113549.1.1.5");
  });
});
