// External Account Binding (RFC 8555 §7.3.4): newAccount carries a JWS MACed with a key the CA
// handed out beforehand (key identifier + HMAC key), over the account's public key, so an
// account is tied to an existing relationship with the CA.

import { type SealedKey, sealKey, unsealKey } from "../ca/key-vault.ts";
import { type Bytes, fromBase64Url, toBase64Url, utf8 } from "../encoding/bytes.ts";
import { ProblemType, type Result, fail, ok, problem } from "../problem.ts";
import type { Jwk } from "./jws.ts";

/** MAC algorithms for the binding (RFC 7518 §3.2) and their hashes. */
const MAC_HASH = { HS256: "SHA-256", HS384: "SHA-384", HS512: "SHA-512" } as const;
type MacAlg = keyof typeof MAC_HASH;

export interface ExternalAccountBinding {
  alg: MacAlg;
  kid: string;
  url: string;
  /** The payload: the JWK the binding vouches for (must be the account key). */
  jwk: Jwk;
  signingInput: Bytes;
  mac: Bytes;
}

const malformed = (detail: string) => fail<never>(problem(ProblemType.malformed, 400, `externalAccountBinding: ${detail}`));
const isB64u = (s: unknown): s is string => typeof s === "string" && /^[A-Za-z0-9_-]+$/.test(s);

function jsonObject(b64: string): Record<string, unknown> | null {
  const bytes = fromBase64Url(b64);
  if (!bytes) return null;
  try {
    const v = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes)) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** §7.3.4: a flattened JWS with a MAC "alg", the key's "kid", the newAccount "url", and no nonce. */
export function parseExternalAccountBinding(value: unknown): Result<ExternalAccountBinding> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return malformed("must be a flattened JWS object");
  const o = value as Record<string, unknown>;
  if (!isB64u(o.protected) || !isB64u(o.payload) || !isB64u(o.signature)) return malformed('needs base64url "protected", "payload" and "signature"');
  const h = jsonObject(o.protected);
  if (!h) return malformed("the protected header is not a JSON object");
  if (typeof h.alg !== "string" || !(h.alg in MAC_HASH)) return malformed(`"alg" must be one of ${Object.keys(MAC_HASH).join(", ")}`);
  if (h.nonce !== undefined) return malformed('must not carry a "nonce"');
  if (typeof h.kid !== "string" || h.kid.length === 0 || h.kid.length > 128) return malformed('needs the key identifier in "kid"');
  if (typeof h.url !== "string") return malformed('needs "url"');
  const payload = jsonObject(o.payload);
  if (!payload) return malformed("the payload must be the account's JWK");
  const jwk: Jwk = {};
  for (const [k, v] of Object.entries(payload)) if (typeof v === "string") jwk[k] = v;
  const mac = fromBase64Url(o.signature);
  if (!mac) return malformed("the signature is not base64url");
  return ok({ alg: h.alg as MacAlg, kid: h.kid, url: h.url, jwk, signingInput: utf8(`${o.protected}.${o.payload}`), mac });
}

/** Checks the MAC in constant time (WebCrypto HMAC verify). */
export async function verifyExternalAccountBinding(eab: ExternalAccountBinding, hmacKey: Bytes): Promise<boolean> {
  const key = await crypto.subtle.importKey("raw", hmacKey, { name: "HMAC", hash: MAC_HASH[eab.alg] }, false, ["verify"]);
  return crypto.subtle.verify("HMAC", key, eab.mac, eab.signingInput);
}

/**
 * Random bytes in base64url that does not begin with "-": operators paste these as command-line
 * arguments, and certbot's and lego's option parsers take "--eab-kid -x…" for another option
 * (one key in 64 failed that way). Redrawing costs under 0.03 bits of the key's 256.
 */
function argumentSafeBase64Url(bytes: number): string {
  for (;;) {
    const s = toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
    if (!s.startsWith("-")) return s;
  }
}

/** A new key identifier and 256-bit HMAC key, both base64url, as clients take them (lego --kid/--hmac, certbot --eab-kid/--eab-hmac-key). */
export function newEabCredentials(): { kid: string; hmacKey: string } {
  return { kid: argumentSafeBase64Url(12), hmacKey: argumentSafeBase64Url(32) };
}

// At rest, an unbound key's HMAC secret is sealed under the KEK like the CA's keys (slot named by
// its key identifier), so a copy of D1 alone cannot bind accounts. Once bound, the secret is erased.
const eabSlot = (kid: string): string => `acme-eab/${kid}`;

/** The stored form of a new key's HMAC secret. */
export async function sealEabKey(kek: CryptoKey, kid: string, hmacKey: string): Promise<string> {
  const raw = fromBase64Url(hmacKey);
  if (!raw) throw new Error("the HMAC key is not base64url");
  return JSON.stringify(await sealKey(kek, eabSlot(kid), new Uint8Array(raw)));
}

/**
 * The HMAC secret of a stored key, or null when there is none to use: erased (bound), sealed under
 * another KEK, or altered. Keys stored before sealing existed are plain base64url and still work.
 */
export async function openEabKey(kek: CryptoKey | null, kid: string, stored: string): Promise<Bytes | null> {
  if (!stored.startsWith("{")) {
    const plain = fromBase64Url(stored);
    return plain && plain.length > 0 ? plain : null;
  }
  if (!kek) return null;
  try {
    return await unsealKey(kek, eabSlot(kid), JSON.parse(stored) as SealedKey);
  } catch {
    return null;
  }
}
