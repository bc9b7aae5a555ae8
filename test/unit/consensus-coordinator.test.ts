// The coordinator with validators that time out: with f of 4 silent it still assembles a quorum
// certificate (without waiting for them when 2f+1 approved); with f+1 silent it answers after the
// per-validator deadline with a problem naming the validators that did not answer.

import { describe, expect, it } from "vitest";
import { type CoordinatorPorts, type ValidatorClient, gatherQuorum } from "../../src/consensus/coordinator.ts";
import { consensusPolicy } from "../../src/consensus/policy.ts";
import { newRequest } from "../../src/consensus/request.ts";
import { VOTE_ALGORITHM, type ValidatorIdentity, hybridKeyStatement, keyIdOf } from "../../src/consensus/vote.ts";
import { signVoteBatch } from "../../src/consensus/vote-batch.ts";
import { hybridKeygen, hybridSigner } from "../../src/crypto/hybrid.ts";
import { toBase64Url } from "../../src/encoding/bytes.ts";
import { isProblem } from "../../src/problem.ts";

async function validator(id: string, silent: boolean): Promise<ValidatorClient> {
  const pair = await hybridKeygen("ed25519+ml-dsa-44");
  const signer = await hybridSigner(pair);
  const edPublic = toBase64Url(pair.publicKey.subarray(1, 33));
  const hybridPublic = toBase64Url(pair.publicKey);
  const statement = toBase64Url(await signer.sign(hybridKeyStatement(id, edPublic, hybridPublic)));
  const identity: ValidatorIdentity = {
    id,
    alg: "Ed25519",
    publicKey: edPublic,
    keyId: await keyIdOf(pair.publicKey.subarray(1, 33)),
    hybrid: { alg: VOTE_ALGORITHM["ed25519+ml-dsa-44"], publicKey: hybridPublic, keyId: await keyIdOf(pair.publicKey), statement },
  };
  const ok = { ok: true, detail: "" };
  return {
    id,
    identity: async () => identity,
    confirm: () => new Promise(() => undefined),
    vote: async (request) => {
      if (silent) return new Promise(() => undefined);
      const { requestHash } = await import("../../src/consensus/request.ts");
      const now = Date.now();
      const [vote] = await signVoteBatch(
        [{ v: 1, requestHash: await requestHash(request), operation: request.operation, verdict: "approve", proofs: { stake: ok, time: ok, space: ok, work: ok }, validator: id, vantage: "default", issuedAt: now, expiresAt: now + 60_000 }],
        signer,
        identity.hybrid!.keyId,
      );
      return vote!;
    },
  };
}

async function ports(silent: number, voteTimeoutMs = 200): Promise<CoordinatorPorts> {
  const ids = [`timeout-${silent}-0`, `timeout-${silent}-1`, `timeout-${silent}-2`, `timeout-${silent}-3`];
  return {
    policy: { ...consensusPolicy({}), voteTimeoutMs },
    validators: await Promise.all(ids.map((id, i) => validator(id, i < silent))),
    audit: async () => 7,
    quarantined: async () => new Set(),
    now: () => Date.now(),
  };
}

const request = () => newRequest("crl", { kind: "crl", trigger: "scheduled" }, "system:cron", Date.now());

describe("coordinator deadlines", () => {
  it("builds a quorum certificate with f = 1 validator timing out, without waiting for it", async () => {
    // A deadline far above the time three votes take, even on a loaded machine: the answer must
    // come well before it, since the silent validator is not waited for.
    const p = await ports(1, 3000);
    const t0 = Date.now();
    const out = await gatherQuorum(p, request(), { kind: "system" });
    expect(isProblem(out), JSON.stringify(out)).toBe(false);
    if (isProblem(out)) return;
    expect(out.qc.votes).toHaveLength(3);
    expect(out.auditIndex).toBe(7);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it("refuses with f + 1 = 2 validators timing out, naming them", async () => {
    const out = await gatherQuorum(await ports(2), request(), { kind: "system" });
    expect(isProblem(out)).toBe(true);
    if (!isProblem(out)) return;
    expect(out.status).toBe(503);
    expect(out.detail).toContain("2 of 4 validators approved, 3 needed");
    expect(out.detail).toContain("timeout-2-0: unavailable (timeout-2-0 did not answer within 200 ms)");
  });
});
