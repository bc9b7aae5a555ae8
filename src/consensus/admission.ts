// What the public entry point (POST /consensus/validate_certificate) asks of a request before the
// coordinator commits its hash to the audit log: the commitment is an append anyone could
// otherwise make for free by claiming an authenticated requester (whose proof of work is 0) with
// no credentials, or by claiming to be anonymous without paying. The validators still check
// everything themselves (stake.ts, work.ts); this only keeps unpaid, unauthenticated requests out
// of the append-only log. The internal pipeline (API, ACME, cron) authenticates before it asks.

import { accountById } from "../acme/store.ts";
import { authenticate } from "../auth/tokens.ts";
import { type Problem, ProblemType, problem } from "../problem.ts";
import type { Credentials } from "./credentials.ts";
import { type ConsensusPolicy, workBits } from "./policy.ts";
import type { ConsensusRequest } from "./request.ts";
import { verifyWork } from "./work.ts";

const refused = (detail: string) => problem(ProblemType.unauthorized, 403, detail, { title: "Forbidden" });

/** null when the request may be committed and put to the validators. */
export async function admitPublicRequest(db: D1Database, policy: ConsensusPolicy, request: ConsensusRequest, hash: string, credentials: Credentials, work: string, now: number): Promise<Problem | null> {
  const { requester } = request;
  if (requester.startsWith("token:")) {
    if (credentials.kind !== "bearer") return refused("a token requester must present its bearer token");
    const record = await authenticate(db, credentials.token, Math.floor(now / 1000));
    return record && `token:${record.id}` === requester ? null : refused("the bearer token is unknown, revoked, expired or not the requester's");
  }
  if (requester.startsWith("acme:") || requester.startsWith("acme-key:")) {
    if (credentials.kind !== "acme-jws") return refused("an ACME requester must present its signed request");
    // The JWS itself is verified by every validator; here the account must at least exist.
    if (requester.startsWith("acme:")) {
      const account = await accountById(db, requester.slice(5));
      if (!account || account.status !== "valid") return refused(`account ${requester.slice(5, 69)} does not exist or is not valid`);
    }
    return null;
  }
  // The scheduler's own identity is never taken from outside.
  if (requester === "system:cron") return refused("system:cron cannot be claimed through this endpoint");
  const bits = workBits(policy, requester);
  return bits === 0 || verifyWork(hash, work, bits) ? null : problem(ProblemType.malformed, 400, `an unauthenticated request must carry a proof of work of ${bits} bits for its request hash in "work"`);
}
