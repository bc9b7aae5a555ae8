// The validation authority's reach (Boulder's "VA"): the network and zone lookups that the pure
// rules in src/acme/validation.ts and src/acme/caa.ts are given, and one call per challenge. The
// ACME front door uses it; validators that re-check domain control can call the same functions.

import { type CaaLookup, type CaaRecord, checkCaa, isSpecialUseName, parseCaaRecord } from "../src/acme/caa.ts";
import { getAuthorization } from "../src/acme/store.ts";
import {
  type AddressLookup,
  type ChallengeToCheck,
  type Outcome,
  type TxtLookup,
  dohRecords,
  dohTxtLookup,
  keyAuthorization,
  publicAddressesOnly,
  txtRecordText,
  validateDns01,
  validateHttp01,
} from "../src/acme/validation.ts";
import { zoneRegistry } from "../src/dns/registry.ts";
import { type Problem, ProblemType, isProblem, problem } from "../src/problem.ts";
import { type Env, zoneObject } from "./env.ts";
import { ensureDemoZone } from "./zones.ts";

const now = () => Math.floor(Date.now() / 1000);

/**
 * Checks one challenge for the account whose key has `thumbprint`: http-01 (reach chosen by
 * ACME_HTTP01_CONNECT, port ACME_HTTP01_PORT) or dns-01 (our zones, then ACME_DOH_RESOLVER).
 */
export async function validateChallenge(env: Env, ch: ChallengeToCheck, thumbprint: string): Promise<Outcome> {
  const keyAuth = keyAuthorization(ch.token, thumbprint);
  if (ch.type === "http-01") {
    const hosted = env.ACME_HTTP01_CONNECT === "hosted-zone";
    return validateHttp01(
      (url, init) => fetch(url, init),
      hosted ? addressLookup(env) : publicAddressesOnly(resolvedAddresses(env)),
      ch.identifier.value,
      Number(env.ACME_HTTP01_PORT ?? "80") || 80,
      ch.token,
      keyAuth,
      { privateAddresses: hosted ? "allow" : "refuse" },
    );
  }
  return validateDns01(txtLookup(env), ch.wildcard ? `*.${ch.identifier.value}` : ch.identifier.value, keyAuth);
}

/**
 * The CAA check of every DNS identifier of an order (IP identifiers have no CAA), each with the
 * challenge type that validated it (RFC 8657 validationmethods); null when all may be issued.
 */
export async function orderCaa(env: Env, authzIds: string[], ctx: { issuerDomain: string; accountUri: string }): Promise<Problem | null> {
  const lookup = caaLookup(env);
  const failures: Problem[] = [];
  const subproblems: NonNullable<Problem["subproblems"]> = [];
  for (const id of authzIds) {
    const authz = await getAuthorization(env.DB, id, now());
    if (!authz || authz.identifier.type !== "dns") continue;
    const name = authz.wildcard ? `*.${authz.identifier.value}` : authz.identifier.value;
    const method = authz.challenges.find((ch) => ch.status === "valid")?.type ?? "";
    const r = await checkCaa(lookup, name, { ...ctx, method });
    if (!r.ok) {
      failures.push(r.problem);
      subproblems.push({ type: r.problem.type, detail: r.problem.detail, identifier: { type: "dns", value: name } });
    }
  }
  if (failures.length === 0) return null;
  return failures.length === 1 ? failures[0]! : problem(ProblemType.caa, 403, "CAA forbids issuance for some identifiers", { subproblems });
}

/** How many CNAMEs a CAA lookup in our own zones follows before giving up. */
const MAX_CNAME_HOPS = 8;

/**
 * CAA records at one name: from the zone object when we host the name (following CNAMEs inside
 * our zones), none for special-use names we do not host (RFC 6761), otherwise from the DoH resolver.
 */
function caaLookup(env: Env): CaaLookup {
  const doh = env.ACME_DOH_RESOLVER ? dohRecords((url, init) => fetch(url, init), env.ACME_DOH_RESOLVER) : null;
  const parsed = (fqdn: string, texts: string[]): CaaRecord[] | Problem => {
    const out: CaaRecord[] = [];
    for (const t of texts) {
      const r = parseCaaRecord(t);
      // A record we cannot read might be a critical one: refuse rather than guess.
      if (!r) return problem(ProblemType.dns, 403, `unreadable CAA record at ${fqdn}: ${t.slice(0, 100)}`);
      out.push(r);
    }
    return out;
  };
  return async (fqdn) => {
    await ensureDemoZone(env);
    let name = fqdn;
    for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
      const apex = await zoneRegistry.lookup(env.DB, name);
      if (!apex) break;
      const zone = zoneObject(env, apex);
      const caa = await zone.get(apex, name, "CAA");
      if (isProblem(caa)) return { ...caa, type: ProblemType.dns };
      if (caa && caa.records.length > 0) return parsed(name, caa.records);
      const cname = await zone.get(apex, name, "CNAME");
      if (isProblem(cname)) return { ...cname, type: ProblemType.dns };
      if (!cname || cname.records.length === 0) return [];
      name = cname.records[0]!.endsWith(".") ? cname.records[0]! : `${cname.records[0]!}.`;
      if (hop === MAX_CNAME_HOPS) return problem(ProblemType.dns, 403, `more than ${MAX_CNAME_HOPS} CNAMEs from ${fqdn}`);
    }
    if (isSpecialUseName(name)) return [];
    if (!doh) return problem(ProblemType.dns, 403, `${name} is not in a zone we host and no DoH resolver is configured (ACME_DOH_RESOLVER)`);
    const texts = await doh(name, "CAA");
    return Array.isArray(texts) ? parsed(name, texts) : texts;
  };
}

/**
 * dns-01 lookups: names inside a zone we host are answered by that zone's object (the
 * authoritative data, with no cache in between); special-use names we do not host have no
 * records; other names go to the configured DoH resolver.
 */
function txtLookup(env: Env): TxtLookup {
  const doh = env.ACME_DOH_RESOLVER ? dohTxtLookup((url, init) => fetch(url, init), env.ACME_DOH_RESOLVER) : null;
  return async (fqdn) => {
    await ensureDemoZone(env);
    const apex = await zoneRegistry.lookup(env.DB, fqdn);
    if (apex) {
      const rrset = await zoneObject(env, apex).get(apex, fqdn, "TXT");
      if (isProblem(rrset)) return { ...rrset, type: ProblemType.dns };
      return rrset ? rrset.records.map(txtRecordText) : [];
    }
    // RFC 6761: special-use names are never delegated; resolvers answer them negatively at once.
    if (isSpecialUseName(fqdn)) return [];
    if (!doh) return problem(ProblemType.dns, 403, `${fqdn} is not in a zone we host and no DoH resolver is configured (ACME_DOH_RESOLVER)`);
    return doh(fqdn);
  };
}

/**
 * http-01 connections with ACME_HTTP01_CONNECT = "hosted-zone": a name inside a zone we host is
 * reached at the address that zone publishes (AAAA first, then A), read from the zone's object
 * like dns-01 reads its TXT; other names are resolved by the platform when the Worker fetches
 * them. (With "resolver", the default, every name is resolved by the platform: on Cloudflare's
 * edge a Worker cannot connect to a bare IP address.)
 */
function addressLookup(env: Env): AddressLookup {
  return async (host) => {
    await ensureDemoZone(env);
    const fqdn = `${host}.`;
    const apex = await zoneRegistry.lookup(env.DB, fqdn);
    if (!apex) return null;
    for (const type of ["AAAA", "A"] as const) {
      const rrset = await zoneObject(env, apex).get(apex, fqdn, type);
      if (isProblem(rrset)) return { ...rrset, type: ProblemType.dns };
      if (rrset && rrset.records.length > 0) return rrset.records[0]!;
    }
    return problem(ProblemType.dns, 403, `${host} has no AAAA or A record in our zone ${apex}`);
  };
}

/**
 * Every address a name has, for the http-01 guard in "resolver" mode: from our zone object when
 * we host the name, none for special-use names, otherwise A and AAAA from the DoH resolver.
 */
function resolvedAddresses(env: Env): (host: string) => Promise<string[] | Problem> {
  const doh = env.ACME_DOH_RESOLVER ? dohRecords((url, init) => fetch(url, init), env.ACME_DOH_RESOLVER) : null;
  return async (host) => {
    await ensureDemoZone(env);
    const fqdn = `${host}.`;
    const apex = await zoneRegistry.lookup(env.DB, fqdn);
    const out: string[] = [];
    for (const type of ["AAAA", "A"] as const) {
      if (apex) {
        const rrset = await zoneObject(env, apex).get(apex, fqdn, type);
        if (isProblem(rrset)) return { ...rrset, type: ProblemType.dns };
        out.push(...(rrset?.records ?? []));
      } else if (doh && !isSpecialUseName(fqdn)) {
        const r = await doh(fqdn, type);
        if (!Array.isArray(r)) return r;
        out.push(...r);
      }
    }
    return out;
  };
}

