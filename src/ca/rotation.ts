// Rotation of an issuing CA: the root signs a new issuing CA, which signs every leaf from then on,
// and the previous one is retired with its key kept sealed. A retired issuing CA signs no leaf but
// keeps answering for the certificates it issued (its CRL, refreshed while any of them is
// unexpired; OCSP; its certificate at /ca/<id>.der), so a rotation never takes revocation away
// from a certificate issued before it. One code path for both hierarchies: a HierarchyKind says
// how a hierarchy is stored, loaded and given a new issuing key.
//
// When (rotationDue): the scheduled handler asks for a rotation through consensus when the
// current issuing CA is older than CA_ROTATE_AFTER_DAYS, or when less of its lifetime remains
// than the longest leaf profile plus CA_ROTATE_MARGIN_DAYS. The first bounds how long one
// intermediate key signs (and so how many certificates one compromise or distrust touches, and
// how large its CRL grows) and exercises rotation routinely rather than in an emergency; the
// second keeps every profile's full lifetime available (a leaf never outlives its issuer, so
// later a 90-day leaf would be cut short) and leaves the margin for retries should a rotation
// find no quorum.

import { AsnConvert } from "@peculiar/asn1-schema";
import { AuthorityKeyIdentifier, Certificate, SubjectKeyIdentifier, id_ce_authorityKeyIdentifier, id_ce_subjectKeyIdentifier } from "@peculiar/asn1-x509";
import { mlDsaLevelFromOid } from "../crypto/ml-dsa.ts";
import { toHex } from "../encoding/bytes.ts";
import { type LoadedHierarchy, type StoredHierarchy, loadHierarchy, newIssuing } from "./authority.ts";
import type { Issuer } from "./hierarchy.ts";
import { type HierarchyName, type StoredPqHierarchy, loadPqHierarchy, newPqIssuing } from "./pq-hierarchy.ts";
import { PROFILES } from "./profiles.ts";
import type { CaUrls } from "./urls.ts";

export type StoredAnyHierarchy = StoredHierarchy | StoredPqHierarchy;

export interface HierarchyKind<S extends StoredAnyHierarchy> {
  /** The CaSigner's storage key. */
  storageKey: string;
  load(kek: CryptoKey, stored: S): Promise<LoadedHierarchy>;
  newIssuing(kek: CryptoKey, root: Issuer, urls: CaUrls, now: Date, generation: number): Promise<S["issuing"]>;
}

export const CLASSICAL: HierarchyKind<StoredHierarchy> = { storageKey: "hierarchy", load: loadHierarchy, newIssuing };
export const PQ: HierarchyKind<StoredPqHierarchy> = { storageKey: "pq-hierarchy", load: loadPqHierarchy, newIssuing: newPqIssuing };

/** The hierarchy with a new issuing CA (its name numbered one past the current one's) and the current one retired. */
export async function rotateIssuing<S extends StoredAnyHierarchy>(kind: HierarchyKind<S>, kek: CryptoKey, stored: S, root: Issuer, urls: CaUrls, now: Date): Promise<S> {
  const generation = (stored.retired?.length ?? 0) + 2;
  const issuing = await kind.newIssuing(kek, root, urls, now, generation);
  // Newest first: the order GET /api/v1/ca lists them in.
  return { ...stored, issuing, retired: [stored.issuing, ...(stored.retired ?? [])] };
}

export interface RotationPolicy {
  /** Rotate once the issuing CA is this old; null: only by the remaining-lifetime rule or on demand. */
  maxAgeMs: number | null;
  /** Rotate once less than this remains of its lifetime: the longest leaf profile plus the margin. */
  minRemainingMs: number;
}

export interface RotationVars {
  CA_ROTATE_AFTER_DAYS?: string;
  CA_ROTATE_MARGIN_DAYS?: string;
}

const DAY_MS = 86_400_000;
export const DEFAULT_ROTATE_AFTER_DAYS = 365;
export const DEFAULT_ROTATE_MARGIN_DAYS = 30;
const LONGEST_PROFILE_MS = Math.max(...Object.values(PROFILES).map((p) => p.validitySeconds)) * 1000;

function days(s: string | undefined, fallback: number): number {
  const n = Number(s);
  return s !== undefined && s !== "" && Number.isInteger(n) && n >= 0 && n <= 36_500 ? n : fallback;
}

export function rotationPolicy(vars: RotationVars): RotationPolicy {
  const after = vars.CA_ROTATE_AFTER_DAYS?.trim().toLowerCase();
  return {
    maxAgeMs: after === "off" ? null : days(after, DEFAULT_ROTATE_AFTER_DAYS) * DAY_MS,
    minRemainingMs: LONGEST_PROFILE_MS + days(vars.CA_ROTATE_MARGIN_DAYS, DEFAULT_ROTATE_MARGIN_DAYS) * DAY_MS,
  };
}

/**
 * Why the hierarchy's issuing CA is due for rotation at `now`, or null when it is not. The
 * remaining-lifetime rule applies only while a new issuing CA would outlive the current one: near
 * the root's own end (a new one is cut at the root's notAfter too) rotating would not help, and
 * the cron would otherwise rotate every hour.
 */
export function rotationDue(h: { root: Pick<Issuer, "notAfter">; issuing: Pick<Issuer, "notBefore" | "notAfter"> }, now: number, p: RotationPolicy): string | null {
  const age = now - h.issuing.notBefore.getTime();
  const remaining = h.issuing.notAfter.getTime() - now;
  if (remaining < p.minRemainingMs && h.root.notAfter > h.issuing.notAfter) {
    return `${Math.max(0, Math.floor(remaining / DAY_MS))} days of its lifetime remain, less than the longest leaf profile plus the margin (${Math.round(p.minRemainingMs / DAY_MS)} days)`;
  }
  if (p.maxAgeMs !== null && age >= p.maxAgeMs) return `it is ${Math.floor(age / DAY_MS)} days old (CA_ROTATE_AFTER_DAYS: ${Math.round(p.maxAgeMs / DAY_MS)})`;
  return null;
}

/** A published CA certificate by its id (the hex subjectKeyIdentifier), as /ca/<id>.der serves it. */
export type CaCertificateReader = (id: string) => Promise<Uint8Array | null>;

function extensionValue(cert: Certificate, oid: string): ArrayBuffer | null {
  return cert.tbsCertificate.extensions?.find((e) => e.extnID === oid)?.extnValue.buffer ?? null;
}

/**
 * rotationDue for the issuing CA `issuing` of `hierarchy`, judged from the published certificates
 * (the issuing CA's, and its root's found by its authorityKeyIdentifier) rather than from whoever
 * asks. A validator checks this before it approves the scheduler's rotation: that the scheduler
 * says one is due is no evidence that one is.
 */
export async function publishedRotationDue(read: CaCertificateReader, hierarchy: HierarchyName, issuing: string, now: number, p: RotationPolicy): Promise<{ due: boolean; reason: string }> {
  const not = (reason: string) => ({ due: false, reason });
  const parse = async (id: string): Promise<Certificate | null> => {
    const der = await read(id);
    if (!der) return null;
    try {
      return AsnConvert.parse(der, Certificate);
    } catch {
      return null;
    }
  };
  const cert = await parse(issuing);
  if (!cert) return not(`no published CA certificate ${issuing}`);
  const ski = extensionValue(cert, id_ce_subjectKeyIdentifier);
  if (!ski || toHex(new Uint8Array(AsnConvert.parse(ski, SubjectKeyIdentifier).buffer)) !== issuing) return not(`the certificate published as ${issuing} has another key identifier`);
  const pqKey = mlDsaLevelFromOid(cert.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm) !== null;
  if (pqKey !== (hierarchy === "pq")) return not(`${issuing} is not an issuing CA of the ${hierarchy} hierarchy`);
  const aki = extensionValue(cert, id_ce_authorityKeyIdentifier);
  const rootId = aki ? AsnConvert.parse(aki, AuthorityKeyIdentifier).keyIdentifier : undefined;
  const root = rootId ? await parse(toHex(new Uint8Array(rootId.buffer))) : null;
  if (!root) return not(`the root that signed ${issuing} is not published`);
  const validity = cert.tbsCertificate.validity;
  const reason = rotationDue(
    { root: { notAfter: root.tbsCertificate.validity.notAfter.getTime() }, issuing: { notBefore: validity.notBefore.getTime(), notAfter: validity.notAfter.getTime() } },
    now,
    p,
  );
  return reason ? { due: true, reason } : not(`${issuing} is not due for rotation under this validator's policy`);
}
