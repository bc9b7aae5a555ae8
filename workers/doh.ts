// DNS over HTTPS at /dns-query (RFC 8484): GET ?dns=<base64url>, POST application/dns-message,
// and the JSON form (?name=&type=, application/dns-json). DNS-level failures are DNS responses
// (FORMERR, REFUSED, SERVFAIL) with HTTP 200; HTTP-level failures are 400/413/414/415; never 5xx.
//
// Caching: answers are cached under keys holding the zone apex and its SOA serial, first in the
// isolate's memory, then at the edge with the Cache API. Any change to a zone bumps its serial,
// so old entries simply stop being asked for; no purge is needed (a Cache API purge would only
// reach one data center anyway). An isolate trusts the serial it learned from the zone's object
// for SERIAL_MAX_AGE_MS (5 s), and learns a new one at once after its own writes.

import { Hono } from "hono";
import { answerQuery } from "../src/dns/answer.ts";
import { AnswerCache } from "../src/dns/answer-cache.ts";
import { DNS_JSON, DNS_MESSAGE, MAX_DNS_PARAM, decodeDnsParam, queryCacheKey, withId } from "../src/dns/doh.ts";
import { jsonQuery, responseToJson } from "../src/dns/json.ts";
import { MAX_MESSAGE, RCODE, decodeQuery, encodeResponse, errorResponse, type DnsQuery } from "../src/dns/message.ts";
import { parseName } from "../src/dns/names.ts";
import { zoneRegistry } from "../src/dns/registry.ts";
import { DOH_QUERIES, DOH_SECONDS } from "../src/metrics/catalog.ts";
import { type Labels, NO_LABELS, metrics } from "../src/metrics/registry.ts";
import { ProblemType, problem } from "../src/problem.ts";
import { type Env, zoneObject } from "./env.ts";
import { type AppContext, type AppEnv, problemResponse, readBody, tooLarge } from "./http.ts";
import { ensureDemoZone } from "./zones.ts";

export const doh = new Hono<AppEnv>();

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
// keyed caches.
interface ParamHit extends Answered {
  apex: string;
  serial: number;
  id: number;
  rcode: string;
}
const byParam = new AnswerCache<ParamHit>(5_000);

/** The RCODE of each DNS answer this isolate sent, for the metrics middleware below. */
const answeredRcode = new WeakMap<Response, string>();
const RCODE_NAMES = new Map<number, string>(Object.entries(RCODE).map(([k, v]) => [v, k]));

function rcodeOf(a: Answered, format: Format): string {
  const code = format === "wire" ? (a.body as Uint8Array)[3]! & 0x0f : Number(/"Status":\s*(\d+)/.exec(a.body as string)?.[1]);
  return RCODE_NAMES.get(code) ?? `RCODE${code}`;
}

function httpAnswer(a: Answered, format: Format, id: number): Response {
  const body = format === "wire" ? withId(a.body as Uint8Array, id) : (a.body as string);
  const res = respond(a, body, format);
  answeredRcode.set(res, rcodeOf(a, format));
  return res;
}

function respond(a: Answered, body: Uint8Array | string, format: Format): Response {
  return new Response(body, {
    headers: {
      "content-type": format === "wire" ? DNS_MESSAGE : DNS_JSON,
      // RFC 8484 §5.1: freshness no longer than the smallest TTL (the negative TTL for
      // negative answers); answers without records are not to be reused.
      "cache-control": a.ttl > 0 ? `max-age=${a.ttl}` : "no-store",
    },
  });
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

function edgePut(ctx: { waitUntil(p: Promise<unknown>): void }, url: string, a: Answered, format: Format): void {
  const res = new Response(a.body, {
    headers: { "content-type": format === "wire" ? DNS_MESSAGE : DNS_JSON, "cache-control": `max-age=${a.ttl}`, [EDGE_TTL_HEADER]: String(a.ttl) },
  });
  ctx.waitUntil(caches.default.put(url, res).catch(() => undefined));
}

/** Answers one decoded query: registry → caches → the zone's object. */
async function answer(c: AppContext, q: DnsQuery, format: Format): Promise<Answered> {
  const env: Env = c.env;
  const qn = parseName(q.question.name);
  if (!qn.ok) return local(q, format); // FORMERR from the answer engine
  await ensureDemoZone(env);
  let apex: string | null;
  try {
    apex = await zoneRegistry.lookup(env.DB, qn.name, q.question.type);
  } catch {
    return local(q, format, RCODE.SERVFAIL);
  }
  if (!apex) return local(q, format); // REFUSED: not a hosted zone (RFC 1035 §4.1.1)

  const key = `${apex}/${queryCacheKey(q, format)}`;
  const serial = zoneRegistry.serialHint(apex);
  const now = Date.now();
  const edgeUrl = (s: number): string => `${new URL(c.req.url).origin}/dns-query/cache/${s}/${key}`;
  if (serial !== null) {
    const hit = memory.get(`${serial}/${key}`, now) ?? (await edgeGet(edgeUrl(serial)));
    if (hit) {
      memory.set(`${serial}/${key}`, hit, now);
      return { body: hit.body, ttl: hit.ttl, apex, serial };
    }
  }
  let r;
  try {
    r = await zoneObject(env, apex).query(apex, q, format);
  } catch {
    // The zone's object is unreachable: SERVFAIL is the DNS way to say so (RFC 1035 §4.1.1).
    return local(q, format, RCODE.SERVFAIL);
  }
  if (!r) {
    zoneRegistry.invalidate(apex); // the registry named a zone its object no longer holds
    return local(q, format);
  }
  zoneRegistry.noteSerial(apex, r.serial);
  const a: Answered = { body: r.body instanceof Uint8Array ? r.body : JSON.stringify(r.body), ttl: r.ttl, apex, serial: r.serial };
  if (a.ttl > 0) {
    memory.set(`${r.serial}/${key}`, a, now);
    edgePut(c.executionCtx, edgeUrl(r.serial), a, format);
  }
  return a;
}

/** `param`: the GET request's `dns` parameter, under which a cacheable answer is remembered. */
async function wire(c: AppContext, message: Uint8Array, param?: string): Promise<Response> {
  const decoded = decodeQuery(message);
  if (!decoded.ok) {
    const e = errorResponse(decoded);
    // Shorter than a DNS header: there is no ID to answer to, so no DNS response is possible.
    if (!e) return problemResponse(problem(ProblemType.malformed, 400, "the DNS message is shorter than its 12-octet header"));
    return httpAnswer({ body: encodeResponse(e), ttl: 0 }, "wire", e.id);
  }
  const a = await answer(c, decoded.query, "wire");
  if (param !== undefined && a.ttl > 0 && a.apex !== undefined && a.serial !== undefined) {
    byParam.set(param, { body: a.body, ttl: a.ttl, apex: a.apex, serial: a.serial, id: decoded.query.id, rcode: rcodeOf(a, "wire") }, Date.now());
  }
  return httpAnswer(a, "wire", decoded.query.id);
}

/** A repeated GET whose zone serial is still trusted: the remembered answer, or null. */
function rememberedAnswer(param: string): Response | null {
  const hit = byParam.get(param, Date.now());
  if (!hit || zoneRegistry.serialHint(hit.apex) !== hit.serial) return null;
  const res = respond(hit, withId(hit.body as Uint8Array, hit.id), "wire");
  answeredRcode.set(res, hit.rcode);
  return res;
}

function wantsJson(c: AppContext): boolean {
  return c.req.query("ct") === DNS_JSON || (c.req.header("accept") ?? "").includes(DNS_JSON) || c.req.query("name") !== undefined;
}

// Operations (issue 8): queries by format and RCODE (HTTP status when no DNS answer was sent), and
// latency. Label objects are interned (frozen, one per format and RCODE) so the registry records a
// query with two map lookups.
const queryLabels = new Map<string, Labels>();
function labelsFor(format: string, rcode: string): Labels {
  const k = `${format} ${rcode}`;
  let l = queryLabels.get(k);
  if (!l) queryLabels.set(k, (l = Object.freeze({ format, rcode })));
  return l;
}

doh.use("/dns-query", async (c, next) => {
  const started = Date.now();
  await next();
  const type = c.res.headers.get("content-type");
  const format = type === DNS_MESSAGE ? "wire" : type === DNS_JSON ? "json" : "http";
  metrics.inc(DOH_QUERIES, labelsFor(format, answeredRcode.get(c.res) ?? `HTTP_${c.res.status}`));
  metrics.observe(DOH_SECONDS, NO_LABELS, (Date.now() - started) / 1000);
});

doh.get("/dns-query", async (c) => {
  const dns = c.req.query("dns");
  if (dns !== undefined) {
    if (dns.length > MAX_DNS_PARAM) return problemResponse(problem(ProblemType.malformed, 414, "the dns parameter is longer than any DNS message", { title: "URI Too Long" }));
    const remembered = rememberedAnswer(dns);
    if (remembered) return remembered;
    const message = decodeDnsParam(dns);
    if (!message) return problemResponse(problem(ProblemType.malformed, 400, "the dns parameter must be base64url without padding (RFC 8484 §4.1)"));
    return wire(c, message, dns);
  }
  if (wantsJson(c)) {
    const jq = jsonQuery({ name: c.req.query("name") ?? null, type: c.req.query("type"), do: c.req.query("do"), cd: c.req.query("cd") });
    if (!jq.ok) return problemResponse(problem(ProblemType.malformed, 400, jq.error));
    return httpAnswer(await answer(c, jq.query, "json"), "json", 0);
  }
  return problemResponse(problem(ProblemType.malformed, 400, "give ?dns=<base64url DNS message> or ?name=<name>&type=<type> with Accept: application/dns-json"));
});

doh.post("/dns-query", async (c) => {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== DNS_MESSAGE) {
    return problemResponse(problem(ProblemType.malformed, 415, `POST bodies must be ${DNS_MESSAGE} (RFC 8484 §4.1)`, { title: "Unsupported Media Type" }));
  }
  const body = await readBody(c.req.raw, MAX_MESSAGE);
  if (!body) return tooLarge(MAX_MESSAGE);
  return wire(c, body);
});

doh.all("/dns-query", () =>
  problemResponse(problem(ProblemType.about, 405, "DoH takes GET and POST (RFC 8484 §4.1)", { title: "Method Not Allowed" }), { allow: "GET, POST" }),
);
