// Public status and certificate search (/api/v1/status, /api/v1/search): what the dashboard at /
// shows. Both are public: certificates are in the CT log anyway, and the status says nothing an
// outsider could not learn from the log and the CA certificates.

import { Hono } from "hono";
import { normalizeSerial } from "../src/ca/serial.ts";
import { type CertificateRecord, findByFingerprint, findByName, getCertificate, recentCertificates } from "../src/index/certificates.ts";
import { checkDnsName, ipIdentifierFromText } from "../src/names/identifiers.ts";
import { ProblemType, isProblem, problem } from "../src/problem.ts";
import { x509 } from "../src/x509/peculiar.ts";
import { recordJson } from "./api.ts";
import { validatorHealth } from "./consensus.ts";
import { type Env, caSigner, ctLog } from "./env.ts";
import { type AppEnv, problemResponse } from "./http.ts";
import { metricsObject, publishedCheckpoint } from "./metrics.ts";

export const status = new Hono<AppEnv>();

const RECENT = 10;
const MAX_QUERY = 300;

type CtState = "included" | "pending" | "not logged";

/** Whether each CT entry of a certificate is inside the published checkpoint's tree. */
function ctStatus(r: CertificateRecord, treeSize: number | null) {
  const state = (index: number | null): CtState => (index === null ? "not logged" : treeSize !== null && index < treeSize ? "included" : "pending");
  return { precertificate: state(r.ctPrecertIndex), certificate: state(r.ctFinalIndex), checkpoint_tree_size: treeSize };
}

function withCt(r: CertificateRecord, treeSize: number | null) {
  return { ...recordJson(r), ct_inclusion: ctStatus(r, treeSize) };
}

function describeCert(pem: string) {
  const c = new x509.X509Certificate(pem);
  return { subject: c.subject, not_before: c.notBefore.toISOString(), not_after: c.notAfter.toISOString() };
}

async function caStatus(env: Env) {
  const certs = await caSigner(env).certificates().catch((e: unknown) => problem(ProblemType.serverInternal, 503, String(e)));
  if (isProblem(certs)) return { status: "unavailable", detail: certs.detail };
  return {
    status: "ok",
    root: { id: certs.root.id, ...describeCert(certs.root.pem) },
    issuing: { id: certs.issuing.id, ...describeCert(certs.issuing.pem) },
    // Rotated out: they still sign CRLs and OCSP answers for what they issued (src/ca/rotation.ts).
    retired: certs.retired.map((r) => ({ id: r.id, ...describeCert(r.pem) })),
    pq: {
      root: { id: certs.pq.root.id, ...describeCert(certs.pq.root.pem) },
      issuing: { id: certs.pq.issuing.id, ...describeCert(certs.pq.issuing.pem) },
      retired: certs.pq.retired.map((r) => ({ id: r.id, ...describeCert(r.pem) })),
    },
  };
}

async function logStatus(env: Env) {
  const info = await ctLog(env).info().catch((e: unknown) => problem(ProblemType.serverInternal, 503, String(e)));
  const cp = await publishedCheckpoint(env).catch(() => null);
  if (isProblem(info)) return { status: "unavailable", detail: info.detail, tree_size: cp?.treeSize ?? null };
  return {
    status: "ok",
    name: info.name,
    origin: info.origin,
    tree_size: cp?.treeSize ?? null,
    checkpoint_published: cp ? cp.uploaded.toISOString() : null,
    checkpoint_url: `/${info.name}/checkpoint`,
  };
}

status.get("/status", async (c) => {
  const metrics = metricsObject(c.env);
  const [ca, log, validators, history, cp] = await Promise.all([
    caStatus(c.env),
    logStatus(c.env),
    validatorHealth(c.env),
    metrics.history(),
    publishedCheckpoint(c.env).catch(() => null),
  ]);
  const recent = await recentCertificates(c.env.DB, RECENT);
  return c.json(
    {
      ca,
      log,
      validators: validators.length ? { configured: true, validators } : { configured: false, validators: [] },
      recent_issuances: recent.map((r) => withCt(r, cp?.treeSize ?? null)),
      rates: {
        minute_start: history.minuteStart,
        issuances_per_minute: history.series["trustchain_issuances_total"] ?? [],
        doh_queries_per_minute: history.series["trustchain_doh_queries_total"] ?? [],
      },
    },
    200,
    { "cache-control": "no-store" },
  );
});

/**
 * crt.sh-style search: a SHA-256 fingerprint (64 hex digits, colons allowed), a serial (hex,
 * colons allowed) or a DNS name / IP address. Text that could be both a serial and a name is
 * looked up as both.
 */
status.get("/search", async (c) => {
  const q = (c.req.query("q") ?? "").trim();
  if (!q || q.length > MAX_QUERY) return problemResponse(problem(ProblemType.malformed, 400, `give ?q=<name, serial or SHA-256 fingerprint> (at most ${MAX_QUERY} characters)`));
  const found = new Map<string, CertificateRecord>();
  const hex = q.replace(/:/g, "").toLowerCase();
  if (/^[0-9a-f]{64}$/.test(hex)) {
    const r = await findByFingerprint(c.env.DB, hex);
    if (r) found.set(r.serial, r);
  }
  const serial = /^[0-9a-f]+$/.test(hex) && hex.length <= 40 ? normalizeSerial(hex) : null;
  if (serial) {
    const r = await getCertificate(c.env.DB, serial);
    if (r) found.set(r.serial, r);
  }
  const ip = ipIdentifierFromText(q);
  const dns = ip ? null : checkDnsName(q.toLowerCase());
  const name = ip ? ip.value : dns?.ok ? dns.value : null;
  if (name) for (const r of await findByName(c.env.DB, name)) found.set(r.serial, r);
  const cp = await publishedCheckpoint(c.env).catch(() => null);
  const results = [...found.values()].sort((a, b) => b.createdAt - a.createdAt).map((r) => withCt(r, cp?.treeSize ?? null));
  return c.json({ query: q, certificates: results }, 200, { "cache-control": "no-store" });
});
