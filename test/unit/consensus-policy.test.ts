// VALIDATOR_PQ_ALGORITHMS: which post-quantum algorithm each validator's vote key pairs with
// Ed25519, assigned round-robin; a setting with an unknown name gives no algorithm at all.

import { describe, expect, it } from "vitest";
import { consensusPolicy, voteScheme } from "../../src/consensus/policy.ts";

describe("vote key algorithms per validator", () => {
  it("alternates ML-DSA-44 and FALCON-1024 by default, so no lattice problem covers a quorum", () => {
    const p = consensusPolicy({});
    expect(["validator-0", "validator-1", "validator-2", "validator-3"].map((id) => voteScheme(p, id))).toEqual([
      "ed25519+ml-dsa-44",
      "ed25519+falcon-1024",
      "ed25519+ml-dsa-44",
      "ed25519+falcon-1024",
    ]);
    // Any quorum (3 of 4) holds both algorithms.
    expect(p.quorum).toBe(3);
  });

  it("assigns a configured list round-robin, case and spaces aside", () => {
    const p = consensusPolicy({ VALIDATOR_COUNT: "7", VALIDATOR_PQ_ALGORITHMS: " FALCON-1024 , ml-dsa-44,ml-dsa-44" });
    expect(Array.from({ length: 7 }, (_, i) => voteScheme(p, `validator-${i}`))).toEqual([
      "ed25519+falcon-1024", "ed25519+ml-dsa-44", "ed25519+ml-dsa-44",
      "ed25519+falcon-1024", "ed25519+ml-dsa-44", "ed25519+ml-dsa-44",
      "ed25519+falcon-1024",
    ]);
    expect(voteScheme(consensusPolicy({ VALIDATOR_PQ_ALGORITHMS: "ml-dsa-44" }), "validator-1")).toBe("ed25519+ml-dsa-44");
  });

  it("names the problem instead of guessing when the setting has an unknown algorithm", () => {
    for (const setting of ["ml-dsa-44,falcon-512", "ml-dsa-44,", "sphincs"]) {
      const scheme = voteScheme(consensusPolicy({ VALIDATOR_PQ_ALGORITHMS: setting }), "validator-0");
      expect(typeof scheme === "object" && scheme.error, setting).toMatch(/^VALIDATOR_PQ_ALGORITHMS names .*; known: ml-dsa-44, falcon-1024$/);
    }
    expect(voteScheme(consensusPolicy({}), "coordinator")).toEqual({ error: "coordinator is not a validator id" });
  });
});
