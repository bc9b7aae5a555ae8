// The CaSigner's side of consensus: it signs nothing without a quorum certificate it verified
// itself. It pins each validator's public keys (Ed25519 and the hybrid Ed25519 + ML-DSA-44 or
// FALCON-1024 vote key) the first time it needs them (asking that validator's own object, not the
// coordinator) and refuses different keys afterwards, except a vote key its pinned vote key
// handed over to; it keeps the
// quarantine list and the evidence behind it; and it records every request hash it acted on, so
// an old quorum certificate cannot authorize a second operation.

import { type Problem, ProblemType, problem } from "../problem.ts";
import { type ConsensusPolicy, validatorIds } from "./policy.ts";
import { type QuorumCertificate, verifyQuorum } from "./quorum.ts";
import { type ConsensusRequest, type Operation, requestHash } from "./request.ts";
import { type SignedVote, type ValidatorIdentity, VerifiedSignatures, hybridKeyEndorsed, rolloverEndorsed, voteSignedBy } from "./vote.ts";

export type Evidence =
  /** Two validly signed votes of one validator, for one request, with different verdicts. */
  | { kind: "equivocation"; votes: [SignedVote, SignedVote] }
  /** A vote the validator itself returned to the coordinator that does not verify. */
  | { kind: "invalid-vote"; vote: SignedVote; detail: string };

export interface Quarantine {
  validator: string;
  since: number;
  reason: string;
  evidence: Evidence;
}

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS consensus_pinned (validator TEXT PRIMARY KEY, identity TEXT NOT NULL, pinned_at INTEGER NOT NULL)",
  "CREATE TABLE IF NOT EXISTS consensus_quarantine (validator TEXT PRIMARY KEY, since INTEGER NOT NULL, reason TEXT NOT NULL, evidence TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS consensus_used (request_hash TEXT PRIMARY KEY, operation TEXT NOT NULL, used_at INTEGER NOT NULL)",
  "CREATE INDEX IF NOT EXISTS consensus_used_at ON consensus_used (used_at)",
];

/** Used request hashes are kept well past any request's freshness window. */
const USED_RETENTION_MS = 24 * 3600 * 1000;
/** How often a validator whose votes name a key other than its pinned one is asked for its keys again. */
const RECHECK_MS = 1000;

export class QuorumGuard {
  #pinned = new Map<string, ValidatorIdentity>();
  #quarantined = new Set<string>();
  // This object's own record of vote signatures it verified: a batch signature is checked once.
  readonly #verified = new VerifiedSignatures();
  #sincePrune = 0;
  #rechecked = new Map<string, number>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly policy: ConsensusPolicy,
    private readonly fetchIdentity: (id: string) => Promise<ValidatorIdentity | Problem>,
  ) {
    for (const s of SCHEMA) sql.exec(s);
    for (const r of sql.exec<{ validator: string; identity: string }>("SELECT validator, identity FROM consensus_pinned").toArray()) this.#pinned.set(r.validator, JSON.parse(r.identity) as ValidatorIdentity);
    for (const r of sql.exec<{ validator: string }>("SELECT validator FROM consensus_quarantine").toArray()) this.#quarantined.add(r.validator);
  }

  /**
   * Pins the configured validators not pinned yet (trust on first use, from each validator's own
   * object), and extends pins made before hybrid votes with the validator's hybrid key. A pin is
   * made or extended only with a hybrid key its Ed25519 key endorsed (hybridKeyEndorsed); an
   * extension must carry the very Ed25519 key already pinned, so a validator whose Ed25519 key
   * changed is never re-pinned. A pinned vote key is replaced only when `votes` show the validator
   * signing with another key and the validator presents a chain of rollover statements from the
   * pinned vote key to the new one (rolloverEndorsed: signed by the pinned key's Ed25519 and
   * post-quantum halves, so breaking Ed25519 alone cannot swap the post-quantum half).
   */
  async #pin(ids: Iterable<string>, votes: readonly SignedVote[] = []): Promise<void> {
    const configured = new Set(validatorIds(this.policy));
    const now = Date.now();
    const keyChanged = (id: string, keyId: string) => {
      if (votes.every((v) => v.body.validator !== id || v.signatures.some((s) => s.keyId === keyId))) return false;
      if (now - (this.#rechecked.get(id) ?? 0) < RECHECK_MS) return false;
      this.#rechecked.set(id, now);
      return true;
    };
    await Promise.all(
      [...new Set(ids)].filter((id) => {
        const hybrid = this.#pinned.get(id)?.hybrid;
        return configured.has(id) && (!hybrid || keyChanged(id, hybrid.keyId));
      }).map(async (id) => {
        const identity = await this.fetchIdentity(id).catch(() => null);
        if (!identity || !("publicKey" in identity) || identity.id !== id || !(await hybridKeyEndorsed(identity))) return;
        const before = this.#pinned.get(id);
        if (before && (before.publicKey !== identity.publicKey || before.alg !== identity.alg)) {
          console.error(`ALERT: validator ${id} presents an Ed25519 key other than its pinned one (${before.keyId}): not re-pinned`);
          return;
        }
        if (before?.hybrid) {
          if (before.hybrid.publicKey === identity.hybrid!.publicKey) return;
          if (!(await rolloverEndorsed(before.hybrid, identity))) {
            console.error(`ALERT: validator ${id} presents a vote key (${identity.hybrid!.keyId}) its pinned vote key (${before.hybrid.keyId}) did not hand over to: not re-pinned`);
            return;
          }
        }
        const pinned: ValidatorIdentity = { id, alg: identity.alg, publicKey: identity.publicKey, keyId: identity.keyId, hybrid: identity.hybrid };
        this.#pinned.set(id, pinned);
        if (before) this.sql.exec("UPDATE consensus_pinned SET identity = ? WHERE validator = ?", JSON.stringify(pinned), id);
        else this.sql.exec("INSERT OR IGNORE INTO consensus_pinned (validator, identity, pinned_at) VALUES (?, ?, ?)", id, JSON.stringify(pinned), Date.now());
      }),
    );
  }

  quarantined(): Set<string> {
    return new Set(this.#quarantined);
  }

  /** The pinned validator keys; `votes` signed by other keys make their validators' pins be checked for a rollover first. */
  async pinned(votes: readonly SignedVote[] = []): Promise<ValidatorIdentity[]> {
    await this.#pin(validatorIds(this.policy), votes);
    return [...this.#pinned.values()];
  }

  quarantines(): Quarantine[] {
    return this.sql
      .exec<{ validator: string; since: number; reason: string; evidence: string }>("SELECT validator, since, reason, evidence FROM consensus_quarantine ORDER BY since")
      .toArray()
      .map((r) => ({ validator: r.validator, since: r.since, reason: r.reason, evidence: JSON.parse(r.evidence) as Evidence }));
  }

  /**
   * Checks a quorum certificate for `operation` on `request` and, when it holds, consumes the
   * request hash. Null means: sign.
   */
  async authorize(request: ConsensusRequest, qc: QuorumCertificate, operation: Operation, now: number): Promise<Problem | null> {
    if (request.operation !== operation) return problem(ProblemType.unauthorized, 403, `the request is a ${request.operation}, not a ${operation}`);
    if (Math.abs(now - request.timestamp) > this.policy.maxSkewMs) return problem(ProblemType.unauthorized, 403, "quorum certificate refused: the request is not fresh");
    const hash = await requestHash(request);
    await this.#pin(qc.votes.map((v) => v.body.validator), qc.votes);
    const refused = await verifyQuorum(qc, hash, operation, { identities: this.#pinned, quarantined: this.#quarantined, policy: this.policy, now, verified: this.#verified });
    if (refused) return refused;
    // Checked and recorded with no await in between: the object runs one event at a time.
    if (this.sql.exec("SELECT 1 FROM consensus_used WHERE request_hash = ?", hash).toArray().length > 0) {
      return problem(ProblemType.unauthorized, 403, `quorum certificate refused: request ${hash.slice(0, 16)}… was already acted on`);
    }
    this.sql.exec("INSERT INTO consensus_used (request_hash, operation, used_at) VALUES (?, ?, ?)", hash, operation, now);
    if (++this.#sincePrune >= 1000) {
      this.#sincePrune = 0;
      this.sql.exec("DELETE FROM consensus_used WHERE used_at < ?", now - USED_RETENTION_MS);
    }
    return null;
  }

  /**
   * Quarantines a validator on evidence. Equivocation evidence is verified here against the
   * pinned key; an invalid vote is reported by the coordinator that received it from the
   * validator's own object.
   */
  async report(evidence: Evidence, now: number): Promise<Quarantine | Problem> {
    let validator: string;
    let reason: string;
    if (evidence.kind === "equivocation") {
      const [a, b] = evidence.votes;
      validator = a.body.validator;
      if (b.body.validator !== validator || a.body.requestHash !== b.body.requestHash || a.body.verdict === b.body.verdict) {
        return problem(ProblemType.malformed, 400, "equivocation evidence is two votes of one validator for one request with different verdicts");
      }
      await this.#pin([validator], evidence.votes);
      const identity = this.#pinned.get(validator);
      if (!identity || !(await voteSignedBy(a, identity)) || !(await voteSignedBy(b, identity))) {
        return problem(ProblemType.malformed, 400, `the votes are not both signed by ${validator}'s pinned key`);
      }
      reason = `signed both ${a.body.verdict} and ${b.body.verdict} for request ${a.body.requestHash}`;
    } else {
      validator = evidence.vote.body.validator;
      if (!validatorIds(this.policy).includes(validator)) return problem(ProblemType.malformed, 400, `${validator} is not a validator`);
      reason = `returned a vote that fails verification: ${evidence.detail}`;
    }
    const existing = this.quarantines().find((q) => q.validator === validator);
    if (existing) return existing;
    this.#quarantined.add(validator);
    this.sql.exec("INSERT OR IGNORE INTO consensus_quarantine (validator, since, reason, evidence) VALUES (?, ?, ?, ?)", validator, now, reason, JSON.stringify(evidence));
    return { validator, since: now, reason, evidence };
  }

  /** An operator lifts a quarantine (after replacing the validator's key, for instance). */
  release(validator: string): boolean {
    const had = this.#quarantined.delete(validator);
    this.sql.exec("DELETE FROM consensus_quarantine WHERE validator = ?", validator);
    return had;
  }
}
