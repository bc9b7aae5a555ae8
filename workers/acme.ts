// The ACME front door (RFC 8555) under /acme: directory, nonces, accounts, orders,
// authorizations, challenges, finalize and certificate download. Every POST is a JWS checked in
// `authenticated` (§6.2–§6.5); the resource logic lives in src/acme/, challenge and CAA lookups in
// workers/acme-va.ts, issuance in the CaSigner.

import { issueRequest } from "../src/ca/issuance.ts";
import { Hono } from "hono";
import { openEabKey, parseExternalAccountBinding, verifyExternalAccountBinding } from "../src/acme/eab.ts";
import { importKek } from "../src/ca/key-vault.ts";
import { type Jwk, type ParsedJws, jwkThumbprint, jwkToSpki, parseJws, payloadObject, publicJwk, verifyJws } from "../src/acme/jws.ts";
import { parseOrderIdentifiers } from "../src/acme/order-request.ts";
import { checkDomains, checkFailedValidations, checkNewOrder, rateLimits, recordDomainEvents, registeredDomain } from "../src/acme/rate-limits.ts";
import { certIdOf, parseCertId, renewalAdvice } from "../src/acme/renewal-info.ts";
import { parseRevokeRequest } from "../src/acme/revoke-request.ts";
import { AcmeUrls, accountJson, authzJson, challengeJson, directoryJson, orderJson } from "../src/acme/resources.ts";
import {
  type Account,
  accountById,
  accountByThumbprint,
  accountOwnsCertificate,
  bindEabKey,
  changeAccountKey,
  consumeNonce,
  createAccount,
  createOrder,
  deactivateAuthorization,
  eabKey,
  finishChallenge,
  finishOrder,
  getAuthorization,
  getChallenge,
  getOrder,
  listOrders,
  newNonce,
  orderReplacing,
  startChallenge,
  startFinalize,
  updateAccount,
} from "../src/acme/store.ts";
import { DEFAULT_PROFILE } from "../src/ca/profiles.ts";
import { acmeProfile, parseOrderProfile, profilesMeta } from "../src/acme/profiles.ts";
import { caUrls } from "../src/ca/urls.ts";
import { bytesEqual, fromBase64Url, toBase64Url } from "../src/encoding/bytes.ts";
import type { Credentials } from "../src/consensus/credentials.ts";
import { toPem } from "../src/encoding/pem.ts";
import { getCertificate, getCertificateDer } from "../src/index/certificates.ts";
import { identifierKey } from "../src/names/identifiers.ts";
import { type Problem, ProblemType, isProblem, problem } from "../src/problem.ts";
import { checkCsr } from "../src/x509/csr.ts";
import { type Env, caSigner } from "./env.ts";
import { orderCaa } from "./acme-va.ts";
import { confirmFromQuorum, issueWithQuorum, revokeWithQuorum } from "./consensus.ts";
import { auditFirst, receiptHeaders } from "./audit-trail.ts";
import { type AppContext, type AppEnv, problemResponse, readBody } from "./http.ts";

export const acme = new Hono<AppEnv>();

/** A JWS body larger than this is refused (a CSR is at most 64 KiB before base64url). */
const MAX_JWS = 96 * 1024;

const now = () => Math.floor(Date.now() / 1000);
const urls = (c: AppContext) => new AcmeUrls(new URL(c.req.url).origin);

/** Headers on every ACME response: a fresh nonce (§6.5) and the directory link (§7.1). */
async function acmeHeaders(c: AppContext, extra: Record<string, string> = {}): Promise<Headers> {
  const h = new Headers(extra);
  h.set("replay-nonce", await newNonce(c.env.DB, now()));
  h.set("cache-control", "no-store");
  h.append("link", `<${urls(c).directory}>;rel="index"`);
  return h;
}

async function acmeJson(c: AppContext, body: unknown, status = 200, extra: Record<string, string> = {}): Promise<Response> {
  const h = await acmeHeaders(c, extra);
  h.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { status, headers: h });
}

async function acmeProblem(c: AppContext, p: Problem, extra: Record<string, string> = {}): Promise<Response> {
  const h = await acmeHeaders(c, extra);
  h.set("content-type", "application/problem+json");
  return new Response(JSON.stringify(p), { status: p.status, headers: h });
}

type Authenticated = { jws: ParsedJws; account: Account | null; jwk: Jwk; thumbprint: string };

/**
 * §6.2–§6.5: the body is a flattened JWS of a supported algorithm, its "url" is exactly the URL
 * requested, it names the key by "jwk" only where `keyMode` allows (new accounts) and by "kid"
 * (an existing, valid account) otherwise, the signature verifies, and the nonce is one we issued
 * and nobody has used. The nonce is consumed last, so a forged request cannot burn it.
 */
async function authenticated(c: AppContext, keyMode: "jwk" | "kid" | "either"): Promise<Authenticated | Response> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/jose+json") return acmeProblem(c, problem(ProblemType.malformed, 415, "the content type must be application/jose+json", { title: "Unsupported Media Type" }));
  const body = await readBody(c.req.raw, MAX_JWS);
  if (!body) return acmeProblem(c, problem(ProblemType.malformed, 413, `the request body is larger than ${MAX_JWS} bytes`, { title: "Payload Too Large" }));
  const parsed = parseJws(body);
  if (!parsed.ok) return acmeProblem(c, parsed.problem);
  const jws = parsed.value;
  // §6.4: the "url" header must be the exact URL of the request.
  if (jws.header.url !== c.req.url) return acmeProblem(c, problem(ProblemType.unauthorized, 401, `the JWS "url" ${jws.header.url.slice(0, 200)} is not the request URL ${c.req.url}`));
  let account: Account | null = null;
  let jwk: Jwk;
  if (keyMode === "jwk" || (keyMode === "either" && jws.header.jwk)) {
    if (!jws.header.jwk) return acmeProblem(c, problem(ProblemType.malformed, 400, 'this request must carry the account key in "jwk", not "kid"'));
    const pub = publicJwk(jws.header.jwk);
    if (!pub.ok) return acmeProblem(c, pub.problem);
    jwk = pub.value;
  } else {
    if (jws.header.kid === undefined) return acmeProblem(c, problem(ProblemType.malformed, 400, 'this request must name its account with "kid", not "jwk"'));
    const id = urls(c).accountIdFromKid(jws.header.kid);
    account = id ? await accountById(c.env.DB, id) : null;
    if (!account) return acmeProblem(c, problem(ProblemType.accountDoesNotExist, 400, `no account at ${jws.header.kid.slice(0, 200)}`));
    if (account.status !== "valid") return acmeProblem(c, problem(ProblemType.unauthorized, 403, `the account is ${account.status}`));
    jwk = account.jwk;
  }
  const verified = await verifyJws(jws, jwk);
  if (!verified.ok) return acmeProblem(c, verified.problem);
  // §6.5.2: the nonce is single-use across every instance: consuming it is one D1 DELETE.
  if (!(await consumeNonce(c.env.DB, jws.header.nonce, now()))) {
    return acmeProblem(c, problem(ProblemType.badNonce, 400, "the nonce is unknown, used or expired; retry with the nonce of this response"));
  }
  return { jws, account, jwk, thumbprint: account?.thumbprint ?? (await jwkThumbprint(jwk)) };
}

/** The request's JWS as the client signed it, for the validators to verify themselves. */
function signedRequest(a: Authenticated): Credentials {
  const text = new TextDecoder().decode(a.jws.signingInput);
  const dot = text.indexOf(".");
  return { kind: "acme-jws", protected: text.slice(0, dot), payload: text.slice(dot + 1), signature: toBase64Url(a.jws.signature) };
}

const limitsOf = (env: Env) =>
  rateLimits({
    orders: env.ACME_ORDERS_PER_HOUR,
    failed: env.ACME_FAILED_VALIDATIONS_PER_HOUR,
    domainOrders: env.ACME_DOMAIN_ORDERS_PER_HOUR,
    domainFailed: env.ACME_DOMAIN_FAILED_VALIDATIONS_PER_HOUR,
  });

/** POST-as-GET (§6.3): the payload must be empty. */
function postAsGet(c: AppContext, a: Authenticated): Promise<Response> | null {
  return a.jws.payloadText === "" ? null : acmeProblem(c, problem(ProblemType.malformed, 400, "this resource is fetched with POST-as-GET: the payload must be empty"));
}

const notFound = (c: AppContext, what: string) => acmeProblem(c, problem(ProblemType.malformed, 404, `no such ${what}`, { title: "Not Found" }));

// ---- Directory and nonces (§7.1.1, §7.2) ----

acme.get("/directory", (c) => {
  const u = urls(c);
  return c.json(
    directoryJson(u, {
      termsOfService: `${u.origin}/acme/terms`,
      website: c.env.PUBLIC_URL,
      caaIdentities: c.env.CA_DOMAIN ? [c.env.CA_DOMAIN] : [],
      externalAccountRequired: c.env.ACME_EAB_REQUIRED === "true",
      profiles: profilesMeta(),
    }),
  );
});

acme.get("/terms", (c) =>
  c.text(
    "TrustChain ACME subscriber terms\n\nCertificates are issued for names whose control you proved. Certificates are logged in Certificate Transparency. Keep your private keys private; revoke a certificate when its key is compromised.\n",
  ),
);

// §7.2: HEAD answers 200, GET 204; both carry a fresh Replay-Nonce and must not be cached.
// (hono serves HEAD through the GET route.)
acme.get("/new-nonce", async (c) => new Response(null, { status: c.req.method === "HEAD" ? 200 : 204, headers: await acmeHeaders(c) }));

// ---- Accounts (§7.3) ----

acme.post("/new-account", async (c) => {
  const a = await authenticated(c, "jwk");
  if (a instanceof Response) return a;
  const payload = payloadObject(a.jws);
  if (!payload.ok) return acmeProblem(c, payload.problem);
  const p = payload.value;
  const u = urls(c);
  const existing = await accountByThumbprint(c.env.DB, a.thumbprint);
  if (existing) return acmeJson(c, accountJson(u, existing), 200, { location: u.account(existing.id) });
  // §7.3.1: onlyReturnExisting asks only for the lookup.
  if (p.onlyReturnExisting === true) return acmeProblem(c, problem(ProblemType.accountDoesNotExist, 400, "no account exists for this key"));
  // §7.3.3: the terms must be agreed to, since the directory has termsOfService.
  if (p.termsOfServiceAgreed !== true) return acmeProblem(c, problem(ProblemType.userActionRequired, 403, `agree to the terms of service (${u.origin}/acme/terms) with "termsOfServiceAgreed": true`));
  const contact = checkContact(p.contact);
  if (isProblem(contact)) return acmeProblem(c, contact);
  let eabKid: string | null = null;
  if (p.externalAccountBinding !== undefined) {
    const checked = await checkExternalAccountBinding(c.env, p.externalAccountBinding, a);
    if (isProblem(checked)) return acmeProblem(c, checked);
    eabKid = checked;
  } else if (c.env.ACME_EAB_REQUIRED === "true") {
    return acmeProblem(c, problem(ProblemType.externalAccountRequired, 403, "this server requires an externalAccountBinding (RFC 8555 §7.3.4); ask the operator for a key identifier and HMAC key"));
  }
  const receipt = await auditFirst(c.env, { actor: `acme-key:${a.thumbprint}`, operation: "acme.account.create", target: `acme-key:${a.thumbprint}`, input: { thumbprint: a.thumbprint, contact, eab_kid: eabKid } });
  if (isProblem(receipt)) return acmeProblem(c, receipt);
  const made = await createAccount(c.env.DB, { thumbprint: a.thumbprint, jwk: a.jwk, contact, now: now() });
  if (eabKid && made.created && !(await bindEabKey(c.env.DB, eabKid, made.account.id, now()))) {
    // Another account bound the key between our check and now: this one must not exist unbound.
    await updateAccount(c.env.DB, made.account.id, { status: "deactivated" });
    return acmeProblem(c, problem(ProblemType.unauthorized, 403, "the external account key is already bound to another account"));
  }
  return acmeJson(c, accountJson(u, made.account), made.created ? 201 : 200, { location: u.account(made.account.id), ...receiptHeaders(receipt) });
});

/**
 * §7.3.4: the binding is MACed with an unused key we issued, names the newAccount URL, and vouches
 * for exactly the key that signs the request. Returns the key identifier to bind.
 */
async function checkExternalAccountBinding(env: Env, value: unknown, a: Authenticated): Promise<string | Problem> {
  const eab = parseExternalAccountBinding(value);
  if (!eab.ok) return eab.problem;
  if (eab.value.url !== a.jws.header.url) return problem(ProblemType.malformed, 400, 'externalAccountBinding: "url" must be the newAccount URL');
  const vouched = publicJwk(eab.value.jwk);
  if (!vouched.ok || (await jwkThumbprint(vouched.value)) !== a.thumbprint) return problem(ProblemType.malformed, 400, "externalAccountBinding: the payload is not the key that signs this request");
  const key = await eabKey(env.DB, eab.value.kid);
  if (key?.accountId) return problem(ProblemType.unauthorized, 403, "the external account key is already bound to another account");
  const kek = await importKek(env.CA_KEK);
  const hmac = key ? await openEabKey(kek instanceof CryptoKey ? kek : null, eab.value.kid, key.hmacKey) : null;
  if (!hmac || !(await verifyExternalAccountBinding(eab.value, hmac))) return problem(ProblemType.unauthorized, 403, "externalAccountBinding: unknown key identifier or wrong MAC");
  return eab.value.kid;
}

/** §7.3: contact is an array of mailto: URLs (the only scheme we support, §7.3 "unsupportedContact"). */
function checkContact(v: unknown): string[] | Problem {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > 10 || !v.every((x) => typeof x === "string")) return problem(ProblemType.malformed, 400, '"contact" must be an array of at most 10 URLs');
  for (const x of v as string[]) {
    if (!/^mailto:[^@\s,]+@[^@\s,]+$/.test(x) || x.length > 320) return problem(ProblemType.malformed, 400, `"${x.slice(0, 100)}" is not a mailto: URL with one address`);
  }
  return v as string[];
}

acme.post("/account/:id", async (c) => {
  const a = await authenticated(c, "kid");
  if (a instanceof Response) return a;
  if (a.account!.id !== c.req.param("id")) return acmeProblem(c, problem(ProblemType.unauthorized, 403, "the JWS key does not own this account"));
  const u = urls(c);
  if (a.jws.payloadText === "") return acmeJson(c, accountJson(u, a.account!), 200, { location: u.account(a.account!.id) });
  // §7.3.2 update and §7.3.6 deactivation.
  const payload = payloadObject(a.jws);
  if (!payload.ok) return acmeProblem(c, payload.problem);
  const change: { contact?: string[]; status?: "deactivated" } = {};
  if (payload.value.contact !== undefined) {
    const contact = checkContact(payload.value.contact);
    if (isProblem(contact)) return acmeProblem(c, contact);
    change.contact = contact;
  }
  if (payload.value.status !== undefined) {
    if (payload.value.status !== "deactivated") return acmeProblem(c, problem(ProblemType.malformed, 400, 'an account\'s status can only be set to "deactivated"'));
    change.status = "deactivated";
  }
  const id = a.account!.id;
  const receipt = await auditFirst(c.env, { actor: `acme:${id}`, operation: change.status ? "acme.account.deactivate" : "acme.account.update", target: `acme:${id}`, input: { contact: change.contact ?? null, status: change.status ?? null } });
  if (isProblem(receipt)) return acmeProblem(c, receipt);
  await updateAccount(c.env.DB, id, change);
  const updated = await accountById(c.env.DB, id);
  return acmeJson(c, accountJson(u, updated!), 200, { location: u.account(id), ...receiptHeaders(receipt) });
});

acme.post("/account/:id/orders", async (c) => {
  const a = await authenticated(c, "kid");
  if (a instanceof Response) return a;
  const bad = postAsGet(c, a);
  if (bad) return bad;
  if (a.account!.id !== c.req.param("id")) return acmeProblem(c, problem(ProblemType.unauthorized, 403, "the JWS key does not own this account"));
  const u = urls(c);
  return acmeJson(c, { orders: (await listOrders(c.env.DB, a.account!.id)).map((id) => u.order(id)) });
});

/**
 * §7.3.5 keyChange: the outer JWS is signed by the account's key; its payload is an inner JWS
 * signed by the new key (in "jwk", no nonce, the same "url") over {account, oldKey}.
 */
acme.post("/key-change", async (c) => {
  const a = await authenticated(c, "kid");
  if (a instanceof Response) return a;
  const u = urls(c);
  const inner = parseJws(new TextEncoder().encode(a.jws.payloadText), { inner: true });
  if (!inner.ok) return acmeProblem(c, inner.problem);
  if (!inner.value.header.jwk) return acmeProblem(c, problem(ProblemType.malformed, 400, 'the inner JWS must carry the new key in "jwk"'));
  if (inner.value.header.url !== a.jws.header.url) return acmeProblem(c, problem(ProblemType.malformed, 400, 'the inner JWS "url" must equal the outer one'));
  const newKey = publicJwk(inner.value.header.jwk);
  if (!newKey.ok) return acmeProblem(c, newKey.problem);
  const verified = await verifyJws(inner.value, newKey.value);
  if (!verified.ok) return acmeProblem(c, { ...verified.problem, type: ProblemType.malformed, status: 400, detail: `inner JWS: ${verified.problem.detail}` });
  const payload = payloadObject(inner.value);
  if (!payload.ok) return acmeProblem(c, payload.problem);
  const p = payload.value;
  if (p.account !== u.account(a.account!.id)) return acmeProblem(c, problem(ProblemType.unauthorized, 403, 'the inner payload\'s "account" is not the signing account'));
  const oldKey = typeof p.oldKey === "object" && p.oldKey !== null ? publicJwk(p.oldKey as Jwk) : null;
  if (!oldKey?.ok || (await jwkThumbprint(oldKey.value)) !== a.account!.thumbprint) {
    return acmeProblem(c, problem(ProblemType.unauthorized, 403, 'the inner payload\'s "oldKey" is not the account\'s current key'));
  }
  const thumbprint = await jwkThumbprint(newKey.value);
  const receipt = await auditFirst(c.env, { actor: `acme:${a.account!.id}`, operation: "acme.account.key-change", target: `acme:${a.account!.id}`, input: { old_thumbprint: a.account!.thumbprint, new_thumbprint: thumbprint } });
  if (isProblem(receipt)) return acmeProblem(c, receipt);
  if (!(await changeAccountKey(c.env.DB, a.account!.id, newKey.value, thumbprint))) {
    const holder = await accountByThumbprint(c.env.DB, thumbprint);
    return acmeProblem(c, problem(ProblemType.malformed, 409, "another account already uses the new key", { title: "Conflict" }), holder ? { location: u.account(holder.id) } : {});
  }
  return acmeJson(c, accountJson(u, (await accountById(c.env.DB, a.account!.id))!), 200, { location: u.account(a.account!.id), ...receiptHeaders(receipt) });
});

// ---- Orders (§7.4) ----

acme.post("/new-order", async (c) => {
  const a = await authenticated(c, "kid");
  if (a instanceof Response) return a;
  const payload = payloadObject(a.jws);
  if (!payload.ok) return acmeProblem(c, payload.problem);
  const ids = parseOrderIdentifiers(payload.value, Number(c.env.MAX_NAMES) || 100);
  if (!ids.ok) return acmeProblem(c, ids.problem);
  let replaces: string | null = null;
  if (payload.value.replaces !== undefined) {
    const r = await checkReplaces(c.env, a.account!.id, payload.value.replaces, ids.value);
    if (isProblem(r)) return acmeProblem(c, r);
    replaces = r;
  }
  const profile = parseOrderProfile(payload.value.profile);
  if (isProblem(profile)) return acmeProblem(c, profile);
  const domains = ids.value.map(registeredDomain);
  const limited = (await checkNewOrder(c.env.DB, a.account!.id, limitsOf(c.env), now())) ?? (await checkDomains(c.env.DB, domains, limitsOf(c.env), now()));
  if (limited) return acmeProblem(c, limited.problem, { "retry-after": String(limited.retryAfter) });
  const order = await createOrder(c.env.DB, a.account!.id, ids.value, now(), replaces, profile);
  await recordDomainEvents(c.env.DB, domains, "order", now());
  const fresh = (await getOrder(c.env.DB, order.id, now())) ?? order;
  const u = urls(c);
  return acmeJson(c, orderJson(u, fresh), 201, { location: u.order(order.id) });
});

/**
 * RFC 9773 §5: `replaces` names (by certID) a certificate this account ordered, sharing at least
 * one identifier with the new order, that no other live order already replaces.
 */
async function checkReplaces(env: Env, accountId: string, value: unknown, identifiers: { type: string; value: string }[]): Promise<string | Problem> {
  const id = typeof value === "string" ? parseCertId(value) : null;
  if (!id) return problem(ProblemType.malformed, 400, '"replaces" must be an ARI certID: base64url(AKI keyIdentifier) "." base64url(serial)');
  const der = await getCertificateDer(env.DB, id.serial);
  const own = der ? certIdOf(der) : null;
  if (!own || !bytesEqual(own.aki, id.aki)) return problem(ProblemType.malformed, 400, `"replaces" names no certificate we issued`);
  if (!(await accountOwnsCertificate(env.DB, accountId, id.serial))) return problem(ProblemType.unauthorized, 403, "the certificate named by \"replaces\" was not ordered by this account");
  const record = await getCertificate(env.DB, id.serial);
  const names = new Set(record?.names ?? []);
  if (!identifiers.some((i) => names.has(`${i.type}:${i.value}`))) return problem(ProblemType.malformed, 400, 'the new order shares no identifier with the certificate it "replaces"');
  if (await orderReplacing(env.DB, own.id, now())) return problem(ProblemType.alreadyReplaced, 409, "another order already replaces this certificate", { title: "Conflict" });
  return own.id;
}

// ---- Renewal information (RFC 9773 §4) ----

acme.get("/renewal-info/:id", async (c) => {
  const id = parseCertId(c.req.param("id"));
  if (!id) return problemResponse(problem(ProblemType.malformed, 400, "not an ARI certID: base64url(AKI keyIdentifier) \".\" base64url(serial)"));
  const [record, der] = await Promise.all([getCertificate(c.env.DB, id.serial), getCertificateDer(c.env.DB, id.serial)]);
  const own = der ? certIdOf(der) : null;
  if (!record || !own || !bytesEqual(own.aki, id.aki)) return problemResponse(problem(ProblemType.malformed, 404, "we did not issue this certificate", { title: "Not Found" }));
  const advice = renewalAdvice({ notBefore: record.notBefore, notAfter: record.notAfter, revoked: record.status === "revoked" }, now());
  return c.json(advice.info, 200, { "retry-after": String(advice.retryAfter) });
});

acme.post("/order/:id", async (c) => {
  const a = await authenticated(c, "kid");
  if (a instanceof Response) return a;
  const bad = postAsGet(c, a);
  if (bad) return bad;
  const order = await getOrder(c.env.DB, c.req.param("id"), now());
  if (!order || order.accountId !== a.account!.id) return notFound(c, "order");
  return acmeJson(c, orderJson(urls(c), order));
});

acme.post("/order/:id/finalize", async (c) => {
  const a = await authenticated(c, "kid");
  if (a instanceof Response) return a;
  const u = urls(c);
  const order = await getOrder(c.env.DB, c.req.param("id"), now());
  if (!order || order.accountId !== a.account!.id) return notFound(c, "order");
  const payload = payloadObject(a.jws);
  if (!payload.ok) return acmeProblem(c, payload.problem);
  // §7.4: only a ready order is finalized.
  if (order.status !== "ready") return acmeProblem(c, problem(ProblemType.orderNotReady, 403, `the order is ${order.status}, not ready`));
  const csrText = payload.value.csr;
  const der = typeof csrText === "string" ? fromBase64Url(csrText) : null;
  if (!der || der.length === 0) return acmeProblem(c, problem(ProblemType.malformed, 400, '"csr" must be the base64url DER of a PKCS#10 request'));
  // The same CSR policy as the native API (src/x509/csr.ts).
  const checked = await checkCsr(der, { maxNames: Number(c.env.MAX_NAMES) || 100 });
  if (!checked.ok) return acmeProblem(c, checked.problem);
  // §7.4: the CSR names exactly the order's identifiers.
  const want = new Set(order.identifiers.map((i) => `${i.type}:${i.value}`));
  const got = new Set(checked.value.identifiers.map(identifierKey));
  if (want.size !== got.size || [...want].some((k) => !got.has(k))) {
    return acmeProblem(c, problem(ProblemType.badCSR, 400, `the CSR names ${[...got].join(", ")}; the order names ${[...want].join(", ")}`));
  }
  // RFC 8659: CAA is checked right before issuance, so a record published after validation counts.
  const caa = await orderCaa(c.env, order.authorizations, { issuerDomain: c.env.CA_DOMAIN ?? "", accountUri: u.account(a.account!.id) });
  if (caa) return acmeProblem(c, caa);
  if (!(await startFinalize(c.env.DB, order.id))) return acmeProblem(c, problem(ProblemType.orderNotReady, 403, "the order is already being finalized"));
  // Consensus (workers/consensus.ts): the validators check the signed finalize themselves.
  const issued = await issueWithQuorum(c.env, issueRequest(checked.value, DEFAULT_PROFILE, `acme:${a.account!.id}`, acmeProfile(order.profile).hierarchy === "pq" ? "pq" : undefined), signedRequest(a), (p) => c.executionCtx.waitUntil(p));
  if (isProblem(issued)) {
    await finishOrder(c.env.DB, order.id, { problem: issued });
    return acmeProblem(c, issued);
  }
  await finishOrder(c.env.DB, order.id, { serial: issued.serial });
  const done = await getOrder(c.env.DB, order.id, now());
  return acmeJson(c, orderJson(u, done!), 200, { location: u.order(order.id) });
});

// ---- Authorizations and challenges (§7.5) ----

acme.post("/authz/:id", async (c) => {
  const a = await authenticated(c, "kid");
  if (a instanceof Response) return a;
  const authz = await getAuthorization(c.env.DB, c.req.param("id"), now());
  if (!authz || authz.accountId !== a.account!.id) return notFound(c, "authorization");
  if (a.jws.payloadText !== "") {
    // §7.5.2: the client may deactivate an authorization.
    const payload = payloadObject(a.jws);
    if (!payload.ok) return acmeProblem(c, payload.problem);
    if (payload.value.status !== "deactivated") return acmeProblem(c, problem(ProblemType.malformed, 400, 'an authorization\'s status can only be set to "deactivated"'));
    await deactivateAuthorization(c.env.DB, authz.id);
    return acmeJson(c, authzJson(urls(c), (await getAuthorization(c.env.DB, authz.id, now()))!));
  }
  return acmeJson(c, authzJson(urls(c), authz));
});

acme.post("/chall/:id", async (c) => {
  const a = await authenticated(c, "kid");
  if (a instanceof Response) return a;
  const u = urls(c);
  const ch = await getChallenge(c.env.DB, c.req.param("id"));
  const authz = ch ? await getAuthorization(c.env.DB, ch.authzId, now()) : null;
  if (!ch || !authz || authz.accountId !== a.account!.id) return notFound(c, "challenge");
  const up = { link: `<${u.authz(authz.id)}>;rel="up"` };
  // POST-as-GET reads the challenge; a JSON object ({} in practice) asks to validate it (§7.5.1).
  if (a.jws.payloadText === "") return acmeJson(c, challengeJson(u, ch), 200, up);
  const payload = payloadObject(a.jws);
  if (!payload.ok) return acmeProblem(c, payload.problem);
  const domain = registeredDomain(authz.identifier);
  if (authz.status === "pending") {
    const limited =
      (await checkFailedValidations(c.env.DB, a.account!.id, limitsOf(c.env), now())) ?? (await checkDomains(c.env.DB, [domain], limitsOf(c.env), now(), ["failed"]));
    if (limited) return acmeProblem(c, limited.problem, { "retry-after": String(limited.retryAfter) });
  }
  if (authz.status !== "pending" || !(await startChallenge(c.env.DB, ch.id))) {
    return acmeJson(c, challengeJson(u, (await getChallenge(c.env.DB, ch.id))!), 200, up);
  }
  // Multi-perspective validation (workers/consensus.ts): every validator checks from its own
  // vantage point; the challenge is valid when a quorum of them confirmed control.
  const outcome = await confirmFromQuorum(c.env, ch.id, a.account!.id);
  await finishChallenge(c.env.DB, ch, outcome, now());
  if (!outcome.ok) await recordDomainEvents(c.env.DB, [domain], "failed", now());
  return acmeJson(c, challengeJson(u, (await getChallenge(c.env.DB, ch.id))!), 200, up);
});

// ---- Certificates (§7.4.2) ----

acme.post("/cert/:serial", (c) => certificateChain(c, 0));
acme.post("/cert/:serial/:chain{[1-9][0-9]*}", (c) => certificateChain(c, Number(c.req.param("chain"))));

/**
 * Chain 0 is the default: leaf and its issuing CA (current or retired). A leaf of a classical
 * issuing CA has one alternate (RFC 8555 §7.4.2), chain 1: leaf → that issuing CA cross-certified
 * by the ML-DSA-87 root → that root, for clients that choose the post-quantum root (lego
 * --preferred-chain). Each response links the other chains as rel="alternate".
 */
async function certificateChain(c: AppContext, n: number): Promise<Response> {
  const a = await authenticated(c, "kid");
  if (a instanceof Response) return a;
  const bad = postAsGet(c, a);
  if (bad) return bad;
  const serial = c.req.param("serial")!;
  if (!(await accountOwnsCertificate(c.env.DB, a.account!.id, serial))) return notFound(c, "certificate");
  const [record, der, cas] = await Promise.all([getCertificate(c.env.DB, serial), getCertificateDer(c.env.DB, serial), caSigner(c.env).certificates()]);
  if (!record || !der || isProblem(cas)) return acmeProblem(c, problem(ProblemType.serverInternal, 500, "the certificate or its issuer is not available"));
  const issuing = [cas.issuing, ...cas.retired, cas.pq.issuing, ...cas.pq.retired].find((i) => i.id === record.issuerId);
  if (!issuing) return acmeProblem(c, problem(ProblemType.serverInternal, 500, "the certificate's issuer is not one of this CA's issuing CAs"));
  const cross = cas.pq.cross.find((x) => x.issuingId === issuing.id);
  const chains = [issuing.pem, ...(cross ? [cross.pem + cas.pq.root.pem] : [])];
  if (n >= chains.length) return notFound(c, "certificate chain");
  const u = urls(c);
  const h = await acmeHeaders(c, { "content-type": "application/pem-certificate-chain" });
  h.append("link", `<${caUrls(c.env.PUBLIC_URL).caIssuers(n === 0 || !cross ? record.issuerId : cross.id)}>;rel="up"`);
  for (let i = 0; i < chains.length; i++) if (i !== n) h.append("link", `<${i === 0 ? u.certificate(serial) : u.alternateChain(serial, i)}>;rel="alternate"`);
  return new Response(toPem("CERTIFICATE", der) + chains[n], { headers: h });
}

// ---- Revocation (§7.6) ----

/**
 * revokeCert, signed either by the account that ordered the certificate ("kid") or by the
 * certificate's own key ("jwk"): the presented certificate must be one we issued, byte for byte.
 */
acme.post("/revoke-cert", async (c) => {
  const a = await authenticated(c, "either");
  if (a instanceof Response) return a;
  const payload = payloadObject(a.jws);
  if (!payload.ok) return acmeProblem(c, payload.problem);
  const req = parseRevokeRequest(payload.value);
  if (!req.ok) return acmeProblem(c, req.problem);
  const stored = await getCertificateDer(c.env.DB, req.value.serial);
  if (!stored || !bytesEqual(stored, req.value.der)) return acmeProblem(c, problem(ProblemType.malformed, 404, "we did not issue this certificate", { title: "Not Found" }));
  const allowed = a.account
    ? await accountOwnsCertificate(c.env.DB, a.account.id, req.value.serial)
    : await jwkToSpki(a.jwk).then((spki) => spki !== null && bytesEqual(spki, req.value.spkiDer));
  if (!allowed) return acmeProblem(c, problem(ProblemType.unauthorized, 403, a.account ? "this account did not order the certificate" : "the JWS key is not the certificate's key"));
  const revoked = await revokeWithQuorum(c.env, req.value.serial, req.value.reason, a.account ? `acme:${a.account.id}` : `acme-key:${a.thumbprint}`, signedRequest(a), (p) => c.executionCtx.waitUntil(p));
  if (isProblem(revoked)) return acmeProblem(c, revoked.type === ProblemType.alreadyRevoked ? { ...revoked, status: 400 } : revoked);
  return new Response(null, { status: 200, headers: await acmeHeaders(c) });
});
