// Helpers for consensus tests inside workerd: operator actions through the API, a validator's
// real signing key (read from its object's storage and unsealed with the deployment's KEK, as an
// attacker who compromised that one validator would hold it), signed votes, ACME issuance.

import { env, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { hashToken } from "../../src/auth/tokens.ts";
import { importKek, unsealKey } from "../../src/ca/key-vault.ts";
import type { StoredValidatorKey } from "../../src/consensus/validator-store.ts";
import { type SignedVote, type VoteBody, keyIdOf } from "../../src/consensus/vote.ts";
import { signVoteBatch } from "../../src/consensus/vote-batch.ts";
import { fromBase64Url } from "../../src/encoding/bytes.ts";
import type { HybridSigner } from "../../src/crypto/hybrid.ts";
import { openVoteSigner } from "../../src/consensus/validator.ts";
import { AcmeClient, BASE, type OrderJson, type AuthzJson, b64u } from "./acme-client.ts";
import { call, makeCsr } from "./worker-helpers.ts";

export const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { "content-type": "application/json" } });

export async function suspend(admin: string, id: string): Promise<void> {
  const r = await call(`/consensus/validators/${id}/suspend`, { method: "POST", token: admin, ...json({ reason: "maintenance (test)" }) });
  expect(r.status, await r.clone().text()).toBe(200);
}

export async function resume(admin: string, id: string): Promise<void> {
  expect((await call(`/consensus/validators/${id}/resume`, { method: "POST", token: admin })).status).toBe(200);
}

export async function tokenId(token: string): Promise<string> {
  const row = await env.DB.prepare("SELECT id FROM api_tokens WHERE token_hash = ?").bind(await hashToken(token)).first<{ id: string }>();
  return row!.id;
}

/** The private keys (Ed25519 and ML-DSA-44 or FALCON-1024: the hybrid vote key) of validator `id`, taken out of its Durable Object's storage. */
export async function stealValidatorKey(id: string): Promise<{ signer: HybridSigner; keyId: string }> {
  await env.VALIDATOR.get(env.VALIDATOR.idFromName(id)).identity(id);
  const stored = await runInDurableObject(env.VALIDATOR.get(env.VALIDATOR.idFromName(id)), async (_i, state) => {
    const row = state.storage.sql.exec<{ value: string }>("SELECT value FROM validator_meta WHERE key = 'key'").toArray()[0]!;
    return JSON.parse(row.value) as StoredValidatorKey;
  });
  const kek = (await importKek(env.CA_KEK)) as CryptoKey;
  const pkcs8 = await unsealKey(kek, `validator/${id}`, stored.key);
  const signer = await openVoteSigner(kek, id, pkcs8, stored.hybrid!);
  return { signer, keyId: await keyIdOf(signer.publicKey) };
}

/** Only the classical Ed25519 key of validator `id`. */
export async function stealEd25519Key(id: string): Promise<{ key: CryptoKey; keyId: string }> {
  await env.VALIDATOR.get(env.VALIDATOR.idFromName(id)).identity(id);
  const stored = await runInDurableObject(env.VALIDATOR.get(env.VALIDATOR.idFromName(id)), async (_i, state) => {
    const row = state.storage.sql.exec<{ value: string }>("SELECT value FROM validator_meta WHERE key = 'key'").toArray()[0]!;
    return JSON.parse(row.value) as StoredValidatorKey;
  });
  const pkcs8 = await unsealKey((await importKek(env.CA_KEK)) as CryptoKey, `validator/${id}`, stored.key);
  return { key: await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]), keyId: await keyIdOf(fromBase64Url(stored.publicKey)!) };
}

export async function forgeVote(stolen: { signer: HybridSigner; keyId: string }, body: Partial<VoteBody> & Pick<VoteBody, "requestHash" | "validator">): Promise<SignedVote> {
  const now = Date.now();
  const ok = { ok: true, detail: "approved without looking" };
  const [vote] = await signVoteBatch(
    [{ v: 1, operation: "issue", verdict: "approve", proofs: { stake: ok, time: ok, space: ok, work: ok }, vantage: "default", issuedAt: now, expiresAt: now + 60_000, ...body }],
    stolen.signer,
    stolen.keyId,
  );
  return vote!;
}

/** An ACME account with a valid dns-01 authorization for `name` in hosted zone `zone`, and a ready order. */
export async function readyOrder(admin: string, names: string[]): Promise<{ client: AcmeClient; order: OrderJson; url: string }> {
  const client = await AcmeClient.create();
  await client.register();
  const r = await client.post(`${BASE}/acme/new-order`, { identifiers: names.map((value) => ({ type: "dns", value })) });
  expect(r.status).toBe(201);
  const url = r.headers.get("location")!;
  const order = (await r.json()) as OrderJson;
  for (const authzUrl of order.authorizations) {
    const authz = (await (await client.post(authzUrl, "")).json()) as AuthzJson;
    const ch = authz.challenges.find((c) => c.type === "dns-01")!;
    const keyAuth = `${ch.token}.${await client.thumbprint()}`;
    const p = await call("/api/v1/dns01/present", { method: "POST", token: admin, ...json({ domain: authz.identifier.value, token: ch.token, keyAuth }) });
    expect(p.status).toBe(200);
    const v = await client.post(ch.url, {});
    expect(((await v.json()) as { status: string }).status, "challenge validated by a quorum").toBe("valid");
  }
  return { client, order: (await (await client.post(url, "")).json()) as OrderJson, url };
}

export async function finalize(client: AcmeClient, order: OrderJson, names: string[]): Promise<Response> {
  const csr = await makeCsr("p256", names);
  return client.post(order.finalize, { csr: b64u(csr.der) });
}
