// External Account Binding (RFC 8555 §7.3.4) on newAccount, with the binding MACed here
// independently of src/acme: a good binding creates the account and uses up the key; a used key,
// a wrong MAC, an unknown key, another URL or another account key are refused.

import { SELF, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newEabCredentials } from "../../src/acme/eab.ts";
import { INSERT_EAB_KEY_SQL } from "../../src/acme/store.ts";
import { AcmeClient, BASE, b64u } from "../support/acme-client.ts";
import { call, mintToken } from "../support/worker-helpers.ts";

const NEW_ACCOUNT = `${BASE}/acme/new-account`;
const E = (t: string) => `urn:ietf:params:acme:error:${t}`;

/** A key as operators make them: POST /api/v1/admin/acme-eab (npm run acme:eab-create). */
async function eabKey(): Promise<{ kid: string; hmacKey: string }> {
  const r = await call("/api/v1/admin/acme-eab", { method: "POST", token: await mintToken("admin") });
  expect(r.status).toBe(201);
  const k = (await r.json()) as { kid: string; hmac_key: string };
  return { kid: k.kid, hmacKey: k.hmac_key };
}

const storedSecret = async (kid: string) => (await env.DB.prepare("SELECT hmac_key FROM acme_eab_keys WHERE kid = ?").bind(kid).first<{ hmac_key: string }>())!.hmac_key;

function fromB64u(s: string): Uint8Array {
  return Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (ch) => ch.charCodeAt(0));
}

async function binding(kid: string, hmacKey: string, jwk: Record<string, string>, url = NEW_ACCOUNT, alg = "HS256") {
  const protectedB64 = b64u(JSON.stringify({ alg, kid, url }));
  const payloadB64 = b64u(JSON.stringify(jwk));
  const hash = { HS256: "SHA-256", HS384: "SHA-384", HS512: "SHA-512" }[alg]!;
  const key = await crypto.subtle.importKey("raw", fromB64u(hmacKey), { name: "HMAC", hash }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${protectedB64}.${payloadB64}`)));
  return { protected: protectedB64, payload: payloadB64, signature: b64u(mac) };
}

const register = (client: AcmeClient, externalAccountBinding: unknown) =>
  client.post(NEW_ACCOUNT, { termsOfServiceAgreed: true, contact: ["mailto:eab@example.com"], externalAccountBinding });
const type = async (r: Response) => ((await r.json()) as { type: string }).type;

describe("External Account Binding (RFC 8555 §7.3.4)", () => {
  it("creates an account with a good binding, and the key binds only that account", async () => {
    const k = await eabKey();
    const client = await AcmeClient.create();
    const r = await register(client, await binding(k.kid, k.hmacKey, client.jwk, NEW_ACCOUNT, "HS256"));
    expect(r.status).toBe(201);
    // The same account key again finds the account.
    expect((await register(client, await binding(k.kid, k.hmacKey, client.jwk))).status).toBe(200);
    const other = await AcmeClient.create("ES384");
    const reused = await register(other, await binding(k.kid, k.hmacKey, other.jwk));
    expect(reused.status).toBe(403);
    expect(await type(reused)).toBe(E("unauthorized"));
  });

  it("keeps the HMAC key out of D1 in the clear: sealed until an account binds it, then erased", async () => {
    const k = await eabKey();
    const stored = await storedSecret(k.kid);
    expect(stored).not.toContain(k.hmacKey);
    expect(JSON.parse(stored)).toEqual({ iv: expect.any(String), ciphertext: expect.any(String) });
    const client = await AcmeClient.create();
    expect((await register(client, await binding(k.kid, k.hmacKey, client.jwk))).status).toBe(201);
    expect(await storedSecret(k.kid)).toBe("");
    // Moving a sealed secret to another key identifier does not make it usable there.
    const moved = await eabKey();
    await env.DB.prepare("UPDATE acme_eab_keys SET hmac_key = ? WHERE kid = ?").bind(await storedSecret((await eabKey()).kid), moved.kid).run();
    const other = await AcmeClient.create();
    expect((await register(other, await binding(moved.kid, moved.hmacKey, other.jwk))).status).toBe(403);
  });

  it("still accepts keys stored in the clear before sealing existed", async () => {
    const k = newEabCredentials();
    await env.DB.prepare(INSERT_EAB_KEY_SQL).bind(k.kid, k.hmacKey, Math.floor(Date.now() / 1000)).run();
    const client = await AcmeClient.create();
    expect((await register(client, await binding(k.kid, k.hmacKey, client.jwk))).status).toBe(201);
    expect(await storedSecret(k.kid)).toBe("");
  });

  it("makes credentials that are safe as command-line arguments (never a leading \"-\")", () => {
    for (let i = 0; i < 2000; i++) {
      const k = newEabCredentials();
      expect(k.kid).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{15}$/);
      expect(k.hmacKey).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{42}$/);
    }
  });

  it("creates keys for admin tokens only", async () => {
    expect((await call("/api/v1/admin/acme-eab", { method: "POST" })).status).toBe(401);
    expect((await call("/api/v1/admin/acme-eab", { method: "POST", token: await mintToken("issuer") })).status).toBe(403);
  });

  it("accepts HS384 and HS512", async () => {
    for (const alg of ["HS384", "HS512"]) {
      const k = await eabKey();
      const client = await AcmeClient.create();
      expect((await register(client, await binding(k.kid, k.hmacKey, client.jwk, NEW_ACCOUNT, alg))).status).toBe(201);
    }
  });

  it("refuses a wrong MAC, an unknown key, another URL, another account key, a nonce or a bad alg", async () => {
    const k = await eabKey();
    const client = await AcmeClient.create();
    const other = await AcmeClient.create();
    const wrongKey = b64u(crypto.getRandomValues(new Uint8Array(32)));
    expect(await type(await register(client, await binding(k.kid, wrongKey, client.jwk)))).toBe(E("unauthorized"));
    expect(await type(await register(client, await binding("no-such-kid", k.hmacKey, client.jwk)))).toBe(E("unauthorized"));
    expect(await type(await register(client, await binding(k.kid, k.hmacKey, client.jwk, `${BASE}/acme/new-order`)))).toBe(E("malformed"));
    expect(await type(await register(client, await binding(k.kid, k.hmacKey, other.jwk)))).toBe(E("malformed"));
    const good = await binding(k.kid, k.hmacKey, client.jwk);
    expect(await type(await register(client, { ...good, protected: b64u(JSON.stringify({ alg: "RS256", kid: k.kid, url: NEW_ACCOUNT })) }))).toBe(E("malformed"));
    expect(await type(await register(client, { ...good, protected: b64u(JSON.stringify({ alg: "HS256", kid: k.kid, url: NEW_ACCOUNT, nonce: "x" })) }))).toBe(E("malformed"));
    expect(await type(await register(client, "not-an-object"))).toBe(E("malformed"));
    // None of that created an account or used the key.
    expect((await register(client, await binding(k.kid, k.hmacKey, client.jwk))).status).toBe(201);
  });

  it("says in the directory whether a binding is required", async () => {
    const dir = (await (await SELF.fetch(`${BASE}/acme/directory`)).json()) as { meta: { externalAccountRequired: boolean } };
    expect(dir.meta.externalAccountRequired).toBe(env.ACME_EAB_REQUIRED === "true");
  });
});
