// Batch signatures of votes (src/consensus/vote.ts, vote-batch.ts): every vote of a batch verifies
// on its own, nothing about it can be changed, a batch signature cannot pass as a single-vote
// signature or back, and a validator under load signs many votes with one signature.

import { describe, expect, it } from "vitest";
import { hybridKeygen, hybridSigner } from "../../src/crypto/hybrid.ts";
import { toBase64Url } from "../../src/encoding/bytes.ts";
import { VoteBatchSigner, signVoteBatch } from "../../src/consensus/vote-batch.ts";
import { type SignedVote, VOTE_ALGORITHM, type ValidatorIdentity, type VoteBody, VerifiedSignatures, keyIdOf, parseVote, voteBytes, voteSignedBy } from "../../src/consensus/vote.ts";

async function validatorKey(): Promise<{ identity: ValidatorIdentity; sign: Awaited<ReturnType<typeof hybridSigner>>; keyId: string }> {
  const pair = await hybridKeygen("ed25519+ml-dsa-44");
  const sign = await hybridSigner(pair);
  const keyId = await keyIdOf(pair.publicKey);
  const identity: ValidatorIdentity = {
    id: "validator-0",
    alg: "Ed25519",
    publicKey: toBase64Url(pair.publicKey.subarray(1, 33)),
    keyId: await keyIdOf(pair.publicKey.subarray(1, 33)),
    hybrid: { alg: VOTE_ALGORITHM["ed25519+ml-dsa-44"], publicKey: toBase64Url(pair.publicKey), keyId, statement: "" },
  };
  return { identity, sign, keyId };
}

function body(i: number, verdict: VoteBody["verdict"] = "approve"): VoteBody {
  const ok = { ok: true, detail: "checked" };
  const now = 1_800_000_000_000;
  return { v: 1, requestHash: i.toString(16).padStart(64, "0"), operation: "issue", verdict, proofs: { stake: ok, time: ok, space: ok, work: ok }, validator: "validator-0", vantage: "weur", issuedAt: now, expiresAt: now + 60_000 };
}

const roundTrip = (v: SignedVote): SignedVote => parseVote(JSON.parse(JSON.stringify(v)))!;

describe("vote batch signatures", () => {
  it("each vote of batches of 1 to 33 verifies alone, after a JSON round trip, with one signature per batch", async () => {
    const k = await validatorKey();
    for (const n of [1, 2, 3, 5, 8, 33]) {
      const votes = await signVoteBatch(Array.from({ length: n }, (_, i) => body(i)), k.sign, k.keyId);
      expect(new Set(votes.map((v) => v.signatures[0]!.sig)).size).toBe(1);
      for (const [i, v] of votes.entries()) {
        expect(v.signatures[0]!.batch).toMatchObject({ size: n, index: i });
        expect(await voteSignedBy(roundTrip(v), k.identity), `vote ${i} of ${n}`).toBe(true);
      }
    }
  });

  it("refuses a vote whose body, place or proof was changed, or that moved to another batch", async () => {
    const k = await validatorKey();
    const votes = await signVoteBatch([0, 1, 2, 3, 4].map((i) => body(i)), k.sign, k.keyId);
    const other = await signVoteBatch([7, 8, 9, 10, 11].map((i) => body(i)), k.sign, k.keyId);
    const v = votes[2]!;
    const s = v.signatures[0]!;
    const changed: SignedVote[] = [
      { ...v, body: { ...v.body, verdict: "reject" } },
      { ...v, body: { ...v.body, expiresAt: v.body.expiresAt + 1 } },
      { ...v, signatures: [{ ...s, batch: { ...s.batch!, index: 3 } }] },
      { ...v, signatures: [{ ...s, batch: { ...s.batch!, size: 6 } }] },
      { ...v, signatures: [{ ...s, batch: { ...s.batch!, path: s.batch!.path.slice(1) } }] },
      { ...v, signatures: [{ ...s, batch: { ...s.batch!, path: [toBase64Url(new Uint8Array(32)), ...s.batch!.path.slice(1)] } }] },
      { ...v, signatures: [{ ...s, sig: other[2]!.signatures[0]!.sig }] },
      // The batch signature without its proof is not a signature over the vote itself.
      { ...v, signatures: [{ alg: s.alg, keyId: s.keyId, sig: s.sig }] },
    ];
    for (const [i, c] of changed.entries()) expect(await voteSignedBy(c, k.identity), `change ${i}`).toBe(false);
    // A signature over one vote's bytes does not pass as a batch signature of a batch of one.
    const single = toBase64Url(await k.sign.sign(voteBytes(v.body)));
    expect(await voteSignedBy({ ...v, signatures: [{ alg: s.alg, keyId: s.keyId, sig: single }] }, k.identity)).toBe(true);
    expect(await voteSignedBy({ ...v, signatures: [{ alg: s.alg, keyId: s.keyId, sig: single, batch: { size: 1, index: 0, path: [] } }] }, k.identity)).toBe(false);
  });

  it("a verifier checks a batch's signature once and each further vote by its proof", async () => {
    const k = await validatorKey();
    const votes = await signVoteBatch([0, 1, 2, 3].map((i) => body(i)), k.sign, k.keyId);
    const verified = new VerifiedSignatures();
    expect(await voteSignedBy(votes[0]!, k.identity, verified)).toBe(true);
    // With the signature remembered, a forged signature string no longer matches the memo: still refused.
    const forged = { ...votes[1]!, signatures: [{ ...votes[1]!.signatures[0]!, sig: votes[1]!.signatures[0]!.sig.replace(/^./, (c) => (c === "A" ? "B" : "A")) }] };
    expect(await voteSignedBy(forged, k.identity, verified)).toBe(false);
    const t0 = performance.now();
    for (const v of votes.slice(1)) expect(await voteSignedBy(v, k.identity, verified)).toBe(true);
    const tampered = { ...votes[3]!, body: { ...votes[3]!.body, verdict: "reject" as const } };
    expect(await voteSignedBy(tampered, k.identity, verified)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("a validator's signer puts votes decided meanwhile into one batch", async () => {
    const k = await validatorKey();
    const signer = new VoteBatchSigner(k.sign, k.keyId);
    const votes = await Promise.all(Array.from({ length: 20 }, (_, i) => signer.sign(body(i, i % 2 ? "approve" : "reject"))));
    const batches = new Set(votes.map((v) => v.signatures[0]!.sig));
    expect(batches.size).toBeLessThanOrEqual(2);
    expect(votes.map((v) => v.body.requestHash)).toEqual(Array.from({ length: 20 }, (_, i) => body(i).requestHash));
    for (const v of votes) expect(await voteSignedBy(v, k.identity)).toBe(true);
  });

  it("parses only well-formed batch proofs", () => {
    const good = { size: 4, index: 1, path: [toBase64Url(new Uint8Array(32)), toBase64Url(new Uint8Array(32))] };
    const vote = (batch: unknown) => ({ body: body(0), signatures: [{ alg: "Ed25519+ML-DSA-44", keyId: "00", sig: "AA", batch }] });
    expect(parseVote(vote(good))).not.toBeNull();
    for (const bad of [
      { ...good, size: 0 },
      { ...good, size: 257 },
      { ...good, index: 4 },
      { ...good, index: -1 },
      { ...good, index: 1.5 },
      { ...good, path: "AA" },
      { ...good, path: [toBase64Url(new Uint8Array(31))] },
      { ...good, path: Array.from({ length: 9 }, () => toBase64Url(new Uint8Array(32))) },
      { ...good, path: [7] },
      null,
      "batch",
    ]) expect(parseVote(vote(bad)), JSON.stringify(bad)).toBeNull();
  });
});
