// Consensus surfaces under /consensus and the pipeline's way to the quorum: every CA operation
// (issue, revoke, CRL, rotation) is voted on by the validators (src/consensus/coordinator.ts) and the
// CaSigner verifies the resulting quorum certificate before it signs.
//   POST /consensus/validate_certificate  ask the validator set to vote on a request
//   POST /consensus/validate_proofs       verify a quorum certificate or votes; detects equivocation
//   GET  /consensus/validation_status     validators, keys, trust scores, quarantine, evidence
//   POST /consensus/validators/:id/suspend|resume   operator maintenance (admin)

import { Hono } from "hono";
import type { Outcome } from "../src/acme/validation.ts";
import type { IssueRequest } from "../src/ca/issuance.ts";
import type { HierarchyName } from "../src/ca/pq-hierarchy.ts";
import { type ValidatorReport, type CoordinatorPorts, type Approved, type ValidatorClient, confirmChallenge, gatherQuorum } from "../src/consensus/coordinator.ts";
import { type Credentials, parseCredentials } from "../src/consensus/credentials.ts";
import { admitPublicRequest } from "../src/consensus/admission.ts";
import { consensusPolicy, validatorIds } from "../src/consensus/policy.ts";
import { findEquivocations, parseQuorum, verifyQuorum, voteFault } from "../src/consensus/quorum.ts";
import { type ConsensusRequest, issueSubject, newRequest, parseRequest, requestHash } from "../src/consensus/request.ts";
import { recordEquivocation, recordSettled, recordVotes, trustScore, validatorHistories } from "../src/consensus/store.ts";
import { type SignedVote, type ValidatorIdentity, VerifiedSignatures, parseVote, voteSignedBy } from "../src/consensus/vote.ts";
import { FETCH_TIMEOUT_MS } from "../src/acme/validation.ts";
import { getCertificate } from "../src/index/certificates.ts";
import { type Problem, ProblemType, isProblem, problem } from "../src/problem.ts";
import { CONSENSUS_EQUIVOCATIONS, CONSENSUS_QUORUM_SECONDS, CONSENSUS_VOTES, VALIDATOR_QUARANTINES } from "../src/metrics/catalog.ts";
import { metrics } from "../src/metrics/registry.ts";
import { audited } from "./audit-trail.ts";
import { type Env, auditLog, caSigner, validatorObject } from "./env.ts";
import { type AppEnv, problemResponse, readBody, requirePermission } from "./http.ts";

/** Work the request must outlive (background bookkeeping after the answer): ExecutionContext.waitUntil. */
export type Background = (p: Promise<unknown>) => void;

function clients(env: Env): ValidatorClient[] {
  return validatorIds(consensusPolicy(env)).map((id) => {
    const object = () => validatorObject(env, id);
    return {
      id,
      identity: () => object().identity(id),
      vote: (request, credentials, context) => object().vote(id, request, credentials, context),
      confirm: (challengeId, accountId) => object().confirm(id, challengeId, accountId),
    };
  });
}

/** Bookkeeping once every validator answered: history counters, seen votes, Byzantine evidence. */
async function settle(env: Env, reports: ValidatorReport[], equivocations: [SignedVote, SignedVote][]): Promise<void> {
  const seen = await recordSettled(env.DB, reports, Date.now());
  for (const pair of [...equivocations, ...seen]) await quarantine(env, { kind: "equivocation", votes: pair });
  for (const r of reports) if (r.result === "invalid" && r.vote) await quarantine(env, { kind: "invalid-vote", vote: r.vote, detail: r.detail });
}

/**
 * The quarantine list as the CaSigner keeps it, remembered for a second per isolate so an
 * issuance does not wait on a CaSigner round trip; a stale list costs at most a refused
 * signature (the CaSigner enforces its own list), never an accepted quarantined vote.
 */
// Resolved values only: a promise shared across requests could be left pending by a cancelled one.
let quarantineCache: { until: number; ids: Set<string> } | null = null;
const QUARANTINE_CACHE_MS = 1000;

async function quarantinedNow(env: Env): Promise<Set<string>> {
  const now = Date.now();
  if (quarantineCache && quarantineCache.until > now) return quarantineCache.ids;
  const ids = new Set(await caSigner(env).quarantinedValidators());
  quarantineCache = { until: now + QUARANTINE_CACHE_MS, ids };
  return ids;
}

async function reportByzantine(env: Env, evidence: Parameters<ReturnType<typeof caSigner>["reportByzantine"]>[0]) {
  const asked = Date.now();
  const q = await caSigner(env).reportByzantine(evidence);
  quarantineCache = null;
  if (!isProblem(q)) {
    if (evidence.kind === "equivocation") metrics.inc(CONSENSUS_EQUIVOCATIONS, { validator: q.validator });
    // The CaSigner answers an existing quarantine with its original time: only new ones count.
    if (q.since >= asked) metrics.inc(VALIDATOR_QUARANTINES, { validator: q.validator, reason: evidence.kind });
  }
  return q;
}

async function quarantine(env: Env, evidence: Parameters<ReturnType<typeof caSigner>["reportByzantine"]>[0]): Promise<void> {
  const q = await reportByzantine(env, evidence);
  if (isProblem(q)) return;
  console.error(`ALERT: validator ${q.validator} quarantined: ${q.reason}`);
  if (evidence.kind === "equivocation") await recordEquivocation(env.DB, q.validator);
}

function ports(env: Env, background: Background): CoordinatorPorts {
  return {
    policy: consensusPolicy(env),
    validators: clients(env),
    audit: (entry) => auditLog(env).append(entry),
    quarantined: () => quarantinedNow(env),
    settled: (_hash, reports, equivocations) => {
      for (const r of reports) metrics.inc(CONSENSUS_VOTES, { validator: r.id, result: r.result });
      background(settle(env, reports, equivocations).catch((e: unknown) => console.error("consensus bookkeeping failed", e)));
    },
    now: () => Date.now(),
  };
}

/** Asks the validators to approve a request. */
export async function approve(env: Env, request: ConsensusRequest, credentials: Credentials, background: Background, work = ""): Promise<Approved | Problem> {
  const started = Date.now();
  const approved = await gatherQuorum(ports(env, background), request, credentials, work);
  const outcome = !isProblem(approved) ? "approved" : approved.status === 403 ? "refused" : "unavailable";
  metrics.observe(CONSENSUS_QUORUM_SECONDS, { operation: request.operation, outcome }, (Date.now() - started) / 1000);
  return approved;
}

export interface ValidatorHealth {
  validator: string;
  /** It answered its status within VALIDATOR_STATUS_TIMEOUT_MS. */
  healthy: boolean;
  suspended: boolean;
  quarantined: boolean;
}

const VALIDATOR_STATUS_TIMEOUT_MS = 2000;

/** Every configured validator as it is now (for /metrics and the dashboard). */
export async function validatorHealth(env: Env): Promise<ValidatorHealth[]> {
  const ids = validatorIds(consensusPolicy(env));
  const deadline = <T>(p: Promise<T>): Promise<T | null> =>
    Promise.race([p.catch(() => null), new Promise<null>((resolve) => setTimeout(() => resolve(null), VALIDATOR_STATUS_TIMEOUT_MS))]);
  const [quarantined, statuses] = await Promise.all([
    deadline(caSigner(env).quarantinedValidators()),
    Promise.all(ids.map((id) => deadline(validatorObject(env, id).status(id).then((s): { suspended: boolean } | null => (isProblem(s) ? null : { suspended: s.suspended !== null }))))),
  ]);
  const q = new Set(quarantined ?? []);
  return ids.map((id, i) => {
    const s = statuses[i] ?? null;
    return { validator: id, healthy: s !== null, suspended: s?.suspended === true, quarantined: q.has(id) };
  });
}

/** The issuance pipeline's consensus step: vote, then the CaSigner verifies and signs. */
export async function issueWithQuorum(env: Env, req: IssueRequest, credentials: Credentials, background: Background) {
  const request = newRequest("issue", issueSubject(req), req.requestedBy, Date.now());
  const approved = await approve(env, request, credentials, background);
  if (isProblem(approved)) return approved;
  return caSigner(env).issue(request, approved.qc);
}

export async function revokeWithQuorum(env: Env, serial: string, reason: number, requester: string, credentials: Credentials, background: Background) {
  // Nothing to vote on for a certificate we never issued or already revoked.
  const existing = await getCertificate(env.DB, serial);
  if (!existing) return problem(ProblemType.about, 404, `no certificate with serial ${serial}`, { title: "Not Found" });
  if (existing.status === "revoked") return problem(ProblemType.alreadyRevoked, 409, `certificate ${serial} was already revoked`);
  const request = newRequest("revoke", { kind: "revoke", serial, reason }, requester, Date.now());
  const approved = await approve(env, request, credentials, background);
  if (isProblem(approved)) return approved;
  return caSigner(env).revoke(request, approved.qc);
}

/** The scheduled CRL refresh, through consensus like every signature. */
export async function refreshCrlsWithQuorum(env: Env, background: Background) {
  const request = newRequest("crl", { kind: "crl", trigger: "scheduled" }, "system:cron", Date.now());
  const approved = await approve(env, request, { kind: "system" }, background);
  if (isProblem(approved)) {
    console.error(`CRL refresh refused: ${approved.detail}`);
    return approved;
  }
  return caSigner(env).refreshCrls(request, approved.qc);
}

/** A rotation of one hierarchy's issuing CA, named by the id of the issuing CA it retires. */
export async function rotateWithQuorum(env: Env, hierarchy: HierarchyName, issuing: string, requester: string, credentials: Credentials, background: Background) {
  const request = newRequest("rotate", { kind: "rotate", hierarchy, issuing }, requester, Date.now());
  const approved = await approve(env, request, credentials, background);
  if (isProblem(approved)) return approved;
  return caSigner(env).rotate(request, approved.qc);
}

/** ACME challenge validation from every validator's vantage point; valid with a quorum. */
export function confirmFromQuorum(env: Env, challengeId: string, accountId: string): Promise<Outcome> {
  const policy = consensusPolicy(env);
  return confirmChallenge(
    { policy, validators: clients(env), quarantined: () => quarantinedNow(env) },
    challengeId,
    accountId,
    FETCH_TIMEOUT_MS * 2 + 5000,
  );
}

export const consensus = new Hono<AppEnv>();

const MAX_BODY = 256 * 1024;

async function jsonBody(req: Request): Promise<Record<string, unknown> | Problem> {
  const body = await readBody(req, MAX_BODY);
  if (!body) return problem(ProblemType.malformed, 413, `the body is larger than ${MAX_BODY} bytes`, { title: "Payload Too Large" });
  try {
    const v = JSON.parse(new TextDecoder().decode(body)) as unknown;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // answered below
  }
  return problem(ProblemType.malformed, 400, "the body must be a JSON object");
}

const background = (c: { executionCtx: { waitUntil(p: Promise<unknown>): void } }): Background => (p) => c.executionCtx.waitUntil(p);

/**
 * Anyone may ask for a vote: {request, credentials?, work?}. Unauthenticated requests pay the
 * policy's proof of work (src/consensus/work.ts solveWork). The answer is the quorum certificate,
 * or the problem with what each validator said. Nothing is signed here: only the CaSigner signs.
 */
consensus.post("/validate_certificate", async (c) => {
  const body = await jsonBody(c.req.raw);
  if (isProblem(body)) return problemResponse(body);
  const request = parseRequest(body.request);
  if (!request) return problemResponse(problem(ProblemType.malformed, 400, '"request" must be a consensus request {v: 1, operation, subject, requester, timestamp, nonce}'));
  const credentials = parseCredentials(body.credentials);
  if (!credentials) return problemResponse(problem(ProblemType.malformed, 400, '"credentials" must be {kind: "bearer", token} or {kind: "acme-jws", protected, payload, signature}'));
  const work = typeof body.work === "string" && /^[0-9a-f]{0,64}$/.test(body.work) ? body.work : "";
  const refused = await admitPublicRequest(c.env.DB, consensusPolicy(c.env), request, await requestHash(request), credentials, work, Date.now());
  if (refused) return problemResponse(refused);
  const approved = await approve(c.env, request, credentials, background(c), work);
  if (isProblem(approved)) return problemResponse(approved);
  return c.json({ request_hash: approved.hash, audit_index: approved.auditIndex, quorum_certificate: approved.qc });
});

async function identitiesFor(env: Env, votes: SignedVote[]): Promise<Map<string, ValidatorIdentity>> {
  const state = await caSigner(env).consensusState(votes);
  return new Map(state.pinned.map((i) => [i.id, i]));
}

/**
 * Verifies what it is given — {request?, quorum_certificate?, votes?} — against the validator keys
 * the CaSigner pinned. Two validly signed, different verdicts of one validator for one request
 * (among the submitted votes, or against any vote seen before) are equivocation: the evidence is
 * stored, the validator quarantined and the alert raised before this answers.
 */
consensus.post("/validate_proofs", async (c) => {
  const body = await jsonBody(c.req.raw);
  if (isProblem(body)) return problemResponse(body);
  const qc = body.quorum_certificate === undefined ? null : parseQuorum(body.quorum_certificate);
  if (body.quorum_certificate !== undefined && !qc) return problemResponse(problem(ProblemType.malformed, 400, '"quorum_certificate" is not a quorum certificate'));
  const votes: SignedVote[] = [];
  if (body.votes !== undefined) {
    if (!Array.isArray(body.votes) || body.votes.length > 64) return problemResponse(problem(ProblemType.malformed, 400, '"votes" must be an array of at most 64 signed votes'));
    for (const v of body.votes) {
      const parsed = parseVote(v);
      if (!parsed) return problemResponse(problem(ProblemType.malformed, 400, "a vote is not a signed vote"));
      votes.push(parsed);
    }
  }
  const request = body.request === undefined ? null : parseRequest(body.request);
  if (body.request !== undefined && !request) return problemResponse(problem(ProblemType.malformed, 400, '"request" is not a consensus request'));

  const policy = consensusPolicy(c.env);
  const identities = await identitiesFor(c.env, [...(qc?.votes ?? []), ...votes]);
  const quarantinedBefore = new Set(await caSigner(c.env).quarantinedValidators());
  const now = Date.now();
  const all = [...(qc?.votes ?? []), ...votes];
  // Each vote's signature is checked here, again in voteFault and, for the certificate's votes, in
  // verifyQuorum: one memo for the request makes that one post-quantum verification, not three.
  const checked = new VerifiedSignatures();
  // Only votes that verify against their validator's pinned key are evidence of anything.
  const verified: SignedVote[] = [];
  const results = [];
  for (const v of all) {
    const identity = identities.get(v.body.validator);
    const signed = identity ? await voteSignedBy(v, identity, checked) : false;
    if (signed) verified.push(v);
    const fault = await voteFault(v, v.body.requestHash, v.body.operation, { identities, quarantined: quarantinedBefore, policy, now, verified: checked });
    results.push({ validator: v.body.validator, request_hash: v.body.requestHash, verdict: v.body.verdict, signature_valid: signed, counts: fault === null, fault });
  }
  const equivocations = [...findEquivocations(verified), ...(await recordVotes(c.env.DB, verified, now))];
  const quarantined = [];
  for (const pair of equivocations) {
    const q = await reportByzantine(c.env, { kind: "equivocation", votes: pair });
    if (!isProblem(q)) {
      quarantined.push(q);
      await recordEquivocation(c.env.DB, q.validator);
      console.error(`ALERT: validator ${q.validator} quarantined: ${q.reason}`);
    }
  }
  let quorum: { valid: boolean; problem: Problem | null; request_hash_matches: boolean | null } | null = null;
  if (qc) {
    const hash = request ? await requestHash(request) : qc.requestHash;
    const p = await verifyQuorum(qc, hash, request?.operation ?? qc.operation, { identities, quarantined: new Set(await caSigner(c.env).quarantinedValidators()), policy, now, verified: checked });
    quorum = { valid: p === null, problem: p, request_hash_matches: request ? hash === qc.requestHash : null };
  }
  return c.json({
    quorum,
    votes: results,
    equivocations: equivocations.map(([a, b]) => ({ validator: a.body.validator, request_hash: a.body.requestHash, votes: [a, b] })),
    quarantined: quarantined.map((q) => ({ validator: q.validator, since: new Date(q.since).toISOString(), reason: q.reason })),
  });
});

consensus.get("/validation_status", async (c) => {
  const policy = consensusPolicy(c.env);
  const [state, histories, statuses] = await Promise.all([
    caSigner(c.env).consensusState(),
    validatorHistories(c.env.DB),
    Promise.all(validatorIds(policy).map((id) => validatorObject(c.env, id).status(id).catch((e: unknown) => problem(ProblemType.serverInternal, 503, String(e))))),
  ]);
  const quarantined = new Map(state.quarantined.map((q) => [q.validator, q]));
  const historyOf = (id: string, votes: { approve: number; reject: number } | null) => {
    const h = histories.get(id);
    return { approve: votes?.approve ?? 0, reject: votes?.reject ?? 0, unavailable: h?.unavailable ?? 0, invalid: h?.invalid ?? 0, equivocations: h?.equivocations ?? 0 };
  };
  const pinned = new Map(state.pinned.map((i) => [i.id, i]));
  const validators = validatorIds(policy).map((id, i) => {
    const s = statuses[i]!;
    const q = quarantined.get(id);
    const p = pinned.get(id);
    return {
      id,
      available: !isProblem(s) && s.suspended === null,
      vantage: isProblem(s) ? null : s.vantage,
      public_key: p ? { alg: p.alg, key: p.publicKey, key_id: p.keyId } : null,
      // The key votes are signed with (Ed25519 + ML-DSA-44 or FALCON-1024; its statement is signed
      // by both halves), and the earlier vote keys that handed over to it.
      vote_key: p?.hybrid ? { alg: p.hybrid.alg, key: p.hybrid.publicKey, key_id: p.hybrid.keyId, statement: p.hybrid.statement, rollovers: p.hybrid.rollovers ?? [] } : null,
      key_matches_pinned: isProblem(s) || !p ? null : s.identity.publicKey === p.publicKey && s.identity.hybrid?.publicKey === p.hybrid?.publicKey,
      suspended: isProblem(s) ? null : s.suspended && { since: new Date(s.suspended.since).toISOString(), reason: s.suspended.reason },
      error: isProblem(s) ? s.detail : null,
      votes_cast: isProblem(s) ? null : s.votes,
      history: historyOf(id, isProblem(s) ? null : s.votes),
      trust_score: trustScore(historyOf(id, isProblem(s) ? null : s.votes), q !== undefined),
      quarantined: q ? { since: new Date(q.since).toISOString(), reason: q.reason } : null,
    };
  });
  const available = validators.filter((v) => v.available && !v.quarantined).length;
  return c.json({
    policy: { validators: policy.validatorCount, tolerated_faults: policy.faulty, quorum: policy.quorum, max_skew_ms: policy.maxSkewMs, vote_lifetime_ms: policy.voteLifetimeMs, anonymous_work_bits: policy.anonymousWorkBits },
    status: available >= policy.quorum ? (state.quarantined.length > 0 ? "degraded" : "ok") : "no-quorum",
    validators,
    alerts: state.quarantined.map((q) => ({ kind: "validator-quarantined", validator: q.validator, since: new Date(q.since).toISOString(), reason: q.reason })),
    counters: {
      quarantined_validators: state.quarantined.length,
      equivocations_detected_total: [...histories.values()].reduce((n, h) => n + h.equivocations, 0),
      invalid_votes_total: [...histories.values()].reduce((n, h) => n + h.invalid, 0),
    },
    evidence: state.quarantined.map((q) => ({ validator: q.validator, since: new Date(q.since).toISOString(), reason: q.reason, evidence: q.evidence })),
  });
});

async function setSuspended(env: Env, id: string, reason: string | null) {
  if (!validatorIds(consensusPolicy(env)).includes(id)) return problem(ProblemType.about, 404, `no validator ${id}`, { title: "Not Found" });
  return validatorObject(env, id).setSuspended(id, reason);
}

consensus.post("/validators/:id/suspend", requirePermission("admin"), async (c) => {
  const body = await jsonBody(c.req.raw);
  const reason = !isProblem(body) && typeof body.reason === "string" && body.reason.length <= 500 ? body.reason : "maintenance";
  const id = c.req.param("id");
  if (!validatorIds(consensusPolicy(c.env)).includes(id)) return problemResponse(problem(ProblemType.about, 404, `no validator ${id}`, { title: "Not Found" }));
  return audited(c, { operation: "validator.suspend", target: `validator:${id}`, input: { id, reason } }, async () => {
    const s = await setSuspended(c.env, id, reason);
    return isProblem(s) ? problemResponse(s) : c.json(s);
  });
});

consensus.post("/validators/:id/resume", requirePermission("admin"), async (c) => {
  const id = c.req.param("id");
  if (!validatorIds(consensusPolicy(c.env)).includes(id)) return problemResponse(problem(ProblemType.about, 404, `no validator ${id}`, { title: "Not Found" }));
  return audited(c, { operation: "validator.resume", target: `validator:${id}`, input: { id } }, async () => {
    const s = await setSuspended(c.env, id, null);
    return isProblem(s) ? problemResponse(s) : c.json(s);
  });
});

consensus.post("/validators/:id/release", requirePermission("admin"), async (c) => {
  const id = c.req.param("id");
  if (!validatorIds(consensusPolicy(c.env)).includes(id)) return problemResponse(problem(ProblemType.about, 404, `no validator ${id}`, { title: "Not Found" }));
  return audited(c, { operation: "validator.release", target: `validator:${id}`, input: { id } }, async () => {
    const released = await caSigner(c.env).releaseQuarantine(id);
    quarantineCache = null;
    return c.json(released);
  });
});
