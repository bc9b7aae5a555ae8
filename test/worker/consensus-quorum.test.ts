// Consensus availability (issue 6): with f of N = 4 validators out of service (an operator's
// maintenance suspension), issuance through the native API and ACME still works; with f+1 out it
// is refused with a problem naming each validator, and nothing is signed or indexed. Every
// issuance here went through the real validators; its quorum certificate is served by the API
// and verifies against the validator keys.

import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ValidatorIdentity, hybridKeyEndorsed, voteSignedBy } from "../../src/consensus/vote.ts";
import type { QuorumCertificate } from "../../src/consensus/quorum.ts";
import { finalize, json, readyOrder, resume, suspend } from "../support/consensus-helpers.ts";
import { call, countRows, makeCsr, mintToken } from "../support/worker-helpers.ts";

const ZONE = "quorum.test";
let admin: string;
let issuer: string;

beforeAll(async () => {
  admin = await mintToken("admin");
  issuer = await mintToken("issuer");
  expect((await call("/api/v1/zones", { method: "POST", token: admin, ...json({ name: ZONE }) })).status).toBe(201);
});

afterEach(async () => {
  for (const id of ["validator-0", "validator-1", "validator-2", "validator-3"]) await resume(admin, id);
});

async function issueApi(names: string[]): Promise<Response> {
  const csr = await makeCsr("p256", names);
  return call("/api/v1/certificates", { method: "POST", body: csr.pem, token: issuer, headers: { "content-type": "application/x-pem-file" } });
}

describe("quorum availability", () => {
  it("issues through the native API with f = 1 validator down, and publishes who approved", async () => {
    await suspend(admin, "validator-3");
    const r = await issueApi(["api-f.quorum.test"]);
    const body = (await r.json()) as { serial: string };
    expect(r.status, JSON.stringify(body)).toBe(201);

    const q = await call(`/api/v1/certificates/${body.serial}/quorum`, { token: issuer });
    expect(q.status).toBe(200);
    const got = (await q.json()) as { request_hash: string; quorum_certificate: QuorumCertificate; validator_keys: ValidatorIdentity[]; request: { subject: { identifiers: string[] } } };
    expect(got.request.subject.identifiers).toEqual(["dns:api-f.quorum.test"]);
    expect(got.quorum_certificate.votes.length).toBeGreaterThanOrEqual(3);
    const voters = got.quorum_certificate.votes.map((v) => v.body.validator);
    expect(new Set(voters).size).toBe(voters.length);
    expect(voters).not.toContain("validator-3");
    for (const vote of got.quorum_certificate.votes) {
      expect(vote.body.requestHash).toBe(got.request_hash);
      expect(vote.body.verdict).toBe("approve");
      const key = got.validator_keys.find((k) => k.id === vote.body.validator)!;
      // Hybrid, announced by the validator's Ed25519 key; the PQ half alternates by default
      // (VALIDATOR_PQ_ALGORITHMS = "ml-dsa-44,falcon-1024"): validators 0 and 2 ML-DSA-44, 1 and 3 FALCON-1024.
      const alg = Number(vote.body.validator.slice("validator-".length)) % 2 === 0 ? "Ed25519+ML-DSA-44" : "Ed25519+FALCON-1024";
      expect(vote.signatures.map((s) => s.alg)).toEqual([alg]);
      expect(key.hybrid?.alg).toBe(alg);
      expect(await hybridKeyEndorsed(key)).toBe(true);
      expect(await voteSignedBy(vote, key)).toBe(true);
    }
    // With validator-3 out, validator-1 is among the voters: both algorithms approved this issuance.
    expect(new Set(got.quorum_certificate.votes.map((v) => v.signatures[0]!.alg))).toEqual(new Set(["Ed25519+ML-DSA-44", "Ed25519+FALCON-1024"]));
  });

  it("refuses with f + 1 = 2 validators down, signing nothing", async () => {
    await suspend(admin, "validator-2");
    await suspend(admin, "validator-3");
    const before = await countRows("certificates");
    const r = await issueApi(["api-f1.quorum.test"]);
    const p = (await r.json()) as { type: string; detail: string; subproblems: { detail: string }[] };
    expect(r.status).toBe(503);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(p.type).toBe("urn:ietf:params:acme:error:serverInternal");
    expect(p.detail).toContain("2 of 4 validators approved, 3 needed");
    expect(p.detail).toMatch(/validator-2: unavailable \(validator-2 is suspended/);
    expect(p.subproblems).toHaveLength(4);
    expect(await countRows("certificates")).toBe(before);
  });

  it("issues through ACME with f = 1 validator down; refuses with f + 1 down", async () => {
    const { client, order } = await readyOrder(admin, [`www.${ZONE}`]);
    await suspend(admin, "validator-0");
    const ok = await finalize(client, order, [`www.${ZONE}`]);
    expect(ok.status, await ok.clone().text()).toBe(200);
    expect(((await ok.json()) as { status: string }).status).toBe("valid");

    const second = await readyOrder(admin, [`mail.${ZONE}`]);
    await suspend(admin, "validator-1");
    const before = await countRows("certificates");
    const refused = await finalize(second.client, second.order, [`mail.${ZONE}`]);
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { detail: string }).detail).toContain("no quorum for the issue");
    expect(await countRows("certificates")).toBe(before);
  });

  it("a challenge is valid only when a quorum of validators confirmed it themselves", async () => {
    await suspend(admin, "validator-1");
    await suspend(admin, "validator-2");
    const { AcmeClient, BASE } = await import("../support/acme-client.ts");
    const client = await AcmeClient.create();
    await client.register();
    const r = await client.post(`${BASE}/acme/new-order`, { identifiers: [{ type: "dns", value: `two.${ZONE}` }] });
    const order = (await r.json()) as { authorizations: string[] };
    const authz = (await (await client.post(order.authorizations[0]!, "")).json()) as { challenges: { type: string; url: string; token: string }[] };
    const ch = authz.challenges.find((c) => c.type === "dns-01")!;
    await call("/api/v1/dns01/present", { method: "POST", token: admin, ...json({ domain: `two.${ZONE}`, token: ch.token, keyAuth: `${ch.token}.${await client.thumbprint()}` }) });
    const v = (await (await client.post(ch.url, {})).json()) as { status: string; error: { detail: string } };
    expect(v.status).toBe("invalid");
    expect(v.error.detail).toContain("control confirmed from 2 of 4 validator vantage points, 3 needed");
  });

  it("the scheduled CRL refresh goes through consensus", async () => {
    const { refreshCrlsWithQuorum } = await import("../../workers/consensus.ts");
    const { env } = await import("cloudflare:test");
    const done: Promise<unknown>[] = [];
    const out = await refreshCrlsWithQuorum(env, (p) => done.push(p));
    expect(Array.isArray(out), JSON.stringify(out)).toBe(true);
    await suspend(admin, "validator-0");
    await suspend(admin, "validator-1");
    const refused = (await refreshCrlsWithQuorum(env, (p) => done.push(p))) as { status: number };
    expect(refused.status).toBe(503);
    await Promise.all(done);
  });
});
