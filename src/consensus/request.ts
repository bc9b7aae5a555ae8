// What the validators vote on: a CA operation, the exact content the CaSigner will sign, who asks
// and when. Its hash (SHA-256 over the canonical encoding) is what votes, the audit log and the
// CaSigner's replay record name; the CaSigner recomputes it from what it is asked to sign.

import type { IssueRequest } from "../ca/issuance.ts";
import { HIERARCHIES, type HierarchyName } from "../ca/pq-hierarchy.ts";
import { fromBase64Url, toBase64Url, toHex } from "../encoding/bytes.ts";
import { type Identifier, checkDnsName, ipIdentifierFromText } from "../names/identifiers.ts";
import type { KeyKind } from "../x509/public-key.ts";
import { canonicalHash } from "./canonical.ts";

export const OPERATIONS = ["issue", "revoke", "crl", "rotate"] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface IssueSubject {
  kind: "issue";
  /** base64url DER SubjectPublicKeyInfo of the subscriber's key. */
  spki: string;
  keyKind: KeyKind;
  keyLabel: string;
  /** "dns:<name>" / "ip:<address>", in certificate order. */
  identifiers: string[];
  commonName?: string;
  profile: string;
  /** Which CA hierarchy signs; absent: the classical one. */
  hierarchy?: HierarchyName;
}

export interface RevokeSubject {
  kind: "revoke";
  serial: string;
  reason: number;
}

/** A CRL publication: its content is the index's revocations at signing time. */
export interface CrlSubject {
  kind: "crl";
  trigger: "scheduled";
}

/**
 * A rotation of one hierarchy's issuing CA (src/ca/rotation.ts). It names the issuing CA it
 * replaces: the CaSigner acts only while that one is still current, so an approved rotation
 * rotates once, however often it is presented.
 */
export interface RotateSubject {
  kind: "rotate";
  hierarchy: HierarchyName;
  /** Id (subjectKeyIdentifier, hex) of the issuing CA to retire. */
  issuing: string;
}

export type Subject = IssueSubject | RevokeSubject | CrlSubject | RotateSubject;

export interface ConsensusRequest {
  v: 1;
  operation: Operation;
  subject: Subject;
  /** "acme:<account id>", "token:<token id>", "system:cron" or "anonymous". */
  requester: string;
  /** Milliseconds since the epoch, from the requester's clock. */
  timestamp: number;
  /** 16 random bytes (hex): two identical operations are two requests. */
  nonce: string;
}

const DOMAIN = "trustchain/consensus/request/v1";

export function requestHash(r: ConsensusRequest): Promise<string> {
  return canonicalHash(DOMAIN, r as unknown as Parameters<typeof canonicalHash>[1]);
}

export function newRequest(operation: Operation, subject: Subject, requester: string, now: number): ConsensusRequest {
  return { v: 1, operation, subject, requester, timestamp: now, nonce: toHex(crypto.getRandomValues(new Uint8Array(16))) };
}

export function issueSubject(req: IssueRequest): IssueSubject {
  return {
    kind: "issue",
    spki: toBase64Url(req.spkiDer),
    keyKind: req.keyKind,
    keyLabel: req.keyLabel,
    identifiers: req.identifiers.map((i) => `${i.type}:${i.value}`),
    ...(req.commonName === undefined ? {} : { commonName: req.commonName }),
    profile: req.profile,
    ...(req.hierarchy === undefined || req.hierarchy === "classical" ? {} : { hierarchy: req.hierarchy }),
  };
}

function identifierFromKey(key: string): Identifier | null {
  if (key.startsWith("dns:")) {
    const name = key.slice(4);
    const wildcard = name.startsWith("*.");
    const checked = checkDnsName(wildcard ? name.slice(2) : name);
    return checked.ok ? { type: "dns", value: wildcard ? `*.${checked.value}` : checked.value } : null;
  }
  if (key.startsWith("ip:")) return ipIdentifierFromText(key.slice(3));
  return null;
}

/** The issuance the CaSigner performs for an approved request: exactly what was voted on. */
export function issueRequestOf(r: ConsensusRequest): IssueRequest | null {
  const s = r.subject;
  if (r.operation !== "issue" || s.kind !== "issue") return null;
  const spkiDer = fromBase64Url(s.spki);
  const identifiers = s.identifiers.map(identifierFromKey);
  if (!spkiDer || identifiers.some((i) => i === null)) return null;
  return {
    spkiDer,
    keyKind: s.keyKind,
    keyLabel: s.keyLabel,
    identifiers: identifiers as Identifier[],
    ...(s.commonName === undefined ? {} : { commonName: s.commonName }),
    profile: s.profile,
    ...(s.hierarchy === undefined ? {} : { hierarchy: s.hierarchy }),
    requestedBy: r.requester,
  };
}

/** A short description of what a request acts on, for the audit log. */
export function requestTarget(r: ConsensusRequest): string {
  const s = r.subject;
  switch (s.kind) {
    case "issue":
      return s.identifiers.join(",");
    case "revoke":
      return `serial:${s.serial}`;
    case "crl":
      return "crl";
    case "rotate":
      return `ca:${s.hierarchy}:${s.issuing}`;
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown, max = 1024): v is string => typeof v === "string" && v.length <= max;

/** Shape check of a request received over HTTP (validate_certificate / validate_proofs). */
export function parseRequest(v: unknown): ConsensusRequest | null {
  if (!isObj(v) || v.v !== 1 || !(OPERATIONS as readonly unknown[]).includes(v.operation)) return null;
  if (!isStr(v.requester, 256) || !Number.isSafeInteger(v.timestamp) || !isStr(v.nonce, 64) || !/^[0-9a-f]{32}$/.test(v.nonce)) return null;
  const s = v.subject;
  if (!isObj(s)) return null;
  let subject: Subject;
  if (s.kind === "issue" && v.operation === "issue") {
    if (!isStr(s.spki, 4096) || !["rsa", "ecdsa", "ed25519", "ml-dsa"].includes(s.keyKind as string) || !isStr(s.keyLabel, 64) || !isStr(s.profile, 64)) return null;
    if (!Array.isArray(s.identifiers) || s.identifiers.length === 0 || s.identifiers.length > 1000 || !s.identifiers.every((i) => isStr(i, 300))) return null;
    if (s.commonName !== undefined && !isStr(s.commonName, 300)) return null;
    if (s.hierarchy !== undefined && !(HIERARCHIES as readonly unknown[]).includes(s.hierarchy)) return null;
    subject = {
      kind: "issue",
      spki: s.spki,
      keyKind: s.keyKind as KeyKind,
      keyLabel: s.keyLabel,
      identifiers: s.identifiers as string[],
      profile: s.profile,
      ...(s.commonName === undefined ? {} : { commonName: s.commonName as string }),
      ...(s.hierarchy === undefined ? {} : { hierarchy: s.hierarchy as HierarchyName }),
    };
  } else if (s.kind === "revoke" && v.operation === "revoke") {
    if (!isStr(s.serial, 64) || !Number.isSafeInteger(s.reason)) return null;
    subject = { kind: "revoke", serial: s.serial, reason: s.reason as number };
  } else if (s.kind === "crl" && v.operation === "crl" && s.trigger === "scheduled") {
    subject = { kind: "crl", trigger: "scheduled" };
  } else if (s.kind === "rotate" && v.operation === "rotate") {
    if (!(HIERARCHIES as readonly unknown[]).includes(s.hierarchy) || !isStr(s.issuing, 128) || !/^[0-9a-f]+$/.test(s.issuing)) return null;
    subject = { kind: "rotate", hierarchy: s.hierarchy as HierarchyName, issuing: s.issuing };
  } else return null;
  return { v: 1, operation: v.operation as Operation, subject, requester: v.requester, timestamp: v.timestamp as number, nonce: v.nonce };
}
