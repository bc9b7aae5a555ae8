// The stake proof ("who"): a validator authenticates the requester itself, from the credentials
// and the shared database, and checks the requester may ask for this operation on this subject.
// For ACME issuance it also holds its own confirmation of control for every name (multi-
// perspective validation, confirmations.ts): without it the validator does not approve.

import { parseJws, payloadObject, verifyJws, jwkToSpki, type Jwk } from "../acme/jws.ts";
import { parseRevokeRequest } from "../acme/revoke-request.ts";
import { accountById, accountOwnsCertificate, getOrder } from "../acme/store.ts";
import { authenticate, roleAllows } from "../auth/tokens.ts";
import { profileByName } from "../ca/profiles.ts";
import { type CaCertificateReader, type RotationPolicy, publishedRotationDue } from "../ca/rotation.ts";
import { bytesEqual, fromBase64Url, utf8 } from "../encoding/bytes.ts";
import { identifierKey } from "../names/identifiers.ts";
import { checkCsr } from "../x509/csr.ts";
import type { Credentials } from "./credentials.ts";
import type { ConsensusRequest } from "./request.ts";
import type { ProofResult } from "./vote.ts";

export interface StakePorts {
  db: D1Database;
  /** This validator's own unexpired confirmation that `account` controls `identifier`. */
  confirmed(account: string, identifier: string): boolean;
  /** The published CA certificates, and this validator's rotation policy: a scheduled rotation must be due by them. */
  caCertificate: CaCertificateReader;
  rotationPolicy: RotationPolicy;
  now: number;
}

const no = (detail: string): ProofResult => ({ ok: false, detail });

export async function checkStake(r: ConsensusRequest, cred: Credentials, p: StakePorts): Promise<ProofResult> {
  if (r.subject.kind === "issue" && !profileByName(r.subject.profile)) return no(`unknown profile "${r.subject.profile}"`);
  if (r.requester.startsWith("token:")) {
    if (cred.kind !== "bearer") return no("a token requester must present its bearer token");
    const record = await authenticate(p.db, cred.token, Math.floor(p.now / 1000));
    if (!record || `token:${record.id}` !== r.requester) return no("the bearer token is unknown, revoked, expired or not the requester's");
    const permission = r.operation === "issue" ? "issue" : r.operation === "revoke" ? "revoke" : "admin";
    if (!roleAllows(record.role, permission)) return no(`the token's role ${record.role} does not allow ${permission}`);
    // A token with the issue permission is an operator-granted authority over the names it asks for.
    return { ok: true, detail: `token ${record.id} (role ${record.role}) authenticated` };
  }
  if (r.requester.startsWith("acme:") || r.requester.startsWith("acme-key:")) {
    if (cred.kind !== "acme-jws") return no("an ACME requester must present its signed request");
    const jws = parseJws(utf8(JSON.stringify({ protected: cred.protected, payload: cred.payload, signature: cred.signature })));
    if (!jws.ok) return no(`the JWS is malformed: ${jws.problem.detail}`);
    const payload = payloadObject(jws.value);
    if (!payload.ok) return no(payload.problem.detail);
    let jwk: Jwk;
    let accountId: string | null = null;
    if (r.requester.startsWith("acme:")) {
      accountId = r.requester.slice(5);
      if (!jws.value.header.kid?.endsWith(`/acme/account/${accountId}`)) return no("the JWS is not signed by the requesting account");
      const account = await accountById(p.db, accountId);
      if (!account || account.status !== "valid") return no(`account ${accountId} does not exist or is not valid`);
      jwk = account.jwk;
    } else {
      if (!jws.value.header.jwk || r.operation !== "revoke") return no("only revocation may be signed by a certificate key");
      jwk = jws.value.header.jwk;
    }
    const verified = await verifyJws(jws.value, jwk);
    if (!verified.ok) return no(verified.problem.detail);
    if (r.operation === "issue" && r.subject.kind === "issue" && accountId) return checkAcmeIssue(r.subject, accountId, jws.value.header.url, payload.value, p);
    if (r.operation === "revoke" && r.subject.kind === "revoke") {
      const req = parseRevokeRequest(payload.value);
      if (!req.ok) return no(req.problem.detail);
      if (req.value.serial !== r.subject.serial || req.value.reason !== r.subject.reason) return no("the signed revocation names another certificate or reason");
      const allowed = accountId ? await accountOwnsCertificate(p.db, accountId, req.value.serial) : await jwkToSpki(jwk).then((s) => s !== null && bytesEqual(s, req.value.spkiDer));
      return allowed ? { ok: true, detail: "revocation signed by the certificate's account or key" } : no("the signer neither ordered the certificate nor holds its key");
    }
    return no(`an ACME requester may not ask for a ${r.operation}`);
  }
  if (r.requester === "system:cron") {
    // The scheduler's own work: CRL refreshes, and rotations when its policy says one is due.
    if (cred.kind !== "system" || (r.operation !== "crl" && r.operation !== "rotate")) return no("the scheduler may only refresh CRLs and rotate issuing CAs");
    if (r.subject.kind !== "rotate") return { ok: true, detail: "scheduled CRL refresh" };
    const due = await publishedRotationDue(p.caCertificate, r.subject.hierarchy, r.subject.issuing, p.now, p.rotationPolicy);
    return due.due ? { ok: true, detail: `scheduled issuing CA rotation: ${due.reason}` } : no(`the scheduled rotation is refused: ${due.reason}`);
  }
  return no(`requester ${r.requester.slice(0, 64)} is not authenticated`);
}

async function checkAcmeIssue(
  subject: Extract<ConsensusRequest["subject"], { kind: "issue" }>,
  accountId: string,
  url: string,
  payload: Record<string, unknown>,
  p: StakePorts,
): Promise<ProofResult> {
  const orderId = /\/acme\/order\/([A-Za-z0-9_-]{1,64})\/finalize$/.exec(url)?.[1];
  if (!orderId) return no("the JWS is not a finalize request");
  const order = await getOrder(p.db, orderId, Math.floor(p.now / 1000));
  if (!order || order.accountId !== accountId) return no(`order ${orderId} is not the account's`);
  if (order.status !== "processing") return no(`order ${orderId} is ${order.status}, not being finalized`);
  const der = typeof payload.csr === "string" ? fromBase64Url(payload.csr) : null;
  if (!der) return no("the finalize payload has no CSR");
  const csr = await checkCsr(der, { maxNames: 1000 });
  if (!csr.ok) return no(`the signed CSR is refused: ${csr.problem.detail}`);
  const spki = fromBase64Url(subject.spki);
  if (!spki || !bytesEqual(spki, csr.value.spkiDer)) return no("the request's key is not the signed CSR's key");
  const signed = csr.value.identifiers.map(identifierKey).sort();
  const asked = [...subject.identifiers].sort();
  if (signed.join("\n") !== asked.join("\n")) return no("the request's names are not the signed CSR's names");
  const ordered = new Set(order.identifiers.map((i) => `${i.type}:${i.value}`));
  const missing = asked.filter((n) => !ordered.has(n));
  if (missing.length > 0) return no(`names not in the order: ${missing.join(", ")}`);
  const unconfirmed = asked.filter((n) => !p.confirmed(accountId, n));
  if (unconfirmed.length > 0) return no(`this validator has not itself confirmed control of ${unconfirmed.join(", ")}`);
  return { ok: true, detail: `account ${accountId} signed the finalize; control of ${asked.length} name(s) confirmed by this validator` };
}
