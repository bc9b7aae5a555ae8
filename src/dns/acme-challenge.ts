// DNS-01 challenges (RFC 8555 §8.4) as lego's `httpreq` provider sends them: the default mode
// gives the record name and TXT value, RAW mode gives the domain and the key authorization and
// leaves the digest to us.

import { sha256, toBase64Url, utf8 } from "../encoding/bytes.ts";
import { parseName } from "./names.ts";

/** RFC 8555 §8.4: the TXT value is base64url(SHA-256(keyAuthorization)), without padding. */
export async function dns01Value(keyAuthorization: string): Promise<string> {
  return toBase64Url(await sha256(utf8(keyAuthorization)));
}

/** TTL of published challenge records: short, since they live only while an order validates. */
export const CHALLENGE_TTL = 60;

export type ChallengeRequest = { ok: true; fqdn: string; value: string } | { ok: false; error: string };

/**
 * Reads an httpreq body: `{"fqdn","value"}` (default mode) or `{"domain","token","keyAuth"}`
 * (RAW mode). In RAW mode the record is `_acme-challenge.<domain>` with any "*." removed,
 * since a wildcard's challenge sits at the base name (RFC 8555 §8.4, §7.1.3).
 */
export async function parseChallenge(body: unknown): Promise<ChallengeRequest> {
  if (typeof body !== "object" || body === null) return { ok: false, error: 'the body must be a JSON object {"fqdn","value"} or {"domain","token","keyAuth"}' };
  const b = body as Record<string, unknown>;
  let fqdn: string, value: string;
  if (typeof b.fqdn === "string" && typeof b.value === "string") {
    fqdn = b.fqdn;
    value = b.value;
  } else if (typeof b.domain === "string" && typeof b.keyAuth === "string") {
    fqdn = `_acme-challenge.${b.domain.replace(/^\*\./, "").replace(/\.$/, "")}.`;
    value = await dns01Value(b.keyAuth);
  } else {
    return { ok: false, error: 'the body must be {"fqdn","value"} or, in RAW mode, {"domain","token","keyAuth"}' };
  }
  if (value.length === 0 || value.length > 1024) return { ok: false, error: "the TXT value must be 1–1024 characters" };
  const n = parseName(fqdn.endsWith(".") ? fqdn : `${fqdn}.`);
  if (!n.ok) return { ok: false, error: `fqdn: ${n.error}` };
  return { ok: true, fqdn: n.name, value };
}
