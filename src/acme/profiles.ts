// ACME profiles (draft-aaron-acme-profiles): the directory's meta.profiles names them, a newOrder
// may ask for one by name, and the order carries it. Here a profile chooses which CA hierarchy
// signs; the subject key may be classical or ML-DSA under either, since the CSR rules are the same
// (src/x509/csr.ts) and a relying party validates the issuer's signature, not the leaf key's kind.

import type { HierarchyName } from "../ca/pq-hierarchy.ts";
import { type Problem, ProblemType, problem } from "../problem.ts";

export interface AcmeProfile {
  name: string;
  description: string;
  hierarchy: HierarchyName;
}

export const ACME_PROFILES: readonly AcmeProfile[] = [
  {
    name: "classic",
    description: "ECDSA P-256 issuing CA under the P-384 root (the default); the certificate also chains to the ML-DSA-87 root through a cross-certificate, offered as the alternate chain",
    hierarchy: "classical",
  },
  {
    name: "mldsa",
    description: "ML-DSA-65 issuing CA under the ML-DSA-87 root (RFC 9881 algorithm identifiers) for ML-DSA-44/65/87 or classical subject keys; clients need ML-DSA support to validate the chain",
    hierarchy: "pq",
  },
];

export const DEFAULT_ACME_PROFILE = "classic";

/** The directory's meta.profiles: name → description. */
export const profilesMeta = (): Record<string, string> => Object.fromEntries(ACME_PROFILES.map((p) => [p.name, p.description]));

export const acmeProfile = (name: string | null): AcmeProfile => ACME_PROFILES.find((p) => p.name === (name ?? DEFAULT_ACME_PROFILE)) ?? ACME_PROFILES[0]!;

/** The newOrder `profile` field: absent (the default) or one of the advertised names. */
export function parseOrderProfile(value: unknown): string | null | Problem {
  if (value === undefined) return null;
  if (typeof value !== "string" || !ACME_PROFILES.some((p) => p.name === value)) {
    return problem(ProblemType.invalidProfile, 400, `unknown profile ${JSON.stringify(value).slice(0, 80)}; this server offers ${ACME_PROFILES.map((p) => `"${p.name}"`).join(", ")}`);
  }
  return value;
}
