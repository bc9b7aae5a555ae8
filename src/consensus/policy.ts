// Consensus policy: how many validators there are, how many may fail (f = floor((N-1)/3)), the
// quorum (2f+1), clock skew, vote lifetime and proof-of-work difficulty.

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
}

export interface PolicyVars {
  VALIDATOR_COUNT?: string;
  CONSENSUS_VOTE_TIMEOUT_MS?: string;
  CONSENSUS_ANONYMOUS_WORK_BITS?: string;
}

const int = (s: string | undefined, fallback: number, min: number, max: number): number => {
  const n = Number(s);
  return s !== undefined && s !== "" && Number.isInteger(n) && n >= min && n <= max ? n : fallback;
};

export function consensusPolicy(vars: PolicyVars): ConsensusPolicy {
  const validatorCount = int(vars.VALIDATOR_COUNT, 4, 1, 64);
  const faulty = Math.floor((validatorCount - 1) / 3);
  return {
    validatorCount,
    faulty,
    quorum: 2 * faulty + 1,
    maxSkewMs: 30_000,
    voteLifetimeMs: 120_000,
    voteTimeoutMs: int(vars.CONSENSUS_VOTE_TIMEOUT_MS, 2000, 50, 60_000),
    anonymousWorkBits: int(vars.CONSENSUS_ANONYMOUS_WORK_BITS, 16, 0, 32),
  };
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
