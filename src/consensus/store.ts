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

/** One statement inserting the quorum certificates of a batch of certificates (rows as one JSON parameter). */
export function insertQuorumsStatement(db: D1Database, rows: readonly StoredQuorum[]): D1PreparedStatement {
  const values = rows.map((r) => [r.serial, r.requestHash, JSON.stringify(r.request), JSON.stringify(r.qc)]);
  return db
    .prepare("INSERT INTO certificate_quorums (serial, request_hash, request, quorum) SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?)")
    .bind(JSON.stringify(values));
}

export async function quorumOf(db: D1Database, serial: string): Promise<StoredQuorum | null> {
  const r = await db.prepare("SELECT serial, request_hash, request, quorum FROM certificate_quorums WHERE serial = ?").bind(serial).first<{ serial: string; request_hash: string; request: string; quorum: string }>();
  return r ? { serial: r.serial, requestHash: r.request_hash, request: JSON.parse(r.request) as ConsensusRequest, qc: JSON.parse(r.quorum) as QuorumCertificate } : null;
}

/**
 * Conflicting earlier votes for these votes' requests: the other verdict by the same validator,
 * among recorded votes (rejections and votes submitted to validate_proofs) and the approvals
 * inside stored quorum certificates.
 */
async function conflicts(db: D1Database, votes: readonly SignedVote[]): Promise<[SignedVote, SignedVote][]> {
  const hashes = [...new Set(votes.map((v) => v.body.requestHash))];
  if (hashes.length === 0) return [];
  const marks = hashes.map(() => "?").join(",");
  const [recorded, quorums] = await db.batch<{ vote?: string; quorum?: string }>([
    db.prepare(`SELECT vote FROM consensus_votes WHERE request_hash IN (${marks})`).bind(...hashes),
    db.prepare(`SELECT quorum FROM certificate_quorums WHERE request_hash IN (${marks})`).bind(...hashes),
  ]);
  const earlier: SignedVote[] = [
    ...recorded!.results.map((r) => JSON.parse(r.vote!) as SignedVote),
    ...quorums!.results.flatMap((r) => (JSON.parse(r.quorum!) as QuorumCertificate).votes),
  ];
  const out: [SignedVote, SignedVote][] = [];
  for (const v of votes) {
    const prior = earlier.find((e) => e.body.validator === v.body.validator && e.body.requestHash === v.body.requestHash && e.body.verdict !== v.body.verdict);
    if (prior) out.push([prior, v]);
  }
  return out;
}

/**
 * After a request settled. Approvals are kept by the CaSigner with the certificate (certificate_
 * quorums), where a later contradicting vote submitted to validate_proofs finds them; so the
 * common case — every validator approved a request whose hash was just made — touches nothing.
 * Rejections and failures are checked against earlier votes and recorded, with the history of
 * validators that did not answer with a valid vote.
 */
export async function recordSettled(db: D1Database, reports: readonly ValidatorReport[], now: number): Promise<[SignedVote, SignedVote][]> {
  const notable = reports.filter((r) => r.result !== "approve");
  if (notable.length === 0) return [];
  const found = await conflicts(db, reports.flatMap((r) => (r.vote ? [r.vote] : [])));
  {
    await db.batch([
      ...notable.flatMap((r) => (r.vote ? [db.prepare("INSERT OR IGNORE INTO consensus_votes (request_hash, validator, verdict, vote, seen_at) VALUES (?, ?, ?, ?, ?)").bind(r.vote.body.requestHash, r.vote.body.validator, r.vote.body.verdict, JSON.stringify(r.vote), now)] : [])),
      ...notable.filter((r) => r.result !== "reject").map((r) => db.prepare(`INSERT INTO consensus_validator_stats (validator, ${r.result}) VALUES (?, 1) ON CONFLICT (validator) DO UPDATE SET ${r.result} = ${r.result} + 1`).bind(r.id)),
    ]);
  }
  return found;
}

/** Records submitted votes as seen and returns earlier votes that conflict with them (equivocation). */
export async function recordVotes(db: D1Database, votes: readonly SignedVote[], now: number): Promise<[SignedVote, SignedVote][]> {
  if (votes.length === 0) return [];
  const found = await conflicts(db, votes);
  await db.batch(votes.map((v) => db.prepare("INSERT OR IGNORE INTO consensus_votes (request_hash, validator, verdict, vote, seen_at) VALUES (?, ?, ?, ?, ?)").bind(v.body.requestHash, v.body.validator, v.body.verdict, JSON.stringify(v), now)));
  return found;
}

export async function recordEquivocation(db: D1Database, validator: string): Promise<void> {
  await db.prepare("INSERT INTO consensus_validator_stats (validator, equivocations) VALUES (?, 1) ON CONFLICT (validator) DO UPDATE SET equivocations = equivocations + 1").bind(validator).run();
}

/** approve and reject come from the validator's own record of its votes; the rest from D1. */
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
