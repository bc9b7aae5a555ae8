// Quorum certificates: at least 2f+1 approving votes, from distinct pinned validators that are
// not quarantined, for exactly one request hash, each unexpired and validly signed. The CaSigner
// runs verifyQuorum itself before it signs anything; validate_proofs runs it for anyone.

import { type Problem, ProblemType, problem } from "../problem.ts";
import type { ConsensusPolicy } from "./policy.ts";
import { OPERATIONS, type Operation } from "./request.ts";
import { type SignedVote, type ValidatorIdentity, type VerifiedSignatures, parseVote, voteSignedBy } from "./vote.ts";

export interface QuorumCertificate {
  v: 1;
  requestHash: string;
  operation: Operation;
  votes: SignedVote[];
}

export interface QuorumContext {
  /** The pinned validator set, by id. */
  identities: ReadonlyMap<string, ValidatorIdentity>;
  quarantined: ReadonlySet<string>;
  policy: ConsensusPolicy;
  now: number;
  /** The verifier's record of signatures it already checked (batch signatures cover many votes). */
  verified?: VerifiedSignatures;
}

const refused = (detail: string): Problem => problem(ProblemType.unauthorized, 403, `quorum certificate refused: ${detail}`);

/** Why one vote does not count toward this request, or null when it does. */
export async function voteFault(vote: SignedVote, requestHash: string, operation: Operation, ctx: QuorumContext): Promise<string | null> {
  const b = vote.body;
  const identity = ctx.identities.get(b.validator);
  if (!identity) return `${b.validator} is not a validator of this CA`;
  if (ctx.quarantined.has(b.validator)) return `${b.validator} is quarantined`;
  if (b.requestHash !== requestHash) return `${b.validator}'s vote is for request ${b.requestHash.slice(0, 16)}…, not ${requestHash.slice(0, 16)}…`;
  if (b.operation !== operation) return `${b.validator}'s vote is for a ${b.operation}, not a ${operation}`;
  if (b.verdict !== "approve") return `${b.validator} rejected the request`;
  if (b.expiresAt <= ctx.now) return `${b.validator}'s vote expired at ${new Date(b.expiresAt).toISOString()}`;
  if (b.issuedAt > ctx.now + ctx.policy.maxSkewMs || b.expiresAt - b.issuedAt > ctx.policy.voteLifetimeMs) return `${b.validator}'s vote has an impossible validity period`;
  if (!(await voteSignedBy(vote, identity, ctx.verified))) return `${b.validator}'s vote signature does not verify against its pinned key`;
  return null;
}

/** Null when the certificate authorizes `operation` on `requestHash`; otherwise why not. */
export async function verifyQuorum(qc: QuorumCertificate, requestHash: string, operation: Operation, ctx: QuorumContext): Promise<Problem | null> {
  if (qc.requestHash !== requestHash) return refused(`it is for request ${qc.requestHash.slice(0, 16)}…, not the request presented (${requestHash.slice(0, 16)}…)`);
  if (qc.operation !== operation) return refused(`it approves a ${qc.operation}, not a ${operation}`);
  const seen = new Set<string>();
  for (const vote of qc.votes) {
    if (seen.has(vote.body.validator)) return refused(`${vote.body.validator} votes more than once`);
    seen.add(vote.body.validator);
    const fault = await voteFault(vote, requestHash, operation, ctx);
    if (fault) return refused(fault);
  }
  if (seen.size < ctx.policy.quorum) return refused(`${seen.size} approving votes; ${ctx.policy.quorum} of ${ctx.policy.validatorCount} validators are needed`);
  return null;
}

/** Two validly signed votes of one validator with different verdicts for one request: equivocation. */
export function findEquivocations(votes: readonly SignedVote[]): [SignedVote, SignedVote][] {
  const first = new Map<string, SignedVote>();
  const out: [SignedVote, SignedVote][] = [];
  for (const v of votes) {
    const key = `${v.body.validator} ${v.body.requestHash}`;
    const prior = first.get(key);
    if (!prior) first.set(key, v);
    else if (prior.body.verdict !== v.body.verdict) out.push([prior, v]);
  }
  return out;
}

export function parseQuorum(v: unknown): QuorumCertificate | null {
  if (typeof v !== "object" || v === null) return null;
  const q = v as Record<string, unknown>;
  if (q.v !== 1 || typeof q.requestHash !== "string" || !(OPERATIONS as readonly unknown[]).includes(q.operation) || !Array.isArray(q.votes) || q.votes.length > 64) return null;
  const votes = q.votes.map(parseVote);
  if (votes.some((x) => x === null)) return null;
  return { v: 1, requestHash: q.requestHash, operation: q.operation as Operation, votes: votes as SignedVote[] };
}
