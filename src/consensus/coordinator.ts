// The coordinator (Worker side): commits a request's hash to the audit log, asks every validator
// in parallel (each with its own deadline), checks each vote it gets back, and returns a quorum
// certificate as soon as 2f+1 validators approved — or a problem naming what each validator said.
// It is not trusted: the CaSigner verifies the quorum certificate itself.

import type { Outcome } from "../acme/validation.ts";
import type { AuditEntry } from "../audit/entry.ts";
import { type Problem, ProblemType, problem } from "../problem.ts";
import type { Credentials } from "./credentials.ts";
import type { ConsensusPolicy } from "./policy.ts";
import { type QuorumCertificate, findEquivocations, voteFault } from "./quorum.ts";
import { type ConsensusRequest, requestHash, requestTarget } from "./request.ts";
import type { Confirmation, VoteContext } from "./validator.ts";
import { type SignedVote, type ValidatorIdentity, VerifiedSignatures } from "./vote.ts";

export interface ValidatorClient {
  id: string;
  identity(): Promise<ValidatorIdentity | Problem>;
  vote(request: ConsensusRequest, credentials: Credentials, context: VoteContext): Promise<SignedVote | Problem>;
  confirm(challengeId: string, accountId: string): Promise<{ outcome: Outcome; confirmation: Confirmation | null } | Problem>;
}

/** What one validator did for one request, for the status counters and Byzantine detection. */
export interface ValidatorReport {
  id: string;
  result: "approve" | "reject" | "unavailable" | "invalid";
  detail: string;
  vote?: SignedVote;
}

export interface CoordinatorPorts {
  policy: ConsensusPolicy;
  validators: ValidatorClient[];
  audit(entry: AuditEntry): Promise<number | Problem>;
  quarantined(): Promise<ReadonlySet<string>>;
  /** Called once every validator answered or timed out (after the caller may have its answer). */
  settled?(hash: string, reports: ValidatorReport[], equivocations: [SignedVote, SignedVote][]): void;
  now(): number;
}

export interface Approved {
  hash: string;
  auditIndex: number;
  qc: QuorumCertificate;
}

const identities = new Map<string, ValidatorIdentity>();
/** How long a validator may take to open (its first start makes its keys) before its vote's own deadline starts. */
const OPEN_TIMEOUT_MS = 15_000;
// The vote signatures this isolate's coordinator verified (batch signatures cover many votes).
const verified = new VerifiedSignatures();

async function identityOf(v: ValidatorClient): Promise<ValidatorIdentity | Problem> {
  const known = identities.get(v.id);
  if (known) return known;
  const got = await v.identity();
  if (!("publicKey" in got)) return got;
  identities.set(v.id, got);
  return got;
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T | Problem> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<Problem>((resolve) => {
    timer = setTimeout(() => resolve(problem(ProblemType.serverInternal, 504, `${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p.catch((e: unknown) => problem(ProblemType.serverInternal, 503, `${what} failed: ${e instanceof Error ? e.message : String(e)}`)), late]).finally(() => clearTimeout(timer));
}

const isProblemValue = (x: unknown): x is Problem => typeof x === "object" && x !== null && "type" in x && "status" in x && "detail" in x && !("body" in x);

/** Asks the validator set to vote; resolves with a quorum certificate or the reason there is none. */
export async function gatherQuorum(ports: CoordinatorPorts, request: ConsensusRequest, credentials: Credentials, work = ""): Promise<Approved | Problem> {
  const { policy } = ports;
  const hash = await requestHash(request);
  // The commitment is sequenced while the validators check everything else; each of them waits
  // for it before it signs (the space proof).
  const committed = ports.audit({ actor: request.requester, operation: `consensus.${request.operation}`, target: requestTarget(request), requestHash: hash, time: ports.now() })
    .catch((e: unknown) => problem(ProblemType.serverInternal, 503, `the audit log failed: ${e instanceof Error ? e.message : String(e)}`));
  const quarantined = await ports.quarantined();

  const reports: ValidatorReport[] = [];
  const approvals: SignedVote[] = [];
  const asked = ports.validators.filter((v) => !quarantined.has(v.id));
  for (const v of ports.validators) if (quarantined.has(v.id)) reports.push({ id: v.id, result: "unavailable", detail: "quarantined" });

  return new Promise<Approved | Problem>((resolve) => {
    let pending = asked.length;
    let answered = false;
    const finish = () => {
      const equivocations = findEquivocations(reports.flatMap((r) => (r.vote ? [r.vote] : [])));
      ports.settled?.(hash, reports, equivocations);
      if (answered) return;
      answered = true;
      const rejected = reports.filter((r) => r.result === "reject").length;
      const summary = reports.map((r) => `${r.id}: ${r.result} (${r.detail})`).join("; ");
      const subproblems = reports.map((r) => ({ type: r.result === "reject" ? ProblemType.unauthorized : ProblemType.serverInternal, detail: `${r.id}: ${r.result}: ${r.detail}` }));
      resolve(
        rejected > policy.validatorCount - policy.quorum
          ? problem(ProblemType.unauthorized, 403, `the validators refused the ${request.operation}: ${approvals.length} of ${policy.validatorCount} approved, ${policy.quorum} needed — ${summary}`, { subproblems })
          : problem(ProblemType.serverInternal, 503, `no quorum for the ${request.operation}: ${approvals.length} of ${policy.validatorCount} validators approved, ${policy.quorum} needed — ${summary}`, { title: "Service Unavailable", subproblems }),
      );
    };
    if (pending === 0) return void committed.then(finish);
    for (const v of asked) {
      void (async () => {
        // The vote's deadline measures the vote, not a validator's first start: that makes its
        // keys (FALCON-1024 key generation alone takes about half a second in pure JS, several
        // on a loaded machine). Its identity is fetched once per isolate, so this waits only then.
        const opened = await withDeadline(identityOf(v), OPEN_TIMEOUT_MS, v.id);
        const got = isProblemValue(opened) ? opened : await withDeadline(v.vote(request, credentials, { work }), policy.voteTimeoutMs, v.id);
        if (isProblemValue(got)) {
          reports.push({ id: v.id, result: "unavailable", detail: got.detail });
        } else {
          const check = async (): Promise<string | null> => {
            const identity = await identityOf(v);
            if (isProblemValue(identity)) return `its identity is unavailable: ${identity.detail}`;
            if (got.body.validator !== v.id) return `it answered as ${got.body.validator}`;
            return voteFault(got, hash, request.operation, { identities: new Map([[v.id, identity]]), quarantined, policy, now: ports.now(), verified });
          };
          let fault = await check();
          // A key this isolate remembered may be stale: ask again before calling the vote invalid.
          if (fault?.includes("signature")) {
            identities.delete(v.id);
            fault = await check();
          }
          if (fault === null) {
            reports.push({ id: v.id, result: "approve", detail: "approved", vote: got });
            approvals.push(got);
          } else if (got.body.verdict === "reject" && got.body.requestHash === hash) {
            const failed = Object.entries(got.body.proofs).filter(([, r]) => !r.ok).map(([k, r]) => `${k}: ${r.detail}`);
            reports.push({ id: v.id, result: "reject", detail: failed.join("; ") || fault, vote: got });
          } else {
            reports.push({ id: v.id, result: "invalid", detail: fault, vote: got });
          }
        }
        if (!answered && approvals.length >= policy.quorum) {
          answered = true;
          const votes = approvals.slice(0, policy.quorum);
          // Approvals imply the commitment exists; its index is the append's answer.
          void committed.then((auditIndex) => resolve(typeof auditIndex === "number" ? { hash, auditIndex, qc: { v: 1, requestHash: hash, operation: request.operation, votes } } : auditIndex));
        }
        if (--pending === 0) finish();
      })();
    }
  });
}

/**
 * Multi-perspective domain control: every validator checks the challenge itself; it passes when
 * a quorum of them confirmed it, so no single vantage point (or validator) decides.
 */
export async function confirmChallenge(ports: Pick<CoordinatorPorts, "policy" | "validators" | "quarantined">, challengeId: string, accountId: string, timeoutMs: number): Promise<Outcome> {
  const quarantined = await ports.quarantined();
  const asked = ports.validators.filter((v) => !quarantined.has(v.id));
  const results = await Promise.all(asked.map((v) => withDeadline(v.confirm(challengeId, accountId), timeoutMs, v.id).then((r) => ({ id: v.id, r }))));
  const confirmed = results.filter((x) => !isProblemValue(x.r) && x.r.outcome.ok && x.r.confirmation);
  if (confirmed.length >= ports.policy.quorum) return { ok: true };
  const failure = results.map((x) => (isProblemValue(x.r) ? null : x.r.outcome)).find((o): o is Extract<Outcome, { ok: false }> => o !== null && !o.ok);
  const summary = results.map((x) => `${x.id}: ${isProblemValue(x.r) ? `unavailable (${x.r.detail})` : x.r.outcome.ok ? "confirmed" : `failed (${x.r.outcome.problem.detail})`}`).join("; ");
  const detail = `control confirmed from ${confirmed.length} of ${ports.policy.validatorCount} validator vantage points, ${ports.policy.quorum} needed — ${summary}`;
  return { ok: false, problem: failure ? { ...failure.problem, detail } : problem(ProblemType.serverInternal, 503, detail) };
}
