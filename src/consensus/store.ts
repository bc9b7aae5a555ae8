// Consensus records in D1: quorum certificates beside the certificates they authorized, the votes
// seen (for equivocation detection across requests and submissions), and validator history.

import type { ValidatorReport } from "./coordinator.ts";
import type { QuorumCertificate } from "./quorum.ts";
import type { ConsensusRequest } from "./request.ts";
import type { SignedVote } from "./vote.ts";

export interface StoredQuorum {
  serial: string;
  requestHash: string;
  request: ConsensusRequest;
  qc: QuorumCertificate;
}

export async function insertQuorums(db: D1Database, rows: readonly StoredQuorum[]): Promise<void> {
  if (rows.length === 0) return;
  await db.batch(rows.map((r) => db.prepare("INSERT INTO certificate_quorums (serial, request_hash, request, quorum) VALUES (?, ?, ?, ?)").bind(r.serial, r.requestHash, JSON.stringify(r.request), JSON.stringify(r.qc))));
}

export async function quorumOf(db: D1Database, serial: string): Promise<StoredQuorum | null> {
  const r = await db.prepare("SELECT serial, request_hash, request, quorum FROM certificate_quorums WHERE serial = ?").bind(serial).first<{ serial: string; request_hash: string; request: string; quorum: string }>();
  return r ? { serial: r.serial, requestHash: r.request_hash, request: JSON.parse(r.request) as ConsensusRequest, qc: JSON.parse(r.quorum) as QuorumCertificate } : null;
}

/**
 * After a request settled: records its votes as seen and the validators' history in one D1
 * batch, and returns earlier votes that conflict with them (equivocation).
 */
export async function recordSettled(db: D1Database, votes: readonly SignedVote[], reports: readonly ValidatorReport[], now: number): Promise<[SignedVote, SignedVote][]> {
  const results = await db.batch<{ vote: string }>([
    ...votes.map((v) => db.prepare("SELECT vote FROM consensus_votes WHERE request_hash = ? AND validator = ? AND verdict != ? LIMIT 1").bind(v.body.requestHash, v.body.validator, v.body.verdict)),
    ...votes.map((v) => db.prepare("INSERT OR IGNORE INTO consensus_votes (request_hash, validator, verdict, vote, seen_at) VALUES (?, ?, ?, ?, ?)").bind(v.body.requestHash, v.body.validator, v.body.verdict, JSON.stringify(v), now)),
    ...reports.map((r) => db.prepare(`INSERT INTO consensus_validator_stats (validator, ${r.result}) VALUES (?, 1) ON CONFLICT (validator) DO UPDATE SET ${r.result} = ${r.result} + 1`).bind(r.id)),
  ]);
  const out: [SignedVote, SignedVote][] = [];
  votes.forEach((v, i) => {
    const prior = results[i]!.results[0];
    if (prior) out.push([JSON.parse(prior.vote) as SignedVote, v]);
  });
  return out;
}

/**
 * Records votes as seen and returns, for each, a previously seen vote of the same validator for
 * the same request with the other verdict (equivocation), if any.
 */
export async function recordVotes(db: D1Database, votes: readonly SignedVote[], now: number): Promise<[SignedVote, SignedVote][]> {
  if (votes.length === 0) return [];
  const conflicts = await db.batch<{ vote: string }>(
    votes.map((v) => db.prepare("SELECT vote FROM consensus_votes WHERE request_hash = ? AND validator = ? AND verdict != ? LIMIT 1").bind(v.body.requestHash, v.body.validator, v.body.verdict)),
  );
  await db.batch(votes.map((v) => db.prepare("INSERT OR IGNORE INTO consensus_votes (request_hash, validator, verdict, vote, seen_at) VALUES (?, ?, ?, ?, ?)").bind(v.body.requestHash, v.body.validator, v.body.verdict, JSON.stringify(v), now)));
  const out: [SignedVote, SignedVote][] = [];
  conflicts.forEach((r, i) => {
    const prior = r.results[0];
    if (prior) out.push([JSON.parse(prior.vote) as SignedVote, votes[i]!]);
  });
  return out;
}

export async function recordEquivocation(db: D1Database, validator: string): Promise<void> {
  await db.prepare("INSERT INTO consensus_validator_stats (validator, equivocations) VALUES (?, 1) ON CONFLICT (validator) DO UPDATE SET equivocations = equivocations + 1").bind(validator).run();
}

export interface ValidatorHistory {
  approve: number;
  reject: number;
  unavailable: number;
  invalid: number;
  equivocations: number;
}

export async function validatorHistories(db: D1Database): Promise<Map<string, ValidatorHistory>> {
  const rows = await db.prepare("SELECT validator, approve, reject, unavailable, invalid, equivocations FROM consensus_validator_stats").all<ValidatorHistory & { validator: string }>();
  return new Map(rows.results.map((r) => [r.validator, { approve: r.approve, reject: r.reject, unavailable: r.unavailable, invalid: r.invalid, equivocations: r.equivocations }]));
}

/**
 * Trust in [0, 1] from history: the share of requests a validator answered with a valid vote,
 * zero once it equivocated or is quarantined. Rejections are honest answers and count as answered.
 */
export function trustScore(h: ValidatorHistory | undefined, quarantined: boolean): number {
  if (quarantined || (h && h.equivocations > 0)) return 0;
  if (!h) return 1;
  const answered = h.approve + h.reject;
  const total = answered + h.unavailable + h.invalid;
  return total === 0 ? 1 : Math.round((answered / total) * 1000) / 1000;
}
