// Problem documents (RFC 9457). The API and ACME share the ACME error vocabulary (RFC 8555 §6.7)
// where a type fits, so clients of either front door see the same names for the same failures.

const ACME = "urn:ietf:params:acme:error:";

export const ProblemType = {
  malformed: `${ACME}malformed`,
  badCSR: `${ACME}badCSR`,
  badPublicKey: `${ACME}badPublicKey`,
  rejectedIdentifier: `${ACME}rejectedIdentifier`,
  unauthorized: `${ACME}unauthorized`,
  alreadyRevoked: `${ACME}alreadyRevoked`,
  badRevocationReason: `${ACME}badRevocationReason`,
  rateLimited: `${ACME}rateLimited`,
  serverInternal: `${ACME}serverInternal`,
  // Types only the ACME front door uses (RFC 8555 §6.7).
  accountDoesNotExist: `${ACME}accountDoesNotExist`,
  badNonce: `${ACME}badNonce`,
  badSignatureAlgorithm: `${ACME}badSignatureAlgorithm`,
  caa: `${ACME}caa`,
  externalAccountRequired: `${ACME}externalAccountRequired`,
  alreadyReplaced: `${ACME}alreadyReplaced`,
  connection: `${ACME}connection`,
  dns: `${ACME}dns`,
  incorrectResponse: `${ACME}incorrectResponse`,
  orderNotReady: `${ACME}orderNotReady`,
  unsupportedIdentifier: `${ACME}unsupportedIdentifier`,
  userActionRequired: `${ACME}userActionRequired`,
  // draft-aaron-acme-profiles: a newOrder asked for a profile the server does not offer.
  invalidProfile: `${ACME}invalidProfile`,
  // RFC 9457 §4.2.1: plain HTTP semantics carry no further meaning.
  about: "about:blank",
} as const;

export type ProblemTypeUri = (typeof ProblemType)[keyof typeof ProblemType];

export interface Problem {
  type: ProblemTypeUri;
  title?: string;
  status: number;
  detail: string;
  /** Per-name failures (RFC 8555 §6.7.1). */
  /** The algorithms a badSignatureAlgorithm problem accepts (RFC 8555 §6.2). */
  algorithms?: string[];
  subproblems?: { type: ProblemTypeUri; detail: string; identifier?: { type: string; value: string } }[];
}

export function problem(type: ProblemTypeUri, status: number, detail: string, extra?: Partial<Problem>): Problem {
  return { type, status, detail, ...extra };
}

export function isProblem(x: unknown): x is Problem {
  return typeof x === "object" && x !== null && "type" in x && "status" in x && "detail" in x;
}

/** Result type for operations that fail with a problem instead of throwing. */
export type Result<T> = { ok: true; value: T } | { ok: false; problem: Problem };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(p: Problem): Result<T> => ({ ok: false, problem: p });
