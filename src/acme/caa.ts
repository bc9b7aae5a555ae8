// CAA checks before issuance (RFC 8659) with the ACME parameters of RFC 8657 (accounturi,
// validationmethods). The lookup is given to these functions (our zones first, then DoH), so they
// hold only the rules: find the relevant RRset by climbing the name tree, pick issue or
// issuewild, refuse on a critical tag we do not understand, and match our issuer domain name.

import { fromHex } from "../encoding/bytes.ts";
import { parseRdata, tokenize } from "../dns/rdata-text.ts";
import { type Problem, ProblemType, problem } from "../problem.ts";

export interface CaaRecord {
  flags: number;
  tag: string;
  value: string;
}

/** CAA records at exactly one name (with the resolver's CNAME processing), or a lookup failure. */
export type CaaLookup = (fqdn: string) => Promise<CaaRecord[] | Problem>;

/** What the issuance is: who we are, for which account, and how control was shown. */
export interface CaaContext {
  /** Our issuer domain name (CA_DOMAIN), as "issue" properties name it. */
  issuerDomain: string;
  /** The ACME account URL (RFC 8657 §3). */
  accountUri: string;
  /** The ACME challenge type that validated the name (RFC 8657 §4): "http-01", "dns-01". */
  method: string;
}

/** Property tags we understand; a critical flag on any other forbids issuance (RFC 8659 §4.1). */
const KNOWN_TAGS = new Set(["issue", "issuewild", "iodef", "issuemail", "issuevmc", "contactemail", "contactphone"]);
/** The Issuer Critical flag is bit 0 (the high-order bit) of the flags octet (RFC 8659 §4.1). */
const CRITICAL = 0x80;

/**
 * A CAA record in presentation form ("0 issue \"ca.example\"") or in the RFC 3597 generic form
 * ("\# 19 00 05 69 73 ...", as some resolvers print types they do not know); null if neither.
 */
export function parseCaaRecord(text: string): CaaRecord | null {
  // White space must end the length: with "\s*" there, a run of digits could be split between
  // the length and the hex in every way, and a 64 KiB "\# 1111…1x" took 6 s of CPU to refuse.
  const generic = /^\\#\s+(\d+)(?:\s+((?:[0-9A-Fa-f]{2}\s*)*))?$/.exec(text.trim());
  if (generic) {
    const bytes = fromHex((generic[2] ?? "").replace(/\s+/g, ""));
    if (!bytes || bytes.length !== Number(generic[1]) || bytes.length < 2) return null;
    const tagLen = bytes[1]!;
    if (tagLen < 1 || tagLen > 15 || 2 + tagLen > bytes.length) return null;
    const dec = new TextDecoder();
    return { flags: bytes[0]!, tag: dec.decode(bytes.subarray(2, 2 + tagLen)), value: dec.decode(bytes.subarray(2 + tagLen)) };
  }
  const t = tokenize(text);
  if (!t.ok) return null;
  const r = parseRdata("CAA", t.tokens);
  return r.ok ? { flags: r.rdata.flags, tag: r.rdata.tag, value: r.rdata.value } : null;
}

export interface IssueValue {
  /** The issuer domain name, lower case; "" when the property names none (nobody may issue). */
  issuer: string;
  parameters: Map<string, string>;
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const PARAM_TAG = /^[A-Za-z0-9](?:-*[A-Za-z0-9])*$/;
const PARAM_VALUE = /^[\x21-\x3a\x3c-\x7e]*$/;

/** RFC 8659 §4.2 issue-value: [issuer-domain-name] [";" parameters]; null when malformed. */
export function parseIssueValue(value: string): IssueValue | null {
  const [head, ...rest] = value.split(";");
  const issuer = head!.trim().toLowerCase();
  if (issuer !== "" && !issuer.split(".").every((l) => LABEL.test(l))) return null;
  const parameters = new Map<string, string>();
  const params = rest.join(";").trim();
  if (rest.length > 0 && params !== "") {
    for (const part of rest) {
      const eq = part.indexOf("=");
      if (eq < 0) return null;
      const tag = part.slice(0, eq).trim();
      const v = part.slice(eq + 1).trim();
      if (!PARAM_TAG.test(tag) || !PARAM_VALUE.test(v)) return null;
      parameters.set(tag.toLowerCase(), v);
    }
  }
  return { issuer, parameters };
}

/** RFC 8659 §3: the names to ask, from the name itself up to (not including) the root. */
export function caaLookupNames(name: string): string[] {
  const labels = name.replace(/\.$/, "").toLowerCase().split(".");
  return labels.map((_, i) => `${labels.slice(i).join(".")}.`);
}

/** RFC 8659 §3: the first non-empty CAA RRset climbing from the name; empty when there is none. */
export async function relevantCaaSet(lookup: CaaLookup, name: string): Promise<{ at: string; records: CaaRecord[] } | Problem> {
  for (const fqdn of caaLookupNames(name)) {
    const records = await lookup(fqdn);
    if (!Array.isArray(records)) return records;
    if (records.length > 0) return { at: fqdn, records };
  }
  return { at: "", records: [] };
}

export type CaaVerdict = { ok: true } | { ok: false; detail: string };

/**
 * Whether the relevant RRset lets us issue (RFC 8659 §4.2–4.3, RFC 8657 §3–4): for a wildcard the
 * issuewild properties rule when there are any, else issue; no such property leaves issuance
 * open; otherwise one property must name our domain with parameters this issuance satisfies.
 */
export function caaPermits(records: CaaRecord[], wildcard: boolean, ctx: CaaContext): CaaVerdict {
  const critical = records.find((r) => r.flags & CRITICAL && !KNOWN_TAGS.has(r.tag.toLowerCase()));
  if (critical) return { ok: false, detail: `a critical CAA property "${critical.tag.slice(0, 20)}" is not one we understand` };
  const tagged = (tag: string) => records.filter((r) => r.tag.toLowerCase() === tag);
  const wild = wildcard ? tagged("issuewild") : [];
  const relevant = wild.length > 0 ? wild : tagged("issue");
  const tag = wild.length > 0 ? "issuewild" : "issue";
  if (relevant.length === 0) return { ok: true };
  const ours = ctx.issuerDomain.toLowerCase().replace(/\.$/, "");
  const reasons: string[] = [];
  for (const r of relevant) {
    const v = parseIssueValue(r.value);
    if (!v || v.issuer === "" || v.issuer !== ours) continue;
    const account = v.parameters.get("accounturi");
    if (account !== undefined && account !== ctx.accountUri) {
      reasons.push(`accounturi names another account`);
      continue;
    }
    const methods = v.parameters.get("validationmethods");
    if (methods !== undefined && !methods.split(",").map((m) => m.trim()).includes(ctx.method)) {
      reasons.push(`validationmethods ${methods} does not include ${ctx.method}`);
      continue;
    }
    return { ok: true };
  }
  const why = reasons.length > 0 ? `; ${reasons.join("; ")}` : "";
  return { ok: false, detail: `CAA ${tag} properties do not authorize ${ours}${why}` };
}

/** The CAA check for one DNS identifier ("*.example.com" for a wildcard); a caa or dns problem when refused. */
export async function checkCaa(lookup: CaaLookup, identifier: string, ctx: CaaContext): Promise<{ ok: true } | { ok: false; problem: Problem }> {
  const wildcard = identifier.startsWith("*.");
  const base = wildcard ? identifier.slice(2) : identifier;
  const set = await relevantCaaSet(lookup, base);
  // RFC 8659 §3: a lookup that fails (not one that finds nothing) must not lead to issuance.
  if (!Array.isArray((set as { records?: unknown }).records)) {
    const p = set as Problem;
    return { ok: false, problem: problem(ProblemType.dns, 403, `CAA lookup for ${identifier} failed: ${p.detail}`) };
  }
  const { at, records } = set as { at: string; records: CaaRecord[] };
  const verdict = caaPermits(records, wildcard, ctx);
  if (verdict.ok) return verdict;
  return { ok: false, problem: problem(ProblemType.caa, 403, `${identifier}: the CAA records at ${at} forbid issuance: ${verdict.detail}`) };
}

/**
 * RFC 6761 §6.2–6.5: names under these TLDs are never delegated in the public DNS, and resolvers
 * answer them negatively without asking anyone; we do the same for names we do not host.
 */
export function isSpecialUseName(name: string): boolean {
  const tld = name.replace(/\.$/, "").toLowerCase().split(".").pop();
  return tld === "test" || tld === "example" || tld === "invalid" || tld === "localhost";
}
