// Consensus under attack (issue 6): the CaSigner verifies every quorum certificate itself and
// refuses tampered ones (changed hash, duplicated voter, forged or expired vote) and replays; a
// Byzantine validator holding its real key cannot get a certificate for a name the requester
// does not control; an equivocating validator is caught, quarantined and reported at once.

import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { QuorumCertificate } from "../../src/consensus/quorum.ts";
import { type ConsensusRequest, issueSubject, newRequest, requestHash } from "../../src/consensus/request.ts";
import { type SignedVote, voteSignedBy } from "../../src/consensus/vote.ts";
import { issueRequest } from "../../src/ca/issuance.ts";
import { DEFAULT_PROFILE } from "../../src/ca/profiles.ts";
import { isProblem } from "../../src/problem.ts";
import { checkCsr } from "../../src/x509/csr.ts";
import { forgeVote, json, stealValidatorKey, tokenId } from "../support/consensus-helpers.ts";
import { AcmeClient, BASE, b64u } from "../support/acme-client.ts";
import { call, countRows, makeCsr, mintToken } from "../support/worker-helpers.ts";

const signer = () => env.CA_SIGNER.get(env.CA_SIGNER.idFromName("classical"));
let admin: string;
let issuer: string;
let issuerId: string;

beforeAll(async () => {
  admin = await mintToken("admin");
  issuer = await mintToken("issuer");
  issuerId = await tokenId(issuer);
  // The victim's zone is hosted here, so every validator's dns-01 lookup gets a real answer.
  expect((await call("/api/v1/zones", { method: "POST", token: admin, ...json({ name: "quorum-byz.test" }) })).status).toBe(201);
});

async function issuance(names: string[], requester = `token:${issuerId}`): Promise<ConsensusRequest> {
  const csr = await makeCsr("p256", names);
  const checked = await checkCsr(csr.der as Uint8Array<ArrayBuffer>, { maxNames: 100 });
  if (!checked.ok) throw new Error(checked.problem.detail);
  return newRequest("issue", issueSubject(issueRequest(checked.value, DEFAULT_PROFILE, requester)), requester, Date.now());
}

/** A real quorum certificate from the validators, through the public endpoint. */
async function quorumFor(request: ConsensusRequest, credentials: unknown = { kind: "bearer", token: issuer }): Promise<QuorumCertificate> {
  const r = await call("/consensus/validate_certificate", { method: "POST", ...json({ request, credentials }) });
  const body = (await r.json()) as { quorum_certificate: QuorumCertificate; request_hash: string };
  expect(r.status, JSON.stringify(body)).toBe(200);
  expect(body.request_hash).toBe(await requestHash(request));
  return body.quorum_certificate;
}

async function refusedBySigner(request: ConsensusRequest, qc: QuorumCertificate, why: RegExp): Promise<void> {
  const before = await countRows("certificates");
  const out = await signer().issue(request, qc);
  expect(isProblem(out), JSON.stringify(out)).toBe(true);
  expect((out as { detail: string }).detail).toMatch(why);
  expect(await countRows("certificates")).toBe(before);
}

describe("the CaSigner verifies quorum certificates itself", () => {
  it("signs with a real quorum certificate, once", async () => {
    const request = await issuance(["once.example"]);
    const qc = await quorumFor(request);
    const issued = await signer().issue(request, qc);
    expect(isProblem(issued), JSON.stringify(issued)).toBe(false);
    // The same request and quorum certificate again: a replay.
    await refusedBySigner(request, qc, /already acted on/);
  });

  it("refuses an old quorum certificate replayed for a new request", async () => {
    const old = await issuance(["old.example"]);
    const qc = await quorumFor(old);
    expect(isProblem(await signer().issue(old, qc))).toBe(false);
    const fresh = await issuance(["old.example"]);
    await refusedBySigner(fresh, qc, /it is for request/);
    // Another name under the old approval is a different request too.
    await refusedBySigner({ ...old, subject: { ...old.subject, identifiers: ["dns:victim.example"] } as ConsensusRequest["subject"] }, qc, /it is for request/);
  });

  it("refuses a changed hash, a duplicated voter, a forged vote and an expired vote", async () => {
    const request = await issuance(["tamper.example"]);
    const qc = await quorumFor(request);
    const hash = await requestHash(request);
    // Changed hash: every vote still names the real request.
    await refusedBySigner(request, { ...qc, requestHash: hash.replace(/^./, (c) => (c === "0" ? "1" : "0")) }, /it is for request/);
    // Duplicated voter: three votes, two of them by one validator.
    await refusedBySigner(request, { ...qc, votes: [qc.votes[0]!, qc.votes[0]!, qc.votes[1]!] }, /votes more than once/);
    // Too few: two real votes.
    await refusedBySigner(request, { ...qc, votes: qc.votes.slice(0, 2) }, /2 approving votes; 3 of 4/);
    // Forged: a vote whose body was altered after signing, and one whose signature is noise.
    const altered: SignedVote = { ...qc.votes[2]!, body: { ...qc.votes[2]!.body, vantage: "elsewhere" } };
    await refusedBySigner(request, { ...qc, votes: [qc.votes[0]!, qc.votes[1]!, altered] }, /signature does not verify/);
    const noise: SignedVote = { ...qc.votes[2]!, signatures: [{ ...qc.votes[2]!.signatures[0]!, sig: b64u(crypto.getRandomValues(new Uint8Array(64))) }] };
    await refusedBySigner(request, { ...qc, votes: [qc.votes[0]!, qc.votes[1]!, noise] }, /signature does not verify/);
    // Expired: validly signed with the validator's own key, but past its expiry.
    const third = qc.votes[2]!.body.validator;
    const expired = await forgeVote(await stealValidatorKey(third), { requestHash: hash, validator: third, issuedAt: Date.now() - 100_000, expiresAt: Date.now() - 1000 });
    await refusedBySigner(request, { ...qc, votes: [qc.votes[0]!, qc.votes[1]!, expired] }, /expired/);
    // The untampered certificate still works.
    expect(isProblem(await signer().issue(request, qc))).toBe(false);
  });
});

describe("a Byzantine validator", () => {
  it("that approves everything cannot get a certificate for a name the requester does not control", async () => {
    const byzantine = await stealValidatorKey("validator-0");
    const client = await AcmeClient.create();
    await client.register();
    const accountId = client.kid!.split("/").pop()!;
    // The attacker orders a name it does not control; the honest validators' checks fail.
    const r = await client.post(`${BASE}/acme/new-order`, { identifiers: [{ type: "dns", value: "victim.quorum-byz.test" }] });
    const order = (await r.json()) as { authorizations: string[]; finalize: string };
    const authz = (await (await client.post(order.authorizations[0]!, "")).json()) as { challenges: { type: string; url: string }[] };
    const ch = (await (await client.post(authz.challenges.find((c) => c.type === "dns-01")!.url, {})).json()) as { status: string };
    expect(ch.status).toBe("invalid");

    // It then asks the validators directly, signing a finalize for the victim name.
    const request = await issuance(["victim.quorum-byz.test"], `acme:${accountId}`);
    const csr = await makeCsr("p256", ["victim.quorum-byz.test"]);
    const jws = JSON.parse(await client.sign(order.finalize, { csr: b64u(csr.der) })) as { protected: string; payload: string; signature: string };
    const asked = await call("/consensus/validate_certificate", { method: "POST", ...json({ request, credentials: { kind: "acme-jws", ...jws } }) });
    const problem = (await asked.json()) as { type: string; detail: string };
    expect(asked.status).toBe(403);
    expect(problem.detail).toMatch(/0 of 4 approved/);

    // The Byzantine validator approves with its real key; that is one vote of the three needed,
    // and the honest validators' rejections cannot be turned into approvals without their keys.
    const hash = await requestHash(request);
    const byzVote = await forgeVote(byzantine, { requestHash: hash, validator: "validator-0" });
    await refusedBySigner(request, { v: 1, requestHash: hash, operation: "issue", votes: [byzVote] }, /1 approving votes; 3 of 4/);
    const relabelled = ["validator-1", "validator-2"].map((id) => ({ ...byzVote, body: { ...byzVote.body, validator: id } }));
    await refusedBySigner(request, { v: 1, requestHash: hash, operation: "issue", votes: [byzVote, ...relabelled] }, /signature does not verify/);
  });
});

describe("equivocation", () => {
  it("is detected, quarantined and reported within a second, with verifiable evidence", async () => {
    const stolen = await stealValidatorKey("validator-1");
    const request = await issuance(["equivocation.example"]);
    const hash = await requestHash(request);
    const approveVote = await forgeVote(stolen, { requestHash: hash, validator: "validator-1", verdict: "approve" });
    const rejectVote = await forgeVote(stolen, { requestHash: hash, validator: "validator-1", verdict: "reject" });

    const t0 = Date.now();
    const r = await call("/consensus/validate_proofs", { method: "POST", ...json({ votes: [approveVote, rejectVote] }) });
    const body = (await r.json()) as { equivocations: unknown[]; quarantined: { validator: string }[] };
    expect(r.status).toBe(200);
    expect(body.quarantined.map((q) => q.validator)).toEqual(["validator-1"]);

    const status = (await (await call("/consensus/validation_status")).json()) as {
      status: string;
      alerts: { validator: string }[];
      counters: { quarantined_validators: number; equivocations_detected_total: number };
      validators: { id: string; trust_score: number; quarantined: unknown; public_key: { alg: "Ed25519"; key: string; key_id: string } }[];
      evidence: { validator: string; evidence: { kind: string; votes: SignedVote[] } }[];
    };
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(status.status).toBe("degraded");
    expect(status.alerts.map((a) => a.validator)).toContain("validator-1");
    expect(status.counters.quarantined_validators).toBe(1);
    expect(status.counters.equivocations_detected_total).toBe(1);
    const v1 = status.validators.find((v) => v.id === "validator-1")!;
    expect(v1.trust_score).toBe(0);
    expect(v1.quarantined).not.toBeNull();
    // The evidence verifies against the published key: two verdicts, one request, one signer.
    const evidence = status.evidence.find((e) => e.validator === "validator-1")!.evidence;
    expect(evidence.kind).toBe("equivocation");
    const identity = { id: "validator-1", alg: v1.public_key.alg, publicKey: v1.public_key.key, keyId: v1.public_key.key_id };
    expect(evidence.votes.map((v) => v.body.verdict).sort()).toEqual(["approve", "reject"]);
    for (const v of evidence.votes) expect(await voteSignedBy(v, identity)).toBe(true);

    // Its votes no longer count, at the CaSigner too; the three others still make a quorum.
    const next = await issuance(["after-quarantine.example"]);
    const qc = await quorumFor(next);
    expect(qc.votes.map((v) => v.body.validator)).not.toContain("validator-1");
    const v1vote = await forgeVote(stolen, { requestHash: await requestHash(next), validator: "validator-1" });
    await refusedBySigner(next, { ...qc, votes: [qc.votes[0]!, qc.votes[1]!, v1vote] }, /validator-1 is quarantined/);
    expect(isProblem(await signer().issue(next, qc))).toBe(false);

    // An operator lifts the quarantine.
    expect((await call("/consensus/validators/validator-1/release", { method: "POST", token: admin })).status).toBe(200);
  });

  it("is detected against the approval stored with an issued certificate", async () => {
    const request = await issuance(["stored-approval.example"]);
    const qc = await quorumFor(request);
    expect(isProblem(await signer().issue(request, qc))).toBe(false);
    const voter = qc.votes[0]!.body.validator;
    const contradiction = await forgeVote(await stealValidatorKey(voter), { requestHash: qc.requestHash, validator: voter, verdict: "reject" });
    const body = (await (await call("/consensus/validate_proofs", { method: "POST", ...json({ votes: [contradiction] }) })).json()) as { quarantined: { validator: string }[]; equivocations: { votes: SignedVote[] }[] };
    expect(body.quarantined.map((q) => q.validator)).toEqual([voter]);
    expect(body.equivocations[0]!.votes.map((v) => v.body.verdict)).toEqual(["approve", "reject"]);
    expect((await call(`/consensus/validators/${voter}/release`, { method: "POST", token: admin })).status).toBe(200);
  });

  it("refuses evidence that is not signed by the validator", async () => {
    const stolen = await stealValidatorKey("validator-2");
    const request = await issuance(["framed.example"]);
    const hash = await requestHash(request);
    const real = await forgeVote(stolen, { requestHash: hash, validator: "validator-2", verdict: "approve" });
    const framed: SignedVote = { ...real, body: { ...real.body, verdict: "reject" } };
    const body = (await (await call("/consensus/validate_proofs", { method: "POST", ...json({ votes: [real, framed] }) })).json()) as { quarantined: unknown[]; votes: { signature_valid: boolean }[] };
    expect(body.quarantined).toEqual([]);
    expect(body.votes.map((v) => v.signature_valid)).toEqual([true, false]);
  });
});
