// Route descriptions of every /api/v1 route: paths, parameters, request bodies and responses as
// zod schemas. The OpenAPI document is generated from them (workers/openapi.ts) and the routers
// validate request bodies with the same schemas (validBody).

import { type RouteConfig, createRoute, z } from "@hono/zod-openapi";
import { parseRole } from "../src/auth/tokens.ts";
import { HIERARCHIES } from "../src/ca/pq-hierarchy.ts";
import { BEARER, documented, problems } from "./openapi.ts";

// ---- shared shapes ----

const json = <S extends z.ZodType>(schema: S, description: string) => ({ description, content: { "application/json": { schema } } });

const Serial = z.string().openapi({ description: "certificate serial number, hexadecimal", example: "5d858d9c999a7f58eab7aa5ba7361b65" });
const ZoneName = z.string().openapi({ description: "zone apex, with or without the trailing dot", example: "example.test" });

const CertificateRecord = z
  .object({
    serial: z.string(),
    fingerprint_sha256: z.string(),
    issuer_id: z.string(),
    subject: z.string(),
    names: z.array(z.string()).openapi({ example: ["dns:www.example.test"] }),
    key_type: z.string(),
    profile: z.string(),
    not_before: z.string(),
    not_after: z.string(),
    status: z.enum(["valid", "revoked"]),
    revoked_at: z.string().nullable(),
    revocation_reason: z.string().nullable(),
    created_at: z.string(),
    ct: z.object({ precertificate_leaf_index: z.number().nullable(), certificate_leaf_index: z.number().nullable() }),
  })
  .openapi("CertificateRecord");

const CtInclusion = z.enum(["included", "pending", "not logged"]);
const CertificateWithCt = CertificateRecord.extend({
  ct_inclusion: z.object({ precertificate: CtInclusion, certificate: CtInclusion, checkpoint_tree_size: z.number().nullable() }),
}).openapi("CertificateWithCtInclusion");

const Token = z
  .object({ id: z.string(), role: z.string(), label: z.string().nullable(), created_at: z.string().nullable(), expires_at: z.string().nullable(), revoked_at: z.string().nullable() })
  .openapi("Token");

const Loose = z.looseObject({});
const CaCert = z.object({ id: z.string(), pem: z.string() }).openapi("CaCertificate");
const IssuingCaCert = CaCert.extend({
  status: z.enum(["current", "retired"]).openapi({ description: "current: signs new certificates; retired: rotated out, still signs its CRL and OCSP answers for what it issued" }),
  not_before: z.string(),
  not_after: z.string(),
}).openapi("IssuingCaCertificate");
const Intermediates = z.array(IssuingCaCert).openapi({ description: "the current issuing CA first, then the retired ones, newest first" });
const CaCertificates = z
  .object({
    root: CaCert,
    intermediates: Intermediates,
    pq: z
      .object({ root: CaCert, intermediates: Intermediates, cross_certificates: z.array(CaCert.extend({ issuing_id: z.string() })) })
      .openapi({ description: "the ML-DSA hierarchy (ML-DSA-87 root, ML-DSA-65 issuing CA) and each classical issuing CA cross-certified by the ML-DSA root" }),
  })
  .openapi("CaCertificates");

// ---- request bodies the routers validate ----

export const IssueJsonBody = z
  .object({
    csr: z.string().openapi({ description: "PKCS#10 CSR in PEM" }),
    profile: z.string().optional().openapi({ description: "issuance profile name" }),
    hierarchy: z.string().optional().openapi({ description: 'which CA signs: "classical" (ECDSA, default) or "pq" (ML-DSA)' }),
  })
  .openapi("IssueRequest");

export const RevokeBody = z
  .object({ reason: z.union([z.number().int(), z.string()]).optional().openapi({ description: "RFC 5280 reason code or name; default unspecified (0)" }) })
  .openapi("RevokeRequest");

export const RotateBody = z
  .object({
    hierarchy: z.enum(HIERARCHIES).optional().openapi({ description: 'which hierarchy\'s issuing CA: "classical" (default) or "pq"' }),
    issuing_id: z
      .string()
      .regex(/^[0-9a-f]{1,128}$/)
      .optional()
      .openapi({ description: "the issuing CA to retire (hex id, as GET /api/v1/ca lists it); refused unless it is the current one. Default: the current one" }),
  })
  .openapi("RotateRequest");

export const CreateTokenBody = z
  .object({
    role: z.string().refine((r) => parseRole(r) !== null, { message: "role must be admin, issuer, revoker, reader or zone:<apex>" }),
    label: z.string().max(200).optional(),
    expires_in_days: z.number().positive().max(3650).optional(),
  })
  .openapi("CreateToken");

export const CreateZoneBody = z
  .object({
    name: z.string(),
    nameservers: z.array(z.string()).min(1).optional(),
    zonefile: z.string().optional().openapi({ description: "RFC 1035 master file content" }),
  })
  .openapi("CreateZone");

export const RRsetBody = z
  .object({ ttl: z.number().int().min(0), records: z.array(z.string()).min(1).openapi({ description: "RDATA in presentation format", example: ["192.0.2.1"] }) })
  .openapi("RRsetBody");

export const RolloverBody = z
  .object({ step: z.enum(["publish", "activate", "retire"]).optional(), force: z.boolean().optional(), auto: z.boolean().optional() })
  .openapi("RolloverRequest");

export const Dns01Body = z
  .union([z.object({ fqdn: z.string(), value: z.string() }), z.object({ domain: z.string(), token: z.string().optional(), keyAuth: z.string() })])
  .openapi("Dns01Request", { description: "lego httpreq: {fqdn, value}, or RAW mode {domain, token, keyAuth}" });

// ---- the routes ----

const tags = (t: string) => [t];
const zoneParams = z.object({ zone: ZoneName });
const rrsetParams = z.object({ zone: ZoneName, name: z.string().openapi({ description: "owner name, relative to the zone or absolute" }), type: z.string().openapi({ example: "A" }) });

documented(createRoute({ method: "get", path: "/api/v1/openapi.json", tags: tags("meta"), summary: "This document", responses: { 200: json(Loose, "OpenAPI 3.1 document") } }));

documented(
  createRoute({
    method: "get",
    path: "/api/v1/ca",
    tags: tags("certificates"),
    summary: "The root and issuing CA certificates",
    responses: {
      200: json(
        CaCertificates,
        "CA certificates",
      ),
      ...problems(503),
    },
  }),
);

documented(
  createRoute({
    method: "post",
    path: "/api/v1/certificates",
    tags: tags("certificates"),
    summary: "Issue a certificate from a CSR (role issuer)",
    security: BEARER,
    request: {
      query: z.object({ profile: z.string().optional() }),
      body: {
        required: true,
        content: {
          "application/json": { schema: IssueJsonBody },
          "application/pkcs10": { schema: z.string().openapi({ format: "binary", description: "DER CSR" }) },
          "application/x-pem-file": { schema: z.string().openapi({ description: "PEM CSR" }) },
        },
      },
    },
    responses: {
      201: json(
        z.object({
          serial: z.string(),
          fingerprint_sha256: z.string(),
          issuer_id: z.string(),
          profile: z.string(),
          not_before: z.string(),
          not_after: z.string(),
          names: z.array(z.string()),
          certificate: z.string(),
          chain: z.string(),
        }),
        "issued; Location names the certificate",
      ),
      ...problems(400, 401, 403, 413, 429, 503),
    },
  }),
);

documented(
  createRoute({
    method: "get",
    path: "/api/v1/certificates",
    tags: tags("certificates"),
    summary: "Certificates naming a DNS name or IP address (role reader)",
    security: BEARER,
    request: { query: z.object({ name: z.string() }) },
    responses: { 200: json(z.object({ name: z.string(), certificates: z.array(CertificateRecord) }), "matching certificates, newest first"), ...problems(400, 401, 403) },
  }),
);

documented(
  createRoute({
    method: "get",
    path: "/api/v1/certificates/{serial}",
    tags: tags("certificates"),
    summary: "One certificate as JSON, PEM or DER (role reader)",
    security: BEARER,
    request: { params: z.object({ serial: Serial }), query: z.object({ format: z.enum(["json", "pem", "der"]).optional() }) },
    responses: {
      200: {
        description: "the certificate",
        content: {
          "application/json": { schema: CertificateRecord.extend({ certificate: z.string().nullable() }) },
          "application/x-pem-file": { schema: z.string() },
          "application/pkix-cert": { schema: z.string().openapi({ format: "binary" }) },
        },
      },
      ...problems(400, 401, 403, 404),
    },
  }),
);

documented(
  createRoute({
    method: "post",
    path: "/api/v1/certificates/{serial}/revoke",
    tags: tags("certificates"),
    summary: "Revoke a certificate (role revoker)",
    security: BEARER,
    request: { params: z.object({ serial: Serial }), body: { required: false, content: { "application/json": { schema: RevokeBody } } } },
    responses: { 200: json(CertificateRecord, "the revoked certificate's record"), ...problems(400, 401, 403, 404) },
  }),
);

documented(
  createRoute({
    method: "get",
    path: "/api/v1/certificates/{serial}/quorum",
    tags: tags("certificates"),
    summary: "Who approved an issuance: the request voted on, the quorum certificate and the voters' keys (role reader)",
    security: BEARER,
    request: { params: z.object({ serial: Serial }) },
    responses: {
      200: json(
        z.object({ serial: z.string(), request_hash: z.string(), request: Loose, quorum_certificate: Loose, validator_keys: z.array(Loose) }),
        "the stored quorum certificate",
      ),
      ...problems(400, 401, 403, 404),
    },
  }),
);

const BackupEnvelope = z.looseObject({}).openapi("CaBackupEnvelope", { description: "CA keys sealed to an X-Wing (X25519 + ML-KEM-768) recipient (src/ca/backup.ts)" });

documented(
  createRoute({
    method: "post",
    path: "/api/v1/admin/ca-backup",
    tags: tags("admin"),
    summary: "Export both hierarchies' CA keys sealed to an operator's X-Wing public key (role admin; npm run ca:backup)",
    security: BEARER,
    request: { body: { required: true, content: { "application/json": { schema: z.object({ recipient: z.string().openapi({ description: "base64 X-Wing public key" }) }) } } } },
    responses: { 200: json(BackupEnvelope, "the sealed backup"), ...problems(400, 401, 403, 413, 503) },
  }),
);

documented(
  createRoute({
    method: "get",
    path: "/api/v1/admin/ca-restore-key",
    tags: tags("admin"),
    summary: "A one-time public key the restore envelope is re-sealed to (role admin; npm run ca:restore)",
    security: BEARER,
    responses: { 200: json(z.object({ public_key: z.string(), expires_at: z.string() }), "the restore key"), ...problems(401, 403, 503) },
  }),
);

documented(
  createRoute({
    method: "post",
    path: "/api/v1/admin/ca-restore",
    tags: tags("admin"),
    summary: "Restore CA keys from a backup re-sealed to the restore key (role admin; npm run ca:restore)",
    security: BEARER,
    request: { body: { required: true, content: { "application/json": { schema: BackupEnvelope } } } },
    responses: {
      200: json(CaCertificates, "the restored CA certificates"),
      ...problems(400, 401, 403, 409, 413, 503),
    },
  }),
);

documented(
  createRoute({
    method: "post",
    path: "/api/v1/admin/ca-rotate",
    tags: tags("admin"),
    summary: "Rotate an issuing CA through consensus: the root signs a new one, the old one is retired but keeps its CRL and OCSP (role admin)",
    security: BEARER,
    request: { body: { required: false, content: { "application/json": { schema: RotateBody } } } },
    responses: {
      200: json(z.object({ hierarchy: z.enum(HIERARCHIES), retired: IssuingCaCert, issuing: IssuingCaCert }), "rotated"),
      ...problems(400, 401, 403, 409, 413, 503),
    },
  }),
);

documented(
  createRoute({
    method: "post",
    path: "/api/v1/admin/acme-eab",
    tags: tags("admin"),
    summary: "Create an ACME External Account Binding key; the HMAC key is in this response only (role admin; npm run acme:eab-create)",
    security: BEARER,
    responses: {
      201: json(z.object({ kid: z.string(), hmac_key: z.string().openapi({ description: "base64url, 256 bits" }), created_at: z.string() }), "the key identifier and HMAC key for the ACME client"),
      ...problems(401, 403, 503),
    },
  }),
);

documented(
  createRoute({
    method: "get",
    path: "/api/v1/status",
    tags: tags("status"),
    summary: "CA, CT log and validator status, recent issuances and per-minute rates (public; the dashboard's data)",
    responses: { 200: json(z.looseObject({ ca: Loose, log: Loose, validators: Loose, recent_issuances: z.array(CertificateWithCt), rates: Loose }), "status") },
  }),
);

documented(
  createRoute({
    method: "get",
    path: "/api/v1/search",
    tags: tags("status"),
    summary: "Certificate search by DNS name, IP, serial or SHA-256 fingerprint, with CT inclusion (public)",
    request: { query: z.object({ q: z.string() }) },
    responses: { 200: json(z.object({ query: z.string(), certificates: z.array(CertificateWithCt) }), "matches, newest first"), ...problems(400) },
  }),
);

documented(
  createRoute({
    method: "get",
    path: "/api/v1/tokens",
    tags: tags("tokens"),
    summary: "List API tokens, never their secrets (role admin)",
    security: BEARER,
    responses: { 200: json(z.object({ tokens: z.array(Token) }), "tokens"), ...problems(401, 403) },
  }),
);

documented(
  createRoute({
    method: "post",
    path: "/api/v1/tokens",
    tags: tags("tokens"),
    summary: "Create an API token; the secret is in this response only (role admin)",
    security: BEARER,
    request: { body: { required: true, content: { "application/json": { schema: CreateTokenBody } } } },
    responses: { 201: json(Token.extend({ token: z.string() }), "the new token"), ...problems(400, 401, 403, 413) },
  }),
);

documented(
  createRoute({
    method: "delete",
    path: "/api/v1/tokens/{id}",
    tags: tags("tokens"),
    summary: "Revoke an API token (role admin)",
    security: BEARER,
    request: { params: z.object({ id: z.string().openapi({ description: "16 hex digits" }) }) },
    responses: { 204: { description: "revoked" }, ...problems(400, 401, 403, 404) },
  }),
);

documented(
  createRoute({
    method: "get",
    path: "/api/v1/zones",
    tags: tags("zones"),
    summary: "Hosted zones the token may manage",
    security: BEARER,
    responses: { 200: json(z.object({ zones: z.array(z.object({ apex: z.string(), created_at: z.string() })) }), "zones"), ...problems(401) },
  }),
);

documented(
  createRoute({
    method: "post",
    path: "/api/v1/zones",
    tags: tags("zones"),
    summary: "Create a zone (role admin)",
    security: BEARER,
    request: { body: { required: true, content: { "application/json": { schema: CreateZoneBody } } } },
    responses: { 201: json(Loose, "the zone's summary"), ...problems(400, 401, 403, 409, 413, 422) },
  }),
);

// Changes answer 422 past a zone size limit (src/dns/zone-limits.ts), 413 past a body limit.
const zoneRoute = (method: "get" | "delete" | "put" | "post", path: string, summary: string, extra: Partial<RouteConfig> = {}, ok: RouteConfig["responses"] = { 200: json(Loose, "result") }) =>
  documented(
    createRoute({
      method,
      path: `/api/v1/zones/{zone}${path}`,
      tags: tags("zones"),
      summary,
      security: BEARER,
      request: { params: path.includes("{name}") ? rrsetParams : zoneParams, ...(extra.request ?? {}) },
      responses: { ...ok, ...(method === "put" ? problems(400, 401, 403, 404, 413, 422) : problems(400, 401, 403, 404)) },
    }),
  );

zoneRoute("get", "", "Zone summary (admin or zone:<apex>)");
zoneRoute("delete", "", "Delete a zone (role admin)", {}, { 204: { description: "deleted" } });
zoneRoute("get", "/rrsets", "All RRsets of the zone");
zoneRoute("get", "/rrsets/{name}/{type}", "One RRset");
zoneRoute("put", "/rrsets/{name}/{type}", "Replace one RRset", { request: { body: { required: true, content: { "application/json": { schema: RRsetBody } } } } });
zoneRoute("delete", "/rrsets/{name}/{type}", "Delete one RRset");
zoneRoute("get", "/zonefile", "Export the zone as an RFC 1035 master file", {}, { 200: { description: "master file", content: { "text/dns": { schema: z.string() } } } });
zoneRoute(
  "put",
  "/zonefile",
  "Replace the zone's content from an RFC 1035 master file",
  { request: { body: { required: true, content: { "text/dns": { schema: z.string() }, "text/plain": { schema: z.string() } } } } },
  { 200: json(Loose, "result"), ...problems(415) },
);
zoneRoute("get", "/dnssec", "DNSSEC keys and the DS records for the parent");
zoneRoute("post", "/dnssec/rollover", "Advance a DNSSEC key rollover", { request: { body: { required: false, content: { "application/json": { schema: RolloverBody } } } } });

for (const action of ["present", "cleanup"] as const) {
  documented(
    createRoute({
      method: "post",
      path: `/api/v1/dns01/${action}`,
      tags: tags("dns01"),
      summary: `${action === "present" ? "Publish" : "Withdraw"} an _acme-challenge TXT value (lego httpreq; admin or zone:<apex>)`,
      security: BEARER,
      request: { body: { required: true, content: { "application/json": { schema: Dns01Body } } } },
      responses: { 200: json(z.object({ fqdn: z.string(), value: z.string(), zone: z.string(), serial: z.number() }), "done"), ...problems(400, 401, 403, 404, 413, 422) },
    }),
  );
}
