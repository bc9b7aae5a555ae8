// DNS over HTTPS at /dns-query (RFC 8484): GET ?dns=<base64url>, POST application/dns-message,
// and the JSON form (?name=&type=, application/dns-json). DNS-level failures are DNS responses
// (FORMERR, REFUSED, SERVFAIL) with HTTP 200; HTTP-level failures are 400/413/414/415; never 5xx.
//
// Caching: answers are cached under keys holding the zone apex and its SOA serial, first in the
// isolate's memory, then at the edge with the Cache API. Any change to a zone bumps its serial,
// so old entries simply stop being asked for; no purge is needed (a Cache API purge would only
// reach one data center anyway). An isolate trusts the serial it learned from the zone's object
// for SERIAL_MAX_AGE_MS (5 s), and learns a new one at once after its own writes.
//
// serveDoh is the whole surface: the per-client rate limit, the answer, and the query's metrics.
// The Worker's fetch handler (workers/index.ts) calls it for /dns-query before hono's dispatch,
// whose routing, Context and middleware chain cost about a third of a cached query's CPU above
// the platform's own floor (bench:dns); the hono route below calls the same function.

import { Hono } from "hono";
import { getQueryParam } from "hono/utils/url";
import { answerQuery } from "../src/dns/answer.ts";
import { AnswerCache } from "../src/dns/answer-cache.ts";
import { InFlight } from "../src/concurrency/in-flight.ts";
import { DNS_JSON, DNS_MESSAGE, MAX_DNS_PARAM, decodeDnsParam, queryCacheKey, withId } from "../src/dns/doh.ts";
import { jsonQuery, responseToJson } from "../src/dns/json.ts";
import { MAX_MESSAGE, RCODE, decodeQuery, encodeResponse, errorResponse, type DnsQuery } from "../src/dns/message.ts";
import { parseName } from "../src/dns/names.ts";
import { zoneRegistry } from "../src/dns/registry.ts";
import { DOH_QUERIES, DOH_SECONDS, DOH_ZONE_LOOKUPS } from "../src/metrics/catalog.ts";
import { type Labels, NO_LABELS, metrics } from "../src/metrics/registry.ts";
import { clientKey } from "../src/ratelimit/bucket.ts";
import { ProblemType, problem } from "../src/problem.ts";
import { type Env, zoneObject } from "./env.ts";
import { type AppEnv, internalError, problemResponse, readBody, tooLarge } from "./http.ts";
import { scheduleMetricsFlush } from "./metrics.ts";
import { type Admission, admit, rateLimited } from "./rate-limit.ts";
import { ensureDemoZone } from "./zones.ts";

export const DOH_PATH = "/dns-query";

/**
 * Whether a request URL's path is /dns-query as sent, found where hono's getPath looks for it
 * without cutting the path out. A percent-encoded spelling of the path is not matched here; hono's
 * router decodes it and reaches the same serveDoh.
 */
export function isDohUrl(url: string): boolean {
  const start = url.indexOf("/", url.indexOf(":") + 4);
  if (start < 0 || !url.startsWith(DOH_PATH, start)) return false;
  const end = start + DOH_PATH.length;
  return end === url.length || url.charCodeAt(end) === 0x3f; // "?"
}

/** One request to /dns-query as the functions below see it. */
interface Call {
  req: Request;
  /** `req.url`, read once: each read of it makes a new string. */
  url: string;
  env: Env;
  ctx: WaitUntil;
  /** When the request was admitted (Date.now()). */
  started: number;
}
type WaitUntil = { waitUntil(p: Promise<unknown>): void };

/** A response and the labels its query is counted under (DOH_QUERIES). */
interface Served {
  res: Response;
  labels: Labels;
}

const memory = new AnswerCache();

type Format = "wire" | "json";
interface Answered {
  body: Uint8Array | string;
  ttl: number;
  /** The zone and SOA serial the answer came from (absent for answers built here). */
  apex?: string;
  serial?: number;
}

// GET answers by the exact `dns` parameter (RFC 8484 §4.1's ID 0 makes repeated queries
// byte-identical): a repeated query skips base64url decoding, message parsing, name
// canonicalization and the zone lookup. An entry is used only while the isolate still trusts its
// zone's serial (the same rule as `memory`), so a zone change is seen as soon as through the
// keyed caches. The parameter holds the query's ID, so the body is kept with that ID in place
// and handed to every response as is (a Response copies its body).
interface ParamHit extends Answered {
  body: Uint8Array;
  apex: string;
  serial: number;
  labels: Labels;
}
const byParam = new AnswerCache<ParamHit>(5_000);

const RCODE_NAMES = new Map<number, string>(Object.entries(RCODE).map(([k, v]) => [v, k]));

function rcodeOf(a: Answered, format: Format): string {
  const code = format === "wire" ? (a.body as Uint8Array)[3]! & 0x0f : Number(/"Status":\s*(\d+)/.exec(a.body as string)?.[1]);
  return RCODE_NAMES.get(code) ?? `RCODE${code}`;
}

// Operations (issue 8): queries by format and RCODE (HTTP status when no DNS answer was sent), and
// latency. Label objects are interned (frozen, one per format and RCODE) so the registry records a
// query with two map lookups.
const queryLabels = new Map<string, Labels>();
function labelsFor(format: Format | "http", rcode: string): Labels {
  const k = `${format} ${rcode}`;
  let l = queryLabels.get(k);
  if (!l) queryLabels.set(k, (l = Object.freeze({ format, rcode })));
  return l;
}

/** A response that carries no DNS answer: counted under its HTTP status. */
function httpOnly(res: Response): Served {
  return { res, labels: labelsFor("http", `HTTP_${res.status}`) };
}

// Response headers by format and TTL, built once: an answer's response takes them as they are.
const inits = { wire: new Map<number, ResponseInit>(), json: new Map<number, ResponseInit>() };
function responseInit(format: Format, ttl: number): ResponseInit {
  let init = inits[format].get(ttl);
  if (!init) {
    init = {
      headers: new Headers([
        ["content-type", format === "wire" ? DNS_MESSAGE : DNS_JSON],
        // RFC 8484 §5.1: freshness no longer than the smallest TTL (the negative TTL for
        // negative answers); answers without records are not to be reused.
        ["cache-control", ttl > 0 ? `max-age=${ttl}` : "no-store"],
      ]),
    };
    if (inits[format].size < 1000) inits[format].set(ttl, init);
  }
  return init;
}

function httpAnswer(a: Answered, format: Format, id: number): Served {
  const body = format === "wire" ? withId(a.body as Uint8Array, id) : (a.body as string);
  return { res: new Response(body, responseInit(format, a.ttl)), labels: labelsFor(format, rcodeOf(a, format)) };
}

/** A response built here, without the zone's object: FORMERR, REFUSED, SERVFAIL. */
async function local(q: DnsQuery, format: Format, rcode?: number): Promise<Answered> {
  const r = await answerQuery(q, null);
  if (rcode !== undefined) r.rcode = rcode;
  return { body: format === "wire" ? encodeResponse(r) : JSON.stringify(responseToJson(r)), ttl: 0 };
}

const EDGE_TTL_HEADER = "x-trustchain-dns-ttl";

async function edgeGet(url: string): Promise<Answered | null> {
  try {
    const hit = await caches.default.match(url);
    if (!hit) return null;
    const ttl = Number(hit.headers.get(EDGE_TTL_HEADER));
    const bytes = new Uint8Array(await hit.arrayBuffer());
    return { body: hit.headers.get("content-type") === DNS_JSON ? new TextDecoder().decode(bytes) : bytes, ttl };
  } catch {
    return null; // the cache is an optimization: a failing one means asking the zone
  }
}

function edgePut(ctx: WaitUntil, url: string, a: Answered, format: Format): void {
  const res = new Response(a.body, {
    headers: { "content-type": format === "wire" ? DNS_MESSAGE : DNS_JSON, "cache-control": `max-age=${a.ttl}`, [EDGE_TTL_HEADER]: String(a.ttl) },
  });
  ctx.waitUntil(caches.default.put(url, res).catch(() => undefined));
}

/**
 * Misses in flight in this isolate, by everything their answer depends on: identical misses (a
 * popular name right after a zone change, a cold isolate) share one edge-cache read and one RPC
 * to the zone's one object instead of each sending their own. The answer is shared without its
 * message ID, which each asker gets back as its own (httpAnswer); a failure reaches each asker,
 * who answers it with its own question.
 */
const inFlight = new InFlight<Answered | null>(10_000);

/** The answer for a miss in memory, shared with identical misses in flight; null: REFUSED. */
function shared(call: Call, apex: string, key: string, serial: number | null, q: DnsQuery, format: Format): Promise<Answered | null> {
  // The trusted serial (or, unknown, how often it was forgotten) is part of the key: a miss that
  // follows a change this isolate made must not wait for a lookup begun before that change.
  const flightKey = `${serial ?? `?${zoneRegistry.forgotten(apex)}`}/${key}`;
  // The lookup's I/O belongs to the request that started it: a client that hangs up would end it
  // at once, and with it every other request waiting here, unless that request is kept until it settles.
  return inFlight.share(flightKey, () => miss(call, apex, key, serial, q, format), (settled) => call.ctx.waitUntil(settled));
}

/** Edge cache, then the zone's object; caches what it learns. null: the zone is not hosted there. */
async function miss({ url, env, ctx }: Call, apex: string, key: string, serial: number | null, q: DnsQuery, format: Format): Promise<Answered | null> {
  const now = Date.now();
  const edgeUrl = (s: number): string => `${new URL(url).origin}${DOH_PATH}/cache/${s}/${key}`;
  if (serial !== null) {
    const hit = await edgeGet(edgeUrl(serial));
    if (hit) {
      memory.set(`${serial}/${key}`, hit, now);
      return { body: hit.body, ttl: hit.ttl, apex, serial };
    }
  }
  const forgotten = zoneRegistry.forgotten(apex);
  metrics.inc(DOH_ZONE_LOOKUPS, NO_LABELS);
  const r = await zoneObject(env, apex).query(apex, q, format);
  if (!r) {
    zoneRegistry.invalidate(apex); // the registry named a zone its object no longer holds
    return null;
  }
  // Not when the isolate forgot the serial meanwhile: this answer may be from before that change.
  if (zoneRegistry.forgotten(apex) === forgotten) zoneRegistry.noteSerial(apex, r.serial);
  const a: Answered = { body: r.body instanceof Uint8Array ? r.body : JSON.stringify(r.body), ttl: r.ttl, apex, serial: r.serial };
  if (a.ttl > 0) {
    // Already in memory under this serial (the isolate only stopped trusting the serial): it was
    // put at the edge, or found there, when it got there; every SERIAL_MAX_AGE_MS a busy isolate
    // would otherwise write each of its answers to the Cache API again.
    if (!memory.get(`${r.serial}/${key}`, now)) edgePut(ctx, edgeUrl(r.serial), a, format);
    memory.set(`${r.serial}/${key}`, a, now);
  }
  return a;
}

/** Answers one decoded query: registry → caches → the zone's object. */
async function answer(call: Call, q: DnsQuery, format: Format): Promise<Answered> {
  const qn = parseName(q.question.name);
  if (!qn.ok) return local(q, format); // FORMERR from the answer engine
  await ensureDemoZone(call.env);
  let apex: string | null;
  try {
    apex = await zoneRegistry.lookup(call.env.DB, qn.name, q.question.type);
  } catch {
    return local(q, format, RCODE.SERVFAIL);
  }
  if (!apex) return local(q, format); // REFUSED: not a hosted zone (RFC 1035 §4.1.1)

  const key = `${apex}/${queryCacheKey(q, format)}`;
  const serial = zoneRegistry.serialHint(apex);
  if (serial !== null) {
    const hit = memory.get(`${serial}/${key}`, Date.now());
    if (hit) return { body: hit.body, ttl: hit.ttl, apex, serial };
  }
  let a;
  try {
    a = await shared(call, apex, key, serial, q, format);
  } catch {
    // The zone's object is unreachable: SERVFAIL is the DNS way to say so (RFC 1035 §4.1.1).
    return local(q, format, RCODE.SERVFAIL);
  }
  return a ?? local(q, format); // REFUSED
}

/** `param`: the GET request's `dns` parameter, under which a cacheable answer is remembered. */
async function wire(call: Call, message: Uint8Array, param?: string): Promise<Served> {
  const decoded = decodeQuery(message);
  if (!decoded.ok) {
    const e = errorResponse(decoded);
    // Shorter than a DNS header: there is no ID to answer to, so no DNS response is possible.
    if (!e) return httpOnly(problemResponse(problem(ProblemType.malformed, 400, "the DNS message is shorter than its 12-octet header")));
    return httpAnswer({ body: encodeResponse(e), ttl: 0 }, "wire", e.id);
  }
  const a = await answer(call, decoded.query, "wire");
  const served = httpAnswer(a, "wire", decoded.query.id);
  if (param !== undefined && a.ttl > 0 && a.apex !== undefined && a.serial !== undefined) {
    byParam.set(param, { body: withId(a.body as Uint8Array, decoded.query.id), ttl: a.ttl, apex: a.apex, serial: a.serial, labels: served.labels }, Date.now());
  }
  return served;
}

/** A repeated GET whose zone serial is still trusted: the remembered answer, or null. */
function rememberedAnswer(param: string, now: number): Served | null {
  const hit = byParam.get(param, now);
  if (!hit || zoneRegistry.serialHint(hit.apex, now) !== hit.serial) return null;
  return { res: new Response(hit.body, responseInit("wire", hit.ttl)), labels: hit.labels };
}

function get(call: Call): Served | Promise<Served> {
  const url = call.url;
  const dns = getQueryParam(url, "dns") as string | undefined;
  if (dns !== undefined) {
    if (dns.length > MAX_DNS_PARAM) return httpOnly(problemResponse(problem(ProblemType.malformed, 414, "the dns parameter is longer than any DNS message", { title: "URI Too Long" })));
    const remembered = rememberedAnswer(dns, call.started);
    if (remembered) return remembered;
    const message = decodeDnsParam(dns);
    if (!message) return httpOnly(problemResponse(problem(ProblemType.malformed, 400, "the dns parameter must be base64url without padding (RFC 8484 §4.1)")));
    return wire(call, message, dns);
  }
  const query = (key: string): string | undefined => getQueryParam(url, key) as string | undefined;
  if (query("ct") === DNS_JSON || (call.req.headers.get("accept") ?? "").includes(DNS_JSON) || query("name") !== undefined) {
    const jq = jsonQuery({ name: query("name") ?? null, type: query("type"), do: query("do"), cd: query("cd") });
    if (!jq.ok) return httpOnly(problemResponse(problem(ProblemType.malformed, 400, jq.error)));
    return answer(call, jq.query, "json").then((a) => httpAnswer(a, "json", 0));
  }
  return httpOnly(problemResponse(problem(ProblemType.malformed, 400, "give ?dns=<base64url DNS message> or ?name=<name>&type=<type> with Accept: application/dns-json")));
}

async function post(call: Call): Promise<Served> {
  const type = (call.req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== DNS_MESSAGE) {
    return httpOnly(problemResponse(problem(ProblemType.malformed, 415, `POST bodies must be ${DNS_MESSAGE} (RFC 8484 §4.1)`, { title: "Unsupported Media Type" })));
  }
  const body = await readBody(call.req, MAX_MESSAGE);
  if (!body) return httpOnly(tooLarge(MAX_MESSAGE));
  return wire(call, body);
}

function byMethod(call: Call): Served | Promise<Served> {
  switch (call.req.method) {
    case "GET":
      return get(call);
    case "HEAD": {
      // What hono does for HEAD on a GET route: the GET response without its body.
      const headOf = (s: Served): Served => ({ res: new Response(null, s.res), labels: s.labels });
      const s = get(call);
      return s instanceof Promise ? s.then(headOf) : headOf(s);
    }
    case "POST":
      return post(call);
    default:
      return httpOnly(problemResponse(problem(ProblemType.about, 405, "DoH takes GET and POST (RFC 8484 §4.1)", { title: "Method Not Allowed" }), { allow: "GET, POST" }));
  }
}

/** Counts the query, schedules the metrics flush, and hands over the response. */
function finish(call: Call, s: Served): Response {
  metrics.inc(DOH_QUERIES, s.labels);
  metrics.observe(DOH_SECONDS, NO_LABELS, (Date.now() - call.started) / 1000);
  scheduleMetricsFlush(call.ctx, call.env);
  return s.res;
}

function answerAdmitted(call: Call): Response | Promise<Response> {
  call.started = Date.now();
  let s: Served | Promise<Served>;
  try {
    s = byMethod(call);
  } catch (err) {
    s = httpOnly(internalError(err));
  }
  if (!(s instanceof Promise)) return finish(call, s);
  return s.then(
    (done) => finish(call, done),
    (err: unknown) => finish(call, httpOnly(internalError(err))),
  );
}

/**
 * Any request to /dns-query: the per-client limit (RATE_LIMIT_DOH_PER_IP; refused requests are
 * counted as rate limited, not as queries), then the answer. Synchronous when a lease covers the
 * request and the answer is remembered: the common case under load needs no promise.
 */
export function serveDoh(req: Request, env: Env, ctx: WaitUntil, url: string = req.url): Response | Promise<Response> {
  const call: Call = { req, url, env, ctx, started: 0 };
  try {
    const admitted = admit(env, "doh", clientKey(req.headers.get("cf-connecting-ip")));
    return admitted instanceof Promise ? admitted.then((a) => decide(call, a), internalError) : decide(call, admitted);
  } catch (err) {
    return internalError(err);
  }
}

function decide(call: Call, a: Admission): Response | Promise<Response> {
  if (a.ok) return answerAdmitted(call);
  const res = rateLimited("doh", a.retryAfter, a.spec);
  scheduleMetricsFlush(call.ctx, call.env);
  return res;
}

export const doh = new Hono<AppEnv>();

doh.all(DOH_PATH, (c) => serveDoh(c.req.raw, c.env, c.executionCtx));
