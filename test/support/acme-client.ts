// A small ACME client for worker tests (WebCrypto JWS, RFC 8555 §6.2), written independently of
// src/acme so the tests check the server against the RFC rather than against itself.

import { SELF } from "cloudflare:test";
import { expect } from "vitest";

export const BASE = "http://trustchain.test";
export const DIRECTORY = `${BASE}/acme/directory`;

export type JwsAlg = "ES256" | "ES384" | "RS256" | "EdDSA";

const KEYGEN: Record<JwsAlg, { gen: SubtleCryptoGenerateKeyAlgorithm; sign: SubtleCryptoSignAlgorithm; members: string[] }> = {
  ES256: { gen: { name: "ECDSA", namedCurve: "P-256" }, sign: { name: "ECDSA", hash: "SHA-256" }, members: ["crv", "kty", "x", "y"] },
  ES384: { gen: { name: "ECDSA", namedCurve: "P-384" }, sign: { name: "ECDSA", hash: "SHA-384" }, members: ["crv", "kty", "x", "y"] },
  RS256: {
    gen: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    sign: { name: "RSASSA-PKCS1-v1_5" },
    members: ["e", "kty", "n"],
  },
  EdDSA: { gen: { name: "Ed25519" }, sign: { name: "Ed25519" }, members: ["crv", "kty", "x"] },
};

export const b64u = (data: Uint8Array | string): string => {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

export interface SignOptions {
  nonce?: string;
  url?: string;
  /** Put the key in "jwk" instead of "kid". */
  jwk?: boolean;
  /** Sign with this client's key but name `kid` (another account's). */
  kid?: string;
  /** Leave "nonce" out (the inner JWS of a key change, §7.3.5). */
  noNonce?: boolean;
}

export class AcmeClient {
  kid: string | null = null;
  private constructor(
    readonly alg: JwsAlg,
    readonly keys: CryptoKeyPair,
    readonly jwk: Record<string, string>,
  ) {}

  static async create(alg: JwsAlg = "ES256"): Promise<AcmeClient> {
    return AcmeClient.fromKeys(alg, (await crypto.subtle.generateKey(KEYGEN[alg].gen, true, ["sign", "verify"])) as CryptoKeyPair);
  }

  /** A client signing with existing keys (a certificate's, for revocation by certificate key). */
  static async fromKeys(alg: JwsAlg, keys: CryptoKeyPair): Promise<AcmeClient> {
    const full = (await crypto.subtle.exportKey("jwk", keys.publicKey)) as unknown as Record<string, unknown>;
    const jwk: Record<string, string> = {};
    for (const m of KEYGEN[alg].members) jwk[m] = String(full[m]);
    return new AcmeClient(alg, keys, jwk);
  }

  /** RFC 7638 thumbprint: required members in lexicographic order, no whitespace. */
  async thumbprint(): Promise<string> {
    const canonical = JSON.stringify(Object.fromEntries(Object.keys(this.jwk).sort().map((k) => [k, this.jwk[k]])));
    return b64u(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical))));
  }

  async nonce(): Promise<string> {
    const r = await SELF.fetch(`${BASE}/acme/new-nonce`, { method: "HEAD" });
    return r.headers.get("replay-nonce")!;
  }

  /** The flattened JWS body for a request to `url`; payload "" is POST-as-GET. */
  async sign(url: string, payload: unknown, opts: SignOptions = {}): Promise<string> {
    const header: Record<string, unknown> = { alg: this.alg, url: opts.url ?? url };
    if (!opts.noNonce) header.nonce = opts.nonce ?? (await this.nonce());
    if (opts.jwk || (!this.kid && !opts.kid)) header.jwk = this.jwk;
    else header.kid = opts.kid ?? this.kid;
    const protectedB64 = b64u(JSON.stringify(header));
    const payloadB64 = payload === "" ? "" : b64u(JSON.stringify(payload));
    const sig = new Uint8Array(await crypto.subtle.sign(KEYGEN[this.alg].sign, this.keys.privateKey, new TextEncoder().encode(`${protectedB64}.${payloadB64}`)));
    return JSON.stringify({ protected: protectedB64, payload: payloadB64, signature: b64u(sig) });
  }

  async post(url: string, payload: unknown, opts: SignOptions = {}): Promise<Response> {
    return postRaw(url, await this.sign(url, payload, opts));
  }

  async register(contact = ["mailto:test@example.com"]): Promise<Response> {
    const r = await this.post(`${BASE}/acme/new-account`, { termsOfServiceAgreed: true, contact });
    if (r.status === 201 || r.status === 200) this.kid = r.headers.get("location");
    return r;
  }
}

export function postRaw(url: string, body: string, contentType = "application/jose+json"): Promise<Response> {
  return SELF.fetch(url, { method: "POST", headers: { "content-type": contentType }, body });
}

export interface OrderJson {
  status: string;
  identifiers: { type: string; value: string }[];
  authorizations: string[];
  finalize: string;
  certificate?: string;
  error?: { type: string };
}

export interface AuthzJson {
  identifier: { type: string; value: string };
  status: string;
  wildcard?: boolean;
  challenges: { type: string; url: string; token: string; status: string; error?: { type: string } }[];
}

export async function newOrder(client: AcmeClient, names: string[], extra: Record<string, unknown> = {}): Promise<{ url: string; order: OrderJson }> {
  const r = await client.post(`${BASE}/acme/new-order`, { identifiers: names.map((value) => ({ type: "dns", value })), ...extra });
  expect(r.status, await r.clone().text()).toBe(201);
  return { url: r.headers.get("location")!, order: (await r.json()) as OrderJson };
}

/**
 * Publishes the dns-01 TXT for every pending authorization of the order (through `present`, the
 * DNS-01 hook) and asks the server to validate.
 */
export async function validateDns(
  client: AcmeClient,
  order: OrderJson,
  keyAuthFor: (token: string) => Promise<string>,
  present: (body: unknown) => Promise<Response>,
): Promise<AuthzJson[]> {
  const out: AuthzJson[] = [];
  for (const authzUrl of order.authorizations) {
    const authz = (await (await client.post(authzUrl, "")).json()) as AuthzJson;
    if (authz.status === "valid") {
      out.push(authz);
      continue;
    }
    const ch = authz.challenges.find((c) => c.type === "dns-01")!;
    const domain = `${authz.wildcard ? "*." : ""}${authz.identifier.value}`;
    expect((await present({ domain, token: ch.token, keyAuth: await keyAuthFor(ch.token) })).status).toBe(200);
    const r = await client.post(ch.url, {});
    expect(r.status).toBe(200);
    expect(r.headers.get("link")).toContain('rel="up"');
    out.push((await (await client.post(authzUrl, "")).json()) as AuthzJson);
  }
  return out;
}
