// The audit trail of zone, token, validator, backup and ACME account operations (the consensus
// coordinator appends CA operations itself). Write-ahead: the entry is committed to the AuditLog
// before the operation runs, and when the log cannot commit it within AUDIT_APPEND_TIMEOUT_MS
// the operation is refused with 503 and nothing changes. A CA would rather refuse than act
// unaudited, and this order never loses an operation's result: an operation that ran is already
// in the log, so there is no append after the fact that could fail or be cut short with the
// isolate. An entry therefore records an authorized attempt; the response (or the state) says
// whether it succeeded. Appends are sequenced in memory and committed to the log object's
// SQLite (R2 publication follows beside), so the wait is one round, typically milliseconds.

import type { AuditEntry } from "../src/audit/entry.ts";
import { type AuditedOperation, operationEntry } from "../src/audit/operation.ts";
import { type Problem, ProblemType, isProblem, problem } from "../src/problem.ts";
import { type Env, auditLog } from "./env.ts";
import { type AppContext, problemResponse } from "./http.ts";

export const AUDIT_APPEND_TIMEOUT_MS = 5000;

export interface AuditReceipt {
  index: number;
  requestHash: string;
}

const unavailable = (why: string): Problem =>
  problem(ProblemType.serverInternal, 503, `the operation was not performed: the audit log could not record it (${why})`, { title: "Service Unavailable" });

/** Commits the operation's entry; a Problem means the caller must not perform it. */
export async function auditFirst(env: Pick<Env, "AUDIT_LOG">, op: AuditedOperation, timeoutMs = AUDIT_APPEND_TIMEOUT_MS): Promise<AuditReceipt | Problem> {
  let entry: AuditEntry;
  try {
    entry = await operationEntry(op, Date.now());
  } catch (e) {
    // The canonical encoding holds integers only; a fractional number in the input cannot be hashed.
    return problem(ProblemType.malformed, 400, `the request cannot be recorded: ${e instanceof Error ? e.message : String(e)}`);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<Problem>((resolve) => {
    timer = setTimeout(() => resolve(unavailable(`no commit within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const append = auditLog(env)
      .append(entry)
      .then((r) => (isProblem(r) && r.status >= 500 ? unavailable(r.detail) : r))
      .catch((e: unknown) => unavailable(e instanceof Error ? e.message : String(e)));
    const appended = await Promise.race([append, deadline]);
    if (isProblem(appended)) return appended;
    return { index: appended, requestHash: entry.requestHash };
  } finally {
    clearTimeout(timer);
  }
}

/** The receipt as response headers, so the caller can find (and prove) its entry. */
export function receiptHeaders(r: AuditReceipt): Record<string, string> {
  return { "audit-index": String(r.index), "audit-request-hash": r.requestHash };
}

/** The actor of a token-authenticated request. */
export const tokenActor = (c: AppContext): string => `token:${c.get("principal").id}`;

/**
 * Runs `act` only after the operation (by the request's token, unless `actor` is given) is in
 * the audit log; the response carries the receipt.
 */
export async function audited(c: AppContext, op: Omit<AuditedOperation, "actor"> & { actor?: string }, act: () => Promise<Response>): Promise<Response> {
  const receipt = await auditFirst(c.env, { ...op, actor: op.actor ?? tokenActor(c) });
  if (isProblem(receipt)) return problemResponse(receipt);
  const res = await act();
  const out = new Response(res.body, res);
  for (const [k, v] of Object.entries(receiptHeaders(receipt))) out.headers.set(k, v);
  return out;
}
