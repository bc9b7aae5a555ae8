// Helpers for tests that run inside workerd: make keys and CSRs, mint API tokens, call the Worker.

import { SELF, env } from "cloudflare:test";
import { beforeAll, expect } from "vitest";
import { type Role, insertToken, newToken } from "../../src/auth/tokens.ts";
import { x509 } from "../../src/x509/peculiar.ts";

export type KeyAlg = "p256" | "p384" | "rsa2048" | "ed25519";

const ALGS: Record<KeyAlg, { gen: SubtleCryptoGenerateKeyAlgorithm; sign: SubtleCryptoSignAlgorithm }> = {
  p256: { gen: { name: "ECDSA", namedCurve: "P-256" }, sign: { name: "ECDSA", hash: "SHA-256" } },
  p384: { gen: { name: "ECDSA", namedCurve: "P-384" }, sign: { name: "ECDSA", hash: "SHA-384" } },
  rsa2048: {
    gen: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    sign: { name: "RSASSA-PKCS1-v1_5" },
  },
  ed25519: { gen: { name: "Ed25519" }, sign: { name: "Ed25519" } },
};

export async function makeCsr(alg: KeyAlg, names: string[], opts: { cn?: string } = {}): Promise<{ pem: string; der: Uint8Array; keys: CryptoKeyPair }> {
  const keys = (await crypto.subtle.generateKey(ALGS[alg].gen, true, ["sign", "verify"])) as CryptoKeyPair;
  return { ...(await csrForKeys(keys, ALGS[alg].sign, names, opts)), keys };
}

export async function csrForKeys(keys: CryptoKeyPair, signingAlgorithm: SubtleCryptoSignAlgorithm, names: string[], opts: { cn?: string } = {}) {
  const sanItems = names.map((n) => ({ type: /^[0-9.]+$|:/.test(n) ? ("ip" as const) : ("dns" as const), value: n }));
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: opts.cn ? `CN=${opts.cn}` : "",
    keys,
    signingAlgorithm,
    extensions: sanItems.length ? [new x509.SubjectAlternativeNameExtension(sanItems)] : [],
  });
  return { pem: csr.toString("pem"), der: new Uint8Array(csr.rawData) };
}

export async function mintToken(role: Role): Promise<string> {
  const t = await newToken();
  await insertToken(env.DB, { id: t.id, hash: t.hash, role, createdAt: Math.floor(Date.now() / 1000) });
  return t.token;
}

export function call(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  return SELF.fetch(`http://trustchain.test${path}`, { ...init, headers });
}

export async function countRows(table: "certificates" | "certificate_names"): Promise<number> {
  const r = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>();
  return r?.n ?? 0;
}

/**
 * A zone made for one test file with an admin token (in a beforeAll: call this at the top level),
 * and the DNS-01 hook (lego httpreq) publishing into it.
 */
export function hostedZoneForTests(zone: string): { admin: () => string; present: (body: unknown) => Promise<Response> } {
  let admin = "";
  beforeAll(async () => {
    admin = await mintToken("admin");
    const r = await call("/api/v1/zones", { method: "POST", token: admin, body: JSON.stringify({ name: zone }), headers: { "content-type": "application/json" } });
    expect(r.status).toBe(201);
  });
  return {
    admin: () => admin,
    present: (body) => call("/api/v1/dns01/present", { method: "POST", token: admin, body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  };
}
