// JWS as ACME uses it (RFC 8555 §6.2): flattened JSON serialization (RFC 7515 §7.2.2), one
// signature, an asymmetric algorithm, and a protected header carrying `nonce`, `url` and exactly
// one of `jwk` (new accounts, revocation by certificate key) or `kid` (everything else).

import { type Bytes, fromBase64Url, sha256, toBase64Url, utf8 } from "../encoding/bytes.ts";
import { ProblemType, type Result, fail, ok, problem } from "../problem.ts";

export type Jwk = Record<string, string>;

export interface ProtectedHeader {
  alg: string;
  nonce: string;
  url: string;
  jwk?: Jwk;
  kid?: string;
}

export interface ParsedJws {
  header: ProtectedHeader;
  /** The decoded payload; "" for POST-as-GET (§6.3). */
  payloadText: string;
  signingInput: Bytes;
  signature: Bytes;
}

/** Algorithms we accept (§6.2: MUST support ES256, SHOULD EdDSA; RS256 and ES384 are common). */
export const ALGORITHMS = ["ES256", "ES384", "RS256", "EdDSA"] as const;
type Alg = (typeof ALGORITHMS)[number];

const strictUtf8 = () => new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

const malformed = (detail: string) => fail<never>(problem(ProblemType.malformed, 400, detail));

function decodeJson(b64: string, what: string): Result<unknown> {
  const bytes = fromBase64Url(b64);
  if (!bytes) return malformed(`${what} is not base64url`);
  try {
    return ok(JSON.parse(strictUtf8().decode(bytes)) as unknown);
  } catch {
    return malformed(`${what} is not UTF-8 JSON`);
  }
}

const isB64u = (s: unknown): s is string => typeof s === "string" && /^[A-Za-z0-9_-]*$/.test(s);

/** Parses the request body into its parts; checks the shape only, not the signature. */
export function parseJws(body: Uint8Array, opts: { inner?: boolean } = {}): Result<ParsedJws> {
  let outer: unknown;
  try {
    outer = JSON.parse(strictUtf8().decode(body));
  } catch {
    return malformed("the body is not a JSON object");
  }
  if (typeof outer !== "object" || outer === null || Array.isArray(outer)) return malformed("the body must be a flattened JWS JSON object");
  const o = outer as Record<string, unknown>;
  // §6.2: the unprotected header MUST NOT be used; the general serialization is not accepted.
  if ("header" in o || "signatures" in o) return malformed("only the flattened JWS serialization with a protected header is accepted");
  if (!isB64u(o.protected) || !isB64u(o.payload) || !isB64u(o.signature)) return malformed('the JWS needs base64url "protected", "payload" and "signature"');
  const h = decodeJson(o.protected, "the protected header");
  if (!h.ok) return h;
  if (typeof h.value !== "object" || h.value === null || Array.isArray(h.value)) return malformed("the protected header must be a JSON object");
  const hv = h.value as Record<string, unknown>;
  if (typeof hv.alg !== "string") return malformed('the protected header has no "alg"');
  if (!(ALGORITHMS as readonly string[]).includes(hv.alg)) {
    return fail(problem(ProblemType.badSignatureAlgorithm, 400, `alg "${hv.alg.slice(0, 20)}" is not supported`, { algorithms: [...ALGORITHMS] }));
  }
  // §7.3.5: the inner JWS of a key change carries no nonce; every other JWS must.
  if (opts.inner) {
    if (hv.nonce !== undefined) return malformed('the inner JWS of a key change must not carry a "nonce"');
  } else if (typeof hv.nonce !== "string" || hv.nonce.length === 0) return fail(problem(ProblemType.badNonce, 400, 'the protected header has no "nonce"'));
  if (typeof hv.url !== "string") return malformed('the protected header has no "url"');
  const hasJwk = hv.jwk !== undefined;
  const hasKid = hv.kid !== undefined;
  if (hasJwk === hasKid) return malformed('the protected header must carry exactly one of "jwk" and "kid"');
  if (hasKid && typeof hv.kid !== "string") return malformed('"kid" must be a string');
  let jwk: Jwk | undefined;
  if (hasJwk) {
    if (typeof hv.jwk !== "object" || hv.jwk === null || Array.isArray(hv.jwk)) return malformed('"jwk" must be a JSON object');
    jwk = {};
    for (const [k, v] of Object.entries(hv.jwk as Record<string, unknown>)) {
      if (typeof v === "string") jwk[k] = v;
    }
    if ("d" in jwk || "p" in jwk || "k" in jwk) return fail(problem(ProblemType.badPublicKey, 400, '"jwk" must be a public key'));
  }
  const payload = fromBase64Url(o.payload);
  const signature = fromBase64Url(o.signature);
  if (!payload || !signature) return malformed("the payload or signature is not base64url");
  let payloadText: string;
  try {
    payloadText = strictUtf8().decode(payload);
  } catch {
    return malformed("the payload is not UTF-8");
  }
  const header: ProtectedHeader = { alg: hv.alg, nonce: typeof hv.nonce === "string" ? hv.nonce : "", url: hv.url, ...(jwk ? { jwk } : {}), ...(hasKid ? { kid: hv.kid as string } : {}) };
  return ok({ header, payloadText, signingInput: utf8(`${o.protected}.${o.payload}`), signature });
}

interface KeyParams {
  import: SubtleCryptoImportKeyAlgorithm;
  verify: SubtleCryptoSignAlgorithm;
}

/** The WebCrypto parameters for a JWK used with `alg`; null when key and algorithm do not match. */
function keyParams(alg: Alg, jwk: Jwk): KeyParams | null {
  switch (alg) {
    case "ES256":
      return jwk.kty === "EC" && jwk.crv === "P-256" ? { import: { name: "ECDSA", namedCurve: "P-256" }, verify: { name: "ECDSA", hash: "SHA-256" } } : null;
    case "ES384":
      return jwk.kty === "EC" && jwk.crv === "P-384" ? { import: { name: "ECDSA", namedCurve: "P-384" }, verify: { name: "ECDSA", hash: "SHA-384" } } : null;
    case "RS256":
      return jwk.kty === "RSA" ? { import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, verify: { name: "RSASSA-PKCS1-v1_5" } } : null;
    case "EdDSA":
      return jwk.kty === "OKP" && jwk.crv === "Ed25519" ? { import: { name: "Ed25519" }, verify: { name: "Ed25519" } } : null;
  }
}

/** The public members of a JWK per key type (RFC 7638 §3.2), in lexicographic order. */
const REQUIRED: Record<string, string[]> = { EC: ["crv", "kty", "x", "y"], RSA: ["e", "kty", "n"], OKP: ["crv", "kty", "x"] };

/** Checks that a JWK is a public key we can use, and reduces it to its required members. */
export function publicJwk(jwk: Jwk): Result<Jwk> {
  const members = REQUIRED[jwk.kty ?? ""];
  if (!members) return fail(problem(ProblemType.badPublicKey, 400, `key type "${String(jwk.kty).slice(0, 10)}" is not supported`));
  const out: Jwk = {};
  for (const m of members) {
    const v = jwk[m];
    if (typeof v !== "string" || (m !== "kty" && m !== "crv" && !isB64u(v))) return fail(problem(ProblemType.badPublicKey, 400, `the JWK lacks "${m}"`));
    out[m] = v;
  }
  if (jwk.kty === "RSA") {
    const n = fromBase64Url(jwk.n!);
    if (!n || n.length * 8 < 2048 || n.length * 8 > 8192) return fail(problem(ProblemType.badPublicKey, 400, "RSA account keys must be 2048 to 8192 bits"));
  }
  return ok(out);
}

/** RFC 7638 JWK thumbprint (SHA-256), base64url: the account key's identity. */
export async function jwkThumbprint(jwk: Jwk): Promise<string> {
  const members = REQUIRED[jwk.kty ?? ""] ?? [];
  const canonical = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m] ?? "")}`).join(",")}}`;
  return toBase64Url(await sha256(utf8(canonical)));
}

/** Verifies the JWS signature with a public JWK (§6.2). */
export async function verifyJws(jws: ParsedJws, jwk: Jwk): Promise<Result<true>> {
  const params = keyParams(jws.header.alg as Alg, jwk);
  // A signature whose algorithm cannot belong to the key was not made with that key.
  if (!params) return fail(problem(ProblemType.unauthorized, 403, `a ${jws.header.alg} signature cannot come from this ${jwk.kty} key`));
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("jwk", { ...jwk, ext: true } as JsonWebKey, params.import, false, ["verify"]);
  } catch {
    return fail(problem(ProblemType.badPublicKey, 400, "the JWK is not a usable public key"));
  }
  const sig = jws.signature;
  // JWS ECDSA signatures are r||s of fixed length (RFC 7518 §3.4), which is WebCrypto's format.
  if (jws.header.alg === "ES256" && sig.length !== 64) return fail(problem(ProblemType.malformed, 400, "an ES256 signature is 64 octets"));
  if (jws.header.alg === "ES384" && sig.length !== 96) return fail(problem(ProblemType.malformed, 400, "an ES384 signature is 96 octets"));
  let good = false;
  try {
    good = await crypto.subtle.verify(params.verify, key, sig, jws.signingInput);
  } catch {
    good = false;
  }
  return good ? ok(true) : fail(problem(ProblemType.unauthorized, 403, "the JWS signature does not verify with the account key"));
}

/** Parses a non-empty payload as a JSON object (§7: resource requests carry objects). */
export function payloadObject(jws: ParsedJws): Result<Record<string, unknown>> {
  if (jws.payloadText === "") return malformed("this request needs a JSON object payload, not POST-as-GET");
  try {
    const v = JSON.parse(jws.payloadText) as unknown;
    if (typeof v !== "object" || v === null || Array.isArray(v)) return malformed("the payload must be a JSON object");
    return ok(v as Record<string, unknown>);
  } catch {
    return malformed("the payload is not JSON");
  }
}

/** The DER SubjectPublicKeyInfo of a public JWK, to compare with a certificate's key (§7.6). */
export async function jwkToSpki(jwk: Jwk): Promise<Bytes | null> {
  const params: SubtleCryptoImportKeyAlgorithm | null =
    jwk.kty === "EC" && (jwk.crv === "P-256" || jwk.crv === "P-384")
      ? { name: "ECDSA", namedCurve: jwk.crv }
      : jwk.kty === "RSA"
        ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }
        : jwk.kty === "OKP" && jwk.crv === "Ed25519"
          ? { name: "Ed25519" }
          : null;
  if (!params) return null;
  try {
    const key = await crypto.subtle.importKey("jwk", { ...jwk, ext: true } as JsonWebKey, params, true, ["verify"]);
    return new Uint8Array((await crypto.subtle.exportKey("spki", key)) as ArrayBuffer);
  } catch {
    return null;
  }
}
