// What a requester shows the validators so each can authenticate it itself (the stake proof).
// Credentials travel beside the request and are never part of its hash, a vote or the stored
// quorum certificate: an API token's secret is seen only by the validators that check it.

export type Credentials =
  /** The ACME request's flattened JWS (RFC 8555 §6.2), exactly as the client signed it. */
  | { kind: "acme-jws"; protected: string; payload: string; signature: string }
  /** The native API's bearer token. */
  | { kind: "bearer"; token: string }
  /** The CA's own scheduled work: allowed for CRL refreshes and issuing CA rotations only. */
  | { kind: "system" }
  | { kind: "none" };

const b64u = (v: unknown): v is string => typeof v === "string" && v.length <= 200_000 && /^[A-Za-z0-9_-]*$/.test(v);

export function parseCredentials(v: unknown): Credentials | null {
  if (v === undefined || v === null) return { kind: "none" };
  if (typeof v !== "object") return null;
  const c = v as Record<string, unknown>;
  if (c.kind === "acme-jws" && b64u(c.protected) && b64u(c.payload) && b64u(c.signature)) return { kind: "acme-jws", protected: c.protected, payload: c.payload, signature: c.signature };
  if (c.kind === "bearer" && typeof c.token === "string" && c.token.length <= 128) return { kind: "bearer", token: c.token };
  if (c.kind === "none") return { kind: "none" };
  // "system" is never accepted from outside: only the Worker's own scheduled handler uses it.
  return null;
}
