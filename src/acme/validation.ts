// Challenge validation (RFC 8555 §8): the key authorization (§8.1), http-01 (§8.3) and dns-01
// (§8.4). The network is given to these functions (a fetch and a TXT lookup), so they hold the
// rules and the Worker supplies the reach.

import { readLimited } from "../encoding/stream.ts";
import { dns01Value } from "../dns/acme-challenge.ts";
import { parseIP } from "../names/ip.ts";
import { type Problem, ProblemType, problem } from "../problem.ts";

export type Outcome = { ok: true } | { ok: false; problem: Problem };

const failed = (type: Problem["type"], detail: string): Outcome => ({ ok: false, problem: problem(type, 403, detail) });

/** §8.1: keyAuthorization = token || '.' || base64url(JWK_Thumbprint(accountKey)). */
export const keyAuthorization = (token: string, thumbprint: string): string => `${token}.${thumbprint}`;

/** Let's Encrypt follows at most 10 redirects on http-01. */
export const MAX_REDIRECTS = 10;
/** How long one validation request may take (Let's Encrypt allows about 10 s per attempt). */
export const FETCH_TIMEOUT_MS = 10_000;
/** A key authorization is about 87 octets; more than this is not one. */
const MAX_BODY = 1024;

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * Where to connect for a host name: an address (from our own authoritative zones) to connect to
 * with the name in the Host header, or null to let the platform's resolver find it.
 */
export type AddressLookup = (host: string) => Promise<string | null | Problem>;

/**
 * Why an address must not be a validation target (loopback, private, shared, link-local, unique
 * local, multicast, reserved, documentation: RFC 6890 special-purpose blocks), or null when it is
 * a public unicast address. IPv4-mapped and NAT64 IPv6 addresses are judged by their IPv4 part.
 */
export function nonPublicAddress(b: Uint8Array): string | null {
  if (b.length === 16) {
    const zeros = (n: number) => b.subarray(0, n).every((x) => x === 0);
    if (zeros(16)) return "the unspecified address";
    if (zeros(15) && b[15] === 1) return "loopback";
    if (zeros(10) && b[10] === 0xff && b[11] === 0xff) return nonPublicAddress(b.subarray(12));
    if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && b.subarray(4, 12).every((x) => x === 0)) return nonPublicAddress(b.subarray(12));
    if ((b[0]! & 0xfe) === 0xfc) return "a unique local address";
    if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return "link-local";
    if (b[0] === 0xff) return "multicast";
    if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return "a documentation address";
    if (zeros(8)) return "a reserved address";
    return null;
  }
  if (b.length !== 4) return "not an IP address";
  const [a, c] = [b[0]!, b[1]!];
  if (a === 0) return "a reserved address";
  if (a === 10 || (a === 172 && (c & 0xf0) === 16) || (a === 192 && c === 168)) return "a private address";
  if (a === 100 && (c & 0xc0) === 64) return "a shared (carrier-grade NAT) address";
  if (a === 127) return "loopback";
  if (a === 169 && c === 254) return "link-local";
  if (a === 192 && c === 0 && b[2] === 0) return "a reserved address";
  if (a === 198 && (c & 0xfe) === 18) return "a benchmarking address";
  if ((a === 192 && c === 0 && b[2] === 2) || (a === 198 && c === 51 && b[2] === 100) || (a === 203 && c === 0 && b[2] === 113)) return "a documentation address";
  if (a >= 224) return a < 240 ? "multicast" : "a reserved address";
  return null;
}

/** Ports a redirect may lead to (Let's Encrypt: 80 and 443), besides the configured validation port. */
const REDIRECT_PORTS = [80, 443];

export interface Http01Options {
  /**
   * "refuse" (the default, for validation over the Internet): never connect to a non-public
   * address, given as a literal, published for the name, or reached through a redirect.
   * "allow": local runs whose names point at loopback on purpose (ACME_HTTP01_CONNECT=hosted-zone).
   */
  privateAddresses?: "refuse" | "allow";
}

/**
 * §8.3: GET http://<domain>:<port>/.well-known/acme-challenge/<token> and compare the body, with
 * surrounding whitespace trimmed, to the key authorization. Redirects are followed as Let's
 * Encrypt does: at most MAX_REDIRECTS, to http or https only, on ports 80 or 443 (or the
 * configured validation port). The port is the operator's (80 in production, a high port in tests).
 */
export async function validateHttp01(
  fetcher: (url: string, init: RequestInit) => Promise<Response>,
  addressOf: AddressLookup,
  host: string,
  port: number,
  token: string,
  expected: string,
  opts: Http01Options = {},
): Promise<Outcome> {
  const refusePrivate = opts.privateAddresses !== "allow";
  let url = `http://${hostForUrl(host)}${port === 80 ? "" : `:${port}`}/.well-known/acme-challenge/${token}`;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let res: Response;
    try {
      const target = new URL(url);
      const targetPort = target.port ? Number(target.port) : target.protocol === "https:" ? 443 : 80;
      if (hop > 0 && targetPort !== port && !REDIRECT_PORTS.includes(targetPort)) {
        return failed(ProblemType.connection, `redirected to ${url}: only ports 80 and 443 are followed`);
      }
      const name = target.hostname.replace(/^\[|\]$/g, "");
      const literal = /^[0-9.]+$|:/.test(name) ? parseIP(name) : null;
      const address = literal ? null : await addressOf(name);
      if (address !== null && typeof address === "object") return { ok: false, problem: { ...address, status: 403 } };
      const connectTo = literal ?? (address ? parseIP(address) : null);
      const why = refusePrivate && connectTo ? nonPublicAddress(connectTo) : null;
      if (why) return failed(ProblemType.connection, `${url} would connect to ${address ?? name}, ${why}`);
      const headers: Record<string, string> = { accept: "*/*", "user-agent": "TrustChain-ACME-VA" };
      if (address) {
        // Connect to the address our zone publishes. The platform writes Host from the URL, so
        // the name the client asked about travels in the forwarding headers (RFC 7239 §5.3 and
        // X-Forwarded-Host); lego's --http.proxy-header selects which one its server matches.
        headers.forwarded = `host="${target.host}"`;
        headers["x-forwarded-host"] = target.host;
        target.hostname = hostForUrl(address);
      }
      res = await fetcher(target.toString(), { method: "GET", redirect: "manual", headers, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    } catch (e) {
      return failed(ProblemType.connection, `fetching ${url}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (res.status >= 300 && res.status < 400 && res.headers.has("location")) {
      await res.body?.cancel();
      let next: URL;
      try {
        next = new URL(res.headers.get("location")!, url);
      } catch {
        return failed(ProblemType.connection, `${url} redirected to an invalid location`);
      }
      if (next.protocol !== "http:" && next.protocol !== "https:") return failed(ProblemType.connection, `${url} redirected to a ${next.protocol} URL`);
      url = next.toString();
      continue;
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      return failed(ProblemType.unauthorized, `${url} answered HTTP ${res.status}`);
    }
    const body = await readText(res, MAX_BODY);
    if (body === null) return failed(ProblemType.incorrectResponse, `${url} answered more than ${MAX_BODY} octets`);
    if (body.trim() !== expected) return failed(ProblemType.incorrectResponse, `${url} answered "${body.trim().slice(0, 100)}", not the key authorization`);
    return { ok: true };
  }
  return failed(ProblemType.connection, `more than ${MAX_REDIRECTS} redirects`);
}

async function readText(res: Response, limit: number): Promise<string | null> {
  const bytes = await readLimited(res.body, limit);
  return bytes === null ? null : new TextDecoder().decode(bytes);
}

/**
 * For "resolver" mode, where the platform resolves and connects by name: a lookup that first
 * asks for the name's addresses and refuses the name (a connection problem) when any of them is
 * not public, then leaves the connection to the platform. (The platform resolves again when it
 * connects; on Cloudflare's edge a Worker cannot reach private networks in any case.)
 */
export function publicAddressesOnly(addresses: (host: string) => Promise<string[] | Problem>): AddressLookup {
  return async (host) => {
    const list = await addresses(host);
    if (!Array.isArray(list)) return list;
    for (const a of list) {
      const bytes = parseIP(a);
      const why = bytes ? nonPublicAddress(bytes) : "not an IP address";
      if (why) return problem(ProblemType.connection, 403, `${host} resolves to ${a.slice(0, 60)}, ${why}`);
    }
    return null;
  };
}

/** TXT strings at a name, or a problem when the lookup itself failed. */
export type TxtLookup = (fqdn: string) => Promise<string[] | Problem>;

/** §8.4: a TXT record at _acme-challenge.<domain> (a wildcard's base name) holds base64url(SHA-256(keyAuthorization)). */
export async function validateDns01(lookup: TxtLookup, domain: string, keyAuth: string): Promise<Outcome> {
  const fqdn = `_acme-challenge.${domain.replace(/^\*\./, "")}.`;
  const values = await lookup(fqdn);
  if (!Array.isArray(values)) return { ok: false, problem: { ...values, status: 403 } };
  const expected = await dns01Value(keyAuth);
  if (values.includes(expected)) return { ok: true };
  if (values.length === 0) return failed(ProblemType.incorrectResponse, `no TXT record at ${fqdn}`);
  return failed(ProblemType.incorrectResponse, `the TXT records at ${fqdn} do not hold the expected digest (found ${values.length})`);
}

/** The strings of TXT records in presentation form ("a" "b" → "ab", RFC 1035 §5.1 escapes undone). */
export function txtRecordText(record: string): string {
  const parts: string[] = [];
  // One pass over the quoted strings. A global regex restarted at every quote inside an
  // unterminated string: 64 KiB of \" in a resolver's answer took over a second of CPU.
  for (let open = record.indexOf('"'); open >= 0; ) {
    let i = open + 1;
    while (i < record.length && record[i] !== '"') i += record[i] === "\\" ? 2 : 1;
    if (i >= record.length) break; // unterminated: what follows is not a string
    parts.push(record.slice(open + 1, i).replace(/\\([0-9]{3})/g, (_, d: string) => String.fromCharCode(Number(d))).replace(/\\(.)/g, "$1"));
    open = record.indexOf('"', i + 1);
  }
  return parts.length > 0 ? parts.join("") : record;
}

/** Record types the validation authority asks a DoH resolver about, with their type numbers. */
const DOH_TYPES = { A: 1, AAAA: 28, TXT: 16, CAA: 257 } as const;

/**
 * Records of one type at a name, in presentation form, through a DoH resolver's JSON API
 * (application/dns-json, as Cloudflare and Google serve it), for names outside our own zones.
 * CNAMEs are followed by the resolver; only records of the asked type are returned.
 */
export function dohRecords(fetcher: (url: string, init: RequestInit) => Promise<Response>, resolver: string) {
  return async (fqdn: string, type: keyof typeof DOH_TYPES): Promise<string[] | Problem> => {
    const url = `${resolver}${resolver.includes("?") ? "&" : "?"}name=${encodeURIComponent(fqdn)}&type=${type}`;
    let res: Response;
    try {
      res = await fetcher(url, { headers: { accept: "application/dns-json" }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    } catch (e) {
      return problem(ProblemType.dns, 403, `DNS lookup of ${fqdn} ${type} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      return problem(ProblemType.dns, 403, `DNS lookup of ${fqdn} ${type} failed: resolver answered HTTP ${res.status}`);
    }
    const text = await readText(res, 64 * 1024);
    let body: unknown;
    try {
      body = text === null ? null : JSON.parse(text);
    } catch {
      body = null;
    }
    if (typeof body !== "object" || body === null) return problem(ProblemType.dns, 403, `DNS lookup of ${fqdn} ${type} failed: the resolver's answer is not JSON`);
    const b = body as { Status?: unknown; Answer?: unknown };
    // RCODE 0 (NOERROR) and 3 (NXDOMAIN: no record, so no match) are answers; others are failures.
    if (b.Status !== 0 && b.Status !== 3) return problem(ProblemType.dns, 403, `DNS lookup of ${fqdn} ${type} failed with RCODE ${String(b.Status)}`);
    const answers = Array.isArray(b.Answer) ? b.Answer : [];
    return answers
      .filter((a): a is { type: number; data: string } => typeof a === "object" && a !== null && (a as { type?: unknown }).type === DOH_TYPES[type] && typeof (a as { data?: unknown }).data === "string")
      .map((a) => a.data);
  };
}

/** dns-01 TXT lookups through a DoH resolver (see dohRecords). */
export function dohTxtLookup(fetcher: (url: string, init: RequestInit) => Promise<Response>, resolver: string): TxtLookup {
  const ask = dohRecords(fetcher, resolver);
  return async (fqdn) => {
    const r = await ask(fqdn, "TXT");
    return Array.isArray(r) ? r.map(txtRecordText) : r;
  };
}

/** One challenge as a validation authority checks it (workers/acme-va.ts validateChallenge). */
export interface ChallengeToCheck {
  type: "http-01" | "dns-01";
  token: string;
  identifier: { type: "dns" | "ip"; value: string };
  wildcard: boolean;
}
