// The certificate index in D1: what the CA issued, to whom, and its revocation status.

import type { Identifier } from "../names/identifiers.ts";
import { identifierKey } from "../names/identifiers.ts";
import type { CertificateStatus } from "../revocation/ocsp.ts";
import { toHex } from "../encoding/bytes.ts";

export interface CertificateRecord {
  serial: string;
  fingerprint: string;
  issuerId: string;
  subject: string;
  names: string[];
  keyType: string;
  profile: string;
  notBefore: number;
  notAfter: number;
  status: "valid" | "revoked";
  revokedAt: number | null;
  revocationReason: number | null;
  createdAt: number;
  requestedBy: string;
  ctPrecertIndex: number | null;
  ctFinalIndex: number | null;
}

interface Row {
  serial: string;
  fingerprint: string;
  issuer_id: string;
  subject: string;
  names: string;
  key_type: string;
  profile: string;
  not_before: number;
  not_after: number;
  status: "valid" | "revoked";
  revoked_at: number | null;
  revocation_reason: number | null;
  created_at: number;
  requested_by: string;
  ct_precert_index: number | null;
  ct_final_index: number | null;
}

const COLUMNS =
  "serial, fingerprint, issuer_id, subject, names, key_type, profile, not_before, not_after, status, revoked_at, revocation_reason, created_at, requested_by, ct_precert_index, ct_final_index";

function fromRow(r: Row): CertificateRecord {
  return {
    serial: r.serial,
    fingerprint: r.fingerprint,
    issuerId: r.issuer_id,
    subject: r.subject,
    names: JSON.parse(r.names) as string[],
    keyType: r.key_type,
    profile: r.profile,
    notBefore: r.not_before,
    notAfter: r.not_after,
    status: r.status,
    revokedAt: r.revoked_at,
    revocationReason: r.revocation_reason,
    createdAt: r.created_at,
    requestedBy: r.requested_by,
    ctPrecertIndex: r.ct_precert_index,
    ctFinalIndex: r.ct_final_index,
  };
}

export interface NewCertificate {
  serial: string;
  fingerprint: string;
  issuerId: string;
  subject: string;
  identifiers: Identifier[];
  keyType: string;
  profile: string;
  notBefore: number;
  notAfter: number;
  der: Uint8Array;
  createdAt: number;
  requestedBy: string;
  ctPrecertIndex: number | null;
  ctFinalIndex: number | null;
}

/**
 * Inserts certificates and their names (and `alongside` statements) in one transaction (D1
 * batches are atomic). However many
 * certificates a group commit carries, this is two statements: the rows travel as one JSON
 * parameter each and SQLite unpacks them with json_each, so the cost per batch stays flat.
 */
export async function insertCertificates(db: D1Database, certs: NewCertificate[], alongside: D1PreparedStatement[] = []): Promise<void> {
  const rows = certs.map((c) => [
    c.serial,
    c.fingerprint,
    c.issuerId,
    c.subject,
    JSON.stringify(c.identifiers.map(identifierKey)),
    c.keyType,
    c.profile,
    c.notBefore,
    c.notAfter,
    toHex(c.der),
    c.createdAt,
    c.requestedBy,
    c.ctPrecertIndex,
    c.ctFinalIndex,
  ]);
  const names = certs.flatMap((c) => c.identifiers.map((id) => [id.value, c.serial]));
  await db.batch([
    db
      .prepare(
        `INSERT INTO certificates (serial, fingerprint, issuer_id, subject, names, key_type, profile, not_before, not_after, der, created_at, requested_by, ct_precert_index, ct_final_index)
         SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8, unhex(value ->> 9), value ->> 10, value ->> 11, value ->> 12, value ->> 13
         FROM json_each(?)`,
      )
      .bind(JSON.stringify(rows)),
    db.prepare("INSERT INTO certificate_names (name, serial) SELECT value ->> 0, value ->> 1 FROM json_each(?)").bind(JSON.stringify(names)),
    // Rows that must be written with the certificates or not at all (their quorum certificates).
    ...alongside,
  ]);
}

export async function getCertificate(db: D1Database, serial: string): Promise<CertificateRecord | null> {
  const r = await db.prepare(`SELECT ${COLUMNS} FROM certificates WHERE serial = ?`).bind(serial).first<Row>();
  return r ? fromRow(r) : null;
}

export async function getCertificateDer(db: D1Database, serial: string): Promise<Uint8Array | null> {
  const r = await db.prepare("SELECT der FROM certificates WHERE serial = ?").bind(serial).first<{ der: ArrayBuffer | number[] }>();
  if (!r) return null;
  return r.der instanceof ArrayBuffer ? new Uint8Array(r.der) : new Uint8Array(r.der);
}

/** Certificates naming exactly this identifier (DNS name or IP text), newest first. */
export async function findByName(db: D1Database, name: string, limit = 100): Promise<CertificateRecord[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS.split(", ").map((c) => `c.${c}`).join(", ")} FROM certificate_names n JOIN certificates c ON c.serial = n.serial WHERE n.name = ? ORDER BY c.created_at DESC LIMIT ?`,
    )
    .bind(name, limit)
    .all<Row>();
  return results.map(fromRow);
}

export async function certificateStatus(db: D1Database, issuerId: string, serial: string): Promise<CertificateStatus> {
  const r = await db
    .prepare("SELECT status, revoked_at, revocation_reason FROM certificates WHERE serial = ? AND issuer_id = ?")
    .bind(serial, issuerId)
    .first<{ status: string; revoked_at: number | null; revocation_reason: number | null }>();
  if (!r) return { status: "unknown" };
  if (r.status === "revoked") return { status: "revoked", revokedAt: new Date((r.revoked_at ?? 0) * 1000), reason: r.revocation_reason ?? 0 };
  return { status: "good" };
}

/** Marks a valid certificate revoked; false if it was not found or already revoked. */
export async function markRevoked(db: D1Database, serial: string, reason: number, at: number): Promise<boolean> {
  const res = await db
    .prepare("UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ? WHERE serial = ? AND status = 'valid'")
    .bind(at, reason, serial)
    .run();
  return res.meta.changes === 1;
}

/** Revoked certificates of an issuer that have not yet expired: the entries of its full CRL. */
export async function revokedUnexpired(db: D1Database, issuerId: string, now: number) {
  const { results } = await db
    .prepare("SELECT serial, revoked_at, revocation_reason FROM certificates WHERE issuer_id = ? AND status = 'revoked' AND not_after > ? ORDER BY revoked_at")
    .bind(issuerId, now)
    .all<{ serial: string; revoked_at: number; revocation_reason: number }>();
  return results.map((r) => ({ serial: r.serial, revokedAt: new Date(r.revoked_at * 1000), reason: r.revocation_reason }));
}

/** Whether any certificate of this issuer is still unexpired (revoked ones included). */
export async function hasUnexpired(db: D1Database, issuerId: string, now: number): Promise<boolean> {
  // status IN (…) lets the (issuer_id, status, not_after) index answer without a table scan.
  const row = await db.prepare("SELECT 1 AS x FROM certificates WHERE issuer_id = ? AND status IN ('valid', 'revoked') AND not_after > ? LIMIT 1").bind(issuerId, now).first();
  return row !== null;
}

export async function setFinalLeafIndex(db: D1Database, serial: string, index: number): Promise<void> {
  await db.prepare("UPDATE certificates SET ct_final_index = ? WHERE serial = ?").bind(index, serial).run();
}

/** Certificates whose final certificate is not yet in the CT log, oldest first. */
export async function unloggedFinals(db: D1Database, createdBefore: number, limit: number): Promise<{ serial: string; issuerId: string; der: Uint8Array }[]> {
  const { results } = await db
    .prepare("SELECT serial, issuer_id, der FROM certificates WHERE ct_final_index IS NULL AND created_at < ? ORDER BY created_at LIMIT ?")
    .bind(createdBefore, limit)
    .all<{ serial: string; issuer_id: string; der: ArrayBuffer | number[] }>();
  return results.map((r) => ({ serial: r.serial, issuerId: r.issuer_id, der: new Uint8Array(r.der) }));
}

/** How many certificates the given issuers have issued (a restore refuses to replace a CA in use). */
export async function countIssuedBy(db: D1Database, issuerIds: string[]): Promise<number> {
  if (issuerIds.length === 0) return 0;
  const row = await db
    .prepare(`SELECT COUNT(*) AS n FROM certificates WHERE issuer_id IN (${issuerIds.map(() => "?").join(", ")})`)
    .bind(...issuerIds)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** The certificate with this SHA-256 fingerprint (lowercase hex), if we issued it. */
export async function findByFingerprint(db: D1Database, fingerprint: string): Promise<CertificateRecord | null> {
  const r = await db.prepare(`SELECT ${COLUMNS} FROM certificates WHERE fingerprint = ?`).bind(fingerprint).first<Row>();
  return r ? fromRow(r) : null;
}

/** The most recently issued certificates, newest first. */
export async function recentCertificates(db: D1Database, limit: number): Promise<CertificateRecord[]> {
  const { results } = await db.prepare(`SELECT ${COLUMNS} FROM certificates ORDER BY created_at DESC, serial LIMIT ?`).bind(limit).all<Row>();
  return results.map(fromRow);
}
