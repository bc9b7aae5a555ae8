// The CT-logged issuance of one leaf (RFC 6962 §3.1): sign a poisoned precertificate, log it,
// embed the returned SCT in the final certificate and sign that; then log the final certificate.

import type { Bytes } from "../encoding/bytes.ts";
import type { Identifier } from "../names/identifiers.ts";
import type { CheckedCsr } from "../x509/csr.ts";
import type { KeyKind } from "../x509/public-key.ts";
import type { SignedEntry } from "../ct/structures.ts";
import { type Problem, isProblem } from "../problem.ts";
import type { IssuingChain } from "./authority.ts";
import { signLeaf } from "./authority.ts";
import { POISON_EXTENSION, type ReceivedSct, precertEntry, sctListExtension } from "./ct-embedding.ts";
import { buildLeafTbs, type LeafParams } from "./leaf.ts";
import type { HierarchyName } from "./pq-hierarchy.ts";

/** What the CaSigner is asked to sign: a CSR that passed checkCsr, a profile, and who asked. */
export interface IssueRequest {
  spkiDer: Uint8Array;
  keyKind: KeyKind;
  keyLabel: string;
  identifiers: Identifier[];
  commonName?: string;
  profile: string;
  requestedBy: string;
  /** Which CA hierarchy signs: the classical ECDSA one (default) or the ML-DSA one (pq-hierarchy.ts). */
  hierarchy?: HierarchyName;
}

/** The one mapping from a checked CSR to an issuance request, for every front door. */
export function issueRequest(csr: CheckedCsr, profile: string, requestedBy: string, hierarchy?: HierarchyName): IssueRequest {
  return {
    ...(hierarchy ? { hierarchy } : {}),
    spkiDer: csr.spkiDer,
    keyKind: csr.key.kind,
    keyLabel: csr.key.label,
    identifiers: csr.identifiers,
    commonName: csr.commonName,
    profile,
    requestedBy,
  };
}

export interface LogSubmission {
  entry: SignedEntry;
  preCertificate?: Uint8Array;
  /** The chain after the submitted certificate, root included. */
  issuers: Uint8Array[];
}

export type SubmitToLog = (s: LogSubmission) => Promise<(ReceivedSct & { leafIndex: number }) | Problem>;

export interface LoggedLeaf {
  der: Bytes;
  fingerprint: string;
  precertIndex: number;
}

export async function issueLogged(ca: IssuingChain, plan: LeafParams, submit: SubmitToLog): Promise<LoggedLeaf | Problem> {
  const issuers = [ca.issuing.certDer, ca.root.certDer];
  const precert = await signLeaf(plan, [POISON_EXTENSION]);
  const sct = await submit({
    entry: precertEntry(await buildLeafTbs(plan), ca.issuing.spkiSha256),
    preCertificate: precert.der,
    issuers,
  });
  // Without an SCT there is no certificate: nothing was returned or indexed, and the unlogged
  // precertificate is discarded.
  if (isProblem(sct)) return sct;

  const final = await signLeaf(plan, [sctListExtension([sct])]);
  return { der: final.der, fingerprint: final.fingerprint, precertIndex: sct.leafIndex };
}

/**
 * Logs an issued (final) certificate. The embedded precertificate SCT already makes it
 * CT-compliant, so this runs after the certificate is returned; a failure leaves the index's
 * ct_final_index empty for the scheduled sweep to retry.
 */
export async function logFinal(ca: IssuingChain, der: Uint8Array, submit: SubmitToLog): Promise<number | null> {
  const logged = await submit({ entry: { type: "x509", certificate: der }, issuers: [ca.issuing.certDer, ca.root.certDer] });
  return isProblem(logged) ? null : logged.leafIndex;
}
