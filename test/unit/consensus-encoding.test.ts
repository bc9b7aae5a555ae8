// The consensus encodings: canonical bytes are independent of key order, request hashes change
// with any field, and the parsers of what arrives over HTTP (requests, votes, quorum
// certificates, credentials, audit bundles) refuse malformed input without throwing (fuzzed).

import { describe, expect, it } from "vitest";
import { decodeEntry, splitBundle, bundleEntries, encodeEntry } from "../../src/audit/entry.ts";
import { encodeCanonical } from "../../src/consensus/canonical.ts";
import { parseCredentials } from "../../src/consensus/credentials.ts";
import { consensusPolicy, workBits } from "../../src/consensus/policy.ts";
import { parseQuorum } from "../../src/consensus/quorum.ts";
import { type ConsensusRequest, parseRequest, requestHash } from "../../src/consensus/request.ts";
import { parseVote } from "../../src/consensus/vote.ts";
import { mulberry32 } from "../support/prng.ts";

const request: ConsensusRequest = {
  v: 1,
  operation: "issue",
  subject: { kind: "issue", spki: "AAAA", keyKind: "ecdsa", keyLabel: "ecdsa-p256", identifiers: ["dns:a.example"], profile: "shortlived" },
  requester: "token:abc",
  timestamp: 1_700_000_000_000,
  nonce: "0".repeat(32),
};

describe("canonical encoding and request hashes", () => {
  it("sorts keys, drops undefined members and refuses non-integers", () => {
    expect(encodeCanonical({ b: 1, a: [true, null, "x"], c: undefined })).toBe('{"a":[true,null,"x"],"b":1}');
    expect(() => encodeCanonical({ a: 1.5 })).toThrow(RangeError);
  });

  it("hashes the same request the same way whatever its key order, and differently when any field changes", async () => {
    const reordered = JSON.parse(JSON.stringify({ nonce: request.nonce, timestamp: request.timestamp, requester: request.requester, subject: request.subject, operation: request.operation, v: 1 })) as ConsensusRequest;
    const h = await requestHash(request);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(await requestHash(reordered)).toBe(h);
    expect(await requestHash({ ...request, nonce: "1".repeat(32) })).not.toBe(h);
    expect(await requestHash({ ...request, timestamp: request.timestamp + 1 })).not.toBe(h);
    expect(await requestHash({ ...request, subject: { ...request.subject, identifiers: ["dns:b.example"] } as ConsensusRequest["subject"] })).not.toBe(h);
    expect(parseRequest(JSON.parse(JSON.stringify(request)))).toEqual(request);
  });

  it("computes f and the quorum from N, and asks work only of anonymous requesters", () => {
    expect(consensusPolicy({}).quorum).toBe(3);
    expect(consensusPolicy({ VALIDATOR_COUNT: "7" })).toMatchObject({ faulty: 2, quorum: 5 });
    expect(consensusPolicy({ VALIDATOR_COUNT: "1" })).toMatchObject({ faulty: 0, quorum: 1 });
    const p = consensusPolicy({});
    expect(workBits(p, "acme:x")).toBe(0);
    expect(workBits(p, "token:x")).toBe(0);
    expect(workBits(p, "anonymous")).toBe(16);
  });

  it("round-trips audit entries through bundles", () => {
    const entries = [{ actor: "token:a", operation: "consensus.issue", target: "dns:a", requestHash: "ab".repeat(32), time: 1 }, { actor: "x", operation: "y", target: "", requestHash: "", time: 2 }];
    const split = splitBundle(bundleEntries(entries.map(encodeEntry)))!;
    expect(split.map(decodeEntry)).toEqual(entries);
    expect(splitBundle(new Uint8Array([0, 5, 1]))).toBeNull();
  });
});

describe("fuzzing the consensus parsers", () => {
  const rnd = mulberry32(0x5eed6);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const values: unknown[] = [null, true, 0, -1, 1.5, "", "x", "a".repeat(70), [], {}, 2 ** 60, "approve", "issue", 1];
  function mutate(v: unknown, depth = 0): unknown {
    if (depth > 3 || rnd() < 0.15) return pick(values);
    if (Array.isArray(v)) return rnd() < 0.3 ? [...v, mutate(pick(v.length ? v : values), depth + 1)] : v.map((x) => (rnd() < 0.3 ? mutate(x, depth + 1) : x));
    if (typeof v === "object" && v !== null) {
      const o: Record<string, unknown> = { ...(v as Record<string, unknown>) };
      const keys = Object.keys(o);
      if (keys.length && rnd() < 0.3) delete o[pick(keys)];
      else if (keys.length) o[pick(keys)] = mutate(o[pick(keys)], depth + 1);
      return o;
    }
    return pick(values);
  }
  const vote = { body: { v: 1, requestHash: "ab".repeat(32), operation: "issue", verdict: "approve", proofs: { stake: { ok: true, detail: "" }, time: { ok: true, detail: "" }, space: { ok: true, detail: "" }, work: { ok: true, detail: "" } }, validator: "validator-0", vantage: "default", issuedAt: 1, expiresAt: 2 }, signatures: [{ alg: "Ed25519", keyId: "00", sig: "AA" }] };

  it("never throws, and accepts only well-formed values", () => {
    for (let i = 0; i < 3000; i++) {
      const r = mutate(request);
      const v = mutate(vote);
      const q = mutate({ v: 1, requestHash: "ab".repeat(32), operation: "issue", votes: [vote] });
      const c = mutate({ kind: "bearer", token: "tc_x" });
      const parsedRequest = parseRequest(r);
      if (parsedRequest) expect(parsedRequest.v).toBe(1);
      const parsedVote = parseVote(v);
      if (parsedVote) expect(parsedVote.body.requestHash).toMatch(/^[0-9a-f]{64}$/);
      parseQuorum(q);
      parseCredentials(c);
      decodeEntry(new Uint8Array(Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256))));
    }
    expect(parseCredentials({ kind: "system" })).toBeNull();
  });
});
