// The native JSON API (/api/v1): issue from a CSR, look up, search and revoke certificates.

import { issueRequest } from "../src/ca/issuance.ts";
import { HIERARCHIES } from "../src/ca/pq-hierarchy.ts";
import { Hono } from "hono";
import { profileByName, DEFAULT_PROFILE } from "../src/ca/profiles.ts";
import { normalizeSerial } from "../src/ca/serial.ts";
import { toBytes } from "../src/encoding/bytes.ts";
import { toPem } from "../src/encoding/pem.ts";
import { type CertificateRecord, findByName, getCertificate, getCertificateDer } from "../src/index/certificates.ts";
import { quorumOf } from "../src/consensus/store.ts";
import { checkDnsName, ipIdentifierFromText } from "../src/names/identifiers.ts";
import { ProblemType, problem, isProblem } from "../src/problem.ts";
import { REVOCATION_REASONS, parseReason } from "../src/revocation/reasons.ts";
import { MAX_CSR_BYTES, checkCsr, csrDerFromBody } from "../src/x509/csr.ts";
import type { CaCertificates, IssuingCaCert, Rotation } from "../durable-objects/ca-signer.ts";
import { caSigner } from "./env.ts";
import { issueWithQuorum, revokeWithQuorum } from "./consensus.ts";
import { type AppEnv, bearerCredentials, problemResponse, readBody, requirePermission, tooLarge } from "./http.ts";
import { limitByToken } from "./rate-limit.ts";
import { IssueJsonBody, RevokeBody } from "./api-routes.ts";
import { validBody } from "./openapi.ts";

export const api = new Hono<AppEnv>();

/** A certificate record as the API shows it (also the dashboard's search: nothing here is secret). */
export function recordJson(r: CertificateRecord) {
  return {
    serial: r.serial,
    fingerprint_sha256: r.fingerprint,
    issuer_id: r.issuerId,
    subject: r.subject,
    names: r.names,
    key_type: r.keyType,
    profile: r.profile,
    not_before: new Date(r.notBefore * 1000).toISOString(),
    not_after: new Date(r.notAfter * 1000).toISOString(),
    status: r.status,
    revoked_at: r.revokedAt === null ? null : new Date(r.revokedAt * 1000).toISOString(),
    revocation_reason: r.revocationReason === null ? null : REVOCATION_REASONS[r.revocationReason] ?? String(r.revocationReason),
    created_at: new Date(r.createdAt * 1000).toISOString(),
    ct: { precertificate_leaf_index: r.ctPrecertIndex, certificate_leaf_index: r.ctFinalIndex },
  };
}

const issuingJson = (status: "current" | "retired") => (i: IssuingCaCert) => ({ id: i.id, pem: i.pem, status, not_before: i.notBefore, not_after: i.notAfter });

/** Issuing CAs, the current one first, then the retired ones that still answer for their certificates. */
const intermediatesJson = (current: IssuingCaCert, retired: IssuingCaCert[]) => [issuingJson("current")(current), ...retired.map(issuingJson("retired"))];

/** The CA certificates as /api/v1/ca (and a restore) answer them. */
export function caCertificatesJson(certs: CaCertificates) {
  return {
    root: certs.root,
    intermediates: intermediatesJson(certs.issuing, certs.retired),
    pq: {
      root: certs.pq.root,
      intermediates: intermediatesJson(certs.pq.issuing, certs.pq.retired),
      cross_certificates: certs.pq.cross.map((x) => ({ id: x.id, pem: x.pem, issuing_id: x.issuingId })),
    },
  };
}

/** A rotation's result as the admin route answers it. */
export function rotationJson(r: Rotation) {
  return { hierarchy: r.hierarchy, retired: issuingJson("retired")(r.retired), issuing: issuingJson("current")(r.issuing) };
}

api.get("/ca", async (c) => {
  const certs = await caSigner(c.env).certificates();
  if (isProblem(certs)) return problemResponse(certs);
  return c.json(caCertificatesJson(certs));
});

api.post("/certificates", requirePermission("issue"), limitByToken("issue"), async (c) => {
  const body = await readBody(c.req.raw, MAX_CSR_BYTES + 1024);
  if (!body) return tooLarge(MAX_CSR_BYTES);
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  let csrBytes = body;
  let profileName = c.req.query("profile");
  let hierarchyName = c.req.query("hierarchy");
  if (type === "application/json") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(body));
    } catch {
      return problemResponse(problem(ProblemType.malformed, 400, "the body is not valid JSON"));
    }
    const checkedBody = IssueJsonBody.safeParse(parsed);
    if (!checkedBody.success) {
      return problemResponse(problem(ProblemType.malformed, 400, 'a JSON body must be {"csr": "<PEM>", "profile"?: "<name>", "hierarchy"?: "classical" | "pq"}'));
    }
    const p = checkedBody.data;
    csrBytes = new TextEncoder().encode(p.csr);
    profileName = p.profile ?? profileName;
    hierarchyName = p.hierarchy ?? hierarchyName;
  }
  // post-quantum: which CA signs; the ML-DSA one ("pq") or the classical ECDSA one (default).
  const hierarchy = HIERARCHIES.find((h) => h === (hierarchyName ?? "classical"));
  if (!hierarchy) return problemResponse(problem(ProblemType.malformed, 400, `unknown hierarchy "${hierarchyName}"; use "classical" or "pq"`));
  const profile = profileByName(profileName ?? DEFAULT_PROFILE);
  if (!profile) return problemResponse(problem(ProblemType.malformed, 400, `unknown profile "${profileName}"`));

  const der = csrDerFromBody(csrBytes);
  if (!der.ok) return problemResponse(der.problem);
  const checked = await checkCsr(der.value, { maxNames: Number(c.env.MAX_NAMES) || 100 });
  if (!checked.ok) return problemResponse(checked.problem);

  const issued = await issueWithQuorum(c.env, issueRequest(checked.value, profile.name, `token:${c.get("principal").id}`, hierarchy), bearerCredentials(c), (p) => c.executionCtx.waitUntil(p));
  if (isProblem(issued)) return problemResponse(issued);
  return c.json(
    {
      serial: issued.serial,
      fingerprint_sha256: issued.fingerprint,
      issuer_id: issued.issuerId,
      profile: issued.profile,
      not_before: issued.notBefore,
      not_after: issued.notAfter,
      names: checked.value.identifiers.map((i) => `${i.type}:${i.value}`),
      certificate: issued.certificatePem,
      chain: issued.chainPem,
    },
    201,
    { location: new URL(`/api/v1/certificates/${issued.serial}`, c.req.url).toString() },
  );
});

api.get("/certificates", requirePermission("read"), async (c) => {
  const name = c.req.query("name");
  if (!name) return problemResponse(problem(ProblemType.malformed, 400, "give ?name=<dns name or IP address> to search"));
  const ip = ipIdentifierFromText(name);
  const dns = ip ? null : checkDnsName(name);
  if (!ip && !dns?.ok) return problemResponse(problem(ProblemType.malformed, 400, `"${name.slice(0, 100)}" is not a DNS name or IP address`));
  const results = await findByName(c.env.DB, ip ? ip.value : dns!.ok ? dns!.value : name);
  return c.json({ name, certificates: results.map(recordJson) });
});

api.get("/certificates/:serial", requirePermission("read"), async (c) => {
  const serial = normalizeSerial(c.req.param("serial"));
  if (!serial) return problemResponse(problem(ProblemType.malformed, 400, "the serial must be hexadecimal"));
  const format = c.req.query("format") ?? "json";
  if (format === "der" || format === "pem") {
    const der = await getCertificateDer(c.env.DB, serial);
    if (!der) return problemResponse(problem(ProblemType.about, 404, `no certificate with serial ${serial}`, { title: "Not Found" }));
    return format === "der"
      ? new Response(toBytes(der), { headers: { "content-type": "application/pkix-cert" } })
      : new Response(toPem("CERTIFICATE", der), { headers: { "content-type": "application/x-pem-file" } });
  }
  if (format !== "json") return problemResponse(problem(ProblemType.malformed, 400, "format must be json, pem or der"));
  const record = await getCertificate(c.env.DB, serial);
  if (!record) return problemResponse(problem(ProblemType.about, 404, `no certificate with serial ${serial}`, { title: "Not Found" }));
  const der = await getCertificateDer(c.env.DB, serial);
  return c.json({ ...recordJson(record), certificate: der ? toPem("CERTIFICATE", der) : null });
});

api.post("/certificates/:serial/revoke", requirePermission("revoke"), async (c) => {
  const serial = normalizeSerial(c.req.param("serial"));
  if (!serial) return problemResponse(problem(ProblemType.malformed, 400, "the serial must be hexadecimal"));
  const body = await validBody(c, RevokeBody, 4096, { emptyIsObject: true });
  if (!body.ok) return body.response;
  const reason = parseReason(body.value.reason);
  if (reason === null) {
    return problemResponse(
      problem(ProblemType.badRevocationReason, 400, `reason must be one of ${Object.entries(REVOCATION_REASONS).map(([k, v]) => `${k} (${v})`).join(", ")}`),
    );
  }
  const result = await revokeWithQuorum(c.env, serial, reason, `token:${c.get("principal").id}`, bearerCredentials(c), (p) => c.executionCtx.waitUntil(p));
  if (isProblem(result)) return problemResponse(result);
  return c.json(recordJson(result));
});

// Who approved an issuance: the request the validators voted on, their signed votes (the quorum
// certificate) and the validator keys to check them with.
api.get("/certificates/:serial/quorum", requirePermission("read"), async (c) => {
  const serial = normalizeSerial(c.req.param("serial"));
  if (!serial) return problemResponse(problem(ProblemType.malformed, 400, "the serial must be hexadecimal"));
  const stored = await quorumOf(c.env.DB, serial);
  if (!stored) return problemResponse(problem(ProblemType.about, 404, `no quorum certificate for serial ${serial}`, { title: "Not Found" }));
  const state = await caSigner(c.env).consensusState();
  const voters = new Set(stored.qc.votes.map((v) => v.body.validator));
  return c.json({
    serial,
    request_hash: stored.requestHash,
    request: stored.request,
    quorum_certificate: stored.qc,
    validator_keys: state.pinned.filter((i) => voters.has(i.id)),
  });
});
