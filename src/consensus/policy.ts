// Consensus policy: how many validators there are, how many may fail (f = floor((N-1)/3)), the
// quorum (2f+1), clock skew, vote lifetime, proof-of-work difficulty, and which post-quantum
// algorithm each validator's vote key pairs with Ed25519.

import type { HybridScheme } from "../crypto/hybrid.ts";
import { intSetting } from "../settings.ts";

export interface ConsensusPolicy {
  validatorCount: number;
  faulty: number;
  quorum: number;
  /** How far a request's timestamp may be from a validator's clock. */
  maxSkewMs: number;
  /** How long a vote may be used after it was cast. */
  voteLifetimeMs: number;
  /** How long the coordinator waits for one validator. */
  voteTimeoutMs: number;
  /** Leading zero bits of work asked of requests without an authenticated requester. */
  anonymousWorkBits: number;
  /**
   * The vote keys' post-quantum halves, assigned to validators round-robin (validator-i gets
   * entry i mod length), or why VALIDATOR_PQ_ALGORITHMS is unusable (validators then refuse to
   * start rather than make keys under a configuration nobody meant).
   */
  voteSchemes: readonly HybridScheme[] | { error: string };
}

export interface PolicyVars {
  VALIDATOR_COUNT?: string;
  CONSENSUS_VOTE_TIMEOUT_MS?: string;
  CONSENSUS_ANONYMOUS_WORK_BITS?: string;
  VALIDATOR_PQ_ALGORITHMS?: string;
}

export function consensusPolicy(vars: PolicyVars): ConsensusPolicy {
  const validatorCount = intSetting(vars.VALIDATOR_COUNT, 4, 1, 64);
  const faulty = Math.floor((validatorCount - 1) / 3);
  return {
    validatorCount,
    faulty,
    quorum: 2 * faulty + 1,
    maxSkewMs: 30_000,
    voteLifetimeMs: 120_000,
    voteTimeoutMs: intSetting(vars.CONSENSUS_VOTE_TIMEOUT_MS, 2000, 50, 60_000),
    anonymousWorkBits: intSetting(vars.CONSENSUS_ANONYMOUS_WORK_BITS, 16, 0, 32),
    voteSchemes: voteSchemes(vars.VALIDATOR_PQ_ALGORITHMS),
  };
}

const PQ_ALGORITHMS: Record<string, HybridScheme> = { "ml-dsa-44": "ed25519+ml-dsa-44", "falcon-1024": "ed25519+falcon-1024" };
/**
 * Algorithm diversity by default: with a quorum of 3 of 4, a break of one lattice problem
 * (module-LWE for ML-DSA, NTRU for Falcon) reaches at most 2 validators' PQ halves.
 */
export const DEFAULT_PQ_ALGORITHMS = "ml-dsa-44,falcon-1024";

function voteSchemes(setting: string | undefined): readonly HybridScheme[] | { error: string } {
  const names = (setting?.trim() || DEFAULT_PQ_ALGORITHMS).split(",").map((s) => s.trim().toLowerCase());
  const unknown = names.filter((n) => !(n in PQ_ALGORITHMS));
  if (unknown.length > 0) return { error: `VALIDATOR_PQ_ALGORITHMS names ${unknown.map((n) => JSON.stringify(n)).join(", ")}; known: ${Object.keys(PQ_ALGORITHMS).join(", ")}` };
  return names.map((n) => PQ_ALGORITHMS[n]!);
}

/** The hybrid scheme of validator `id`'s vote key, or why the configuration gives none. */
export function voteScheme(p: ConsensusPolicy, id: string): HybridScheme | { error: string } {
  if (!Array.isArray(p.voteSchemes)) return p.voteSchemes as { error: string };
  const i = Number(/^validator-(\d+)$/.exec(id)?.[1]);
  if (!Number.isSafeInteger(i)) return { error: `${id} is not a validator id` };
  return p.voteSchemes[i % p.voteSchemes.length]!;
}

export const validatorIds = (p: ConsensusPolicy): string[] => Array.from({ length: p.validatorCount }, (_, i) => `validator-${i}`);

/**
 * Work asked of a requester: none from authenticated ACME accounts, certificate keys and API tokens (their stake
 * is their identity) nor from the CA's own scheduled work; anonymous requests pay.
 */
export function workBits(p: ConsensusPolicy, requester: string): number {
  const authenticated = ["acme:", "acme-key:", "token:"].some((k) => requester.startsWith(k)) || requester === "system:cron";
  return authenticated ? 0 : p.anonymousWorkBits;
}
