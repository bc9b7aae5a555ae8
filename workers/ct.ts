// Certificate Transparency surfaces of the log shard CT_LOG_NAME:
//   RFC 6962 §4 at /<log>/ct/v1/* (the static-ct-api submission prefix) and at /ct/v1/*;
//   the c2sp.org/static-ct-api read path at /<log>/checkpoint, /<log>/tile/..., /<log>/issuer/...;
//   /<log>/log.v3.json metadata.
// Chains are checked here (stateless, in parallel across requests); the CtLog Durable Object
// only sequences. Static assets come from R2 through the edge cache.

import { Hono } from "hono";
import { type Bytes, fromBase64, toBase64 } from "../src/encoding/bytes.ts";
import { parsePem } from "../src/encoding/pem.ts";
import { type ChainCert, MAX_CHAIN_LENGTH, entryFromChain, parseChainCert, verifyChain } from "../src/ct/chain.ts";
import { type LogConfig, logConfig } from "../src/ct/log-config.ts";
import { type LogPublicInfo, RETRY_AFTER_SECONDS, contentTypeFor, logUnreachable } from "../src/ct/log-sequencer.ts";
import {
  MissingObjectError,
  type ObjectReader,
  consistencyFromTiles,
  extraData,
  inclusionFromTiles,
  leavesFromDataTiles,
  publishedTreeHead,
} from "../src/ct/read-api.ts";
import { entryIdentity } from "../src/ct/sequencer.ts";
import { encodeDigitallySigned, encodeMerkleTreeLeaf, type TileLeaf } from "../src/ct/structures.ts";
import { dataTilePath, parseTilePath, tilePath } from "../src/merkle/tiles.ts";
import { type Problem, ProblemType, problem, isProblem } from "../src/problem.ts";
import { type Env, caSigner, ctBatcher, ctLog } from "./env.ts";
import { type AppContext, type AppEnv, problemResponse, readBody } from "./http.ts";

export const ct = new Hono<AppEnv>();

/** A chain of ten certificates is well under 100 KB of base64; anything larger is refused unread. */
const MAX_SUBMISSION_BYTES = 256 * 1024;
/** RFC 6962 §4.6 lets a log return fewer entries than asked; clients continue from where it stopped. */
const MAX_ENTRIES_PER_REQUEST = 256;
/** static-ct-api "Merkle Tree": hash tile levels are 0..5. */
const MAX_TILE_LEVEL = 5;
const IMMUTABLE = "public, max-age=31536000, immutable";
/** static-ct-api "Checkpoints": mutable, so no caching beyond a few seconds. */
const CHECKPOINT_CACHE = "public, max-age=1, must-revalidate";
const ROOTS_TTL_MS = 5 * 60 * 1000;

const badRequest = (detail: string) => problemResponse(problem(ProblemType.malformed, 400, detail));
const notFound = (detail: string) => problemResponse(problem(ProblemType.about, 404, detail, { title: "Not Found" }));

function unavailable(p: Problem): Response {
  return problemResponse(p, p.status === 503 ? { "retry-after": String(RETRY_AFTER_SECONDS) } : undefined);
}

/** The configured log, or null when the path names another one. */
function logFor(c: AppContext): LogConfig | null {
  const config = logConfig(c.env);
  const named = c.req.param("log");
  return named === undefined || named === config.name ? config : null;
}

// ---- accepted roots and log keys, cached per isolate ----
// Both change only when the CA or the log is re-created; a miss (an unknown root, a checkpoint
// signed by another key) refetches once before answering, so a stale cache cannot wrongly refuse.

let rootsCache: { at: number; roots: ChainCert[] } | null = null;
let infoCache: LogPublicInfo | null = null;

async function acceptedRoots(env: Env, fresh: boolean): Promise<ChainCert[] | Problem> {
  if (!fresh && rootsCache && Date.now() - rootsCache.at < ROOTS_TTL_MS) return rootsCache.roots;
  const ca = await caSigner(env).certificates();
  if (isProblem(ca)) return ca;
  // The ML-DSA root too: the log verifies ML-DSA chain signatures (src/x509/signature.ts), so PQ
  // leaves are logged and carry SCTs like classical ones.
  const pems = [ca.root.pem, ca.pq.root.pem, logConfig(env).extraRootsPem].join("\n");
  const roots: ChainCert[] = [];
  for (const block of parsePem(pems) ?? []) {
    if (block.label !== "CERTIFICATE") continue;
    const parsed = await parseChainCert(block.der);
    if (typeof parsed === "string") throw new Error(`CT_EXTRA_ROOTS holds an unparseable certificate: ${parsed}`);
    roots.push(parsed);
  }
  rootsCache = { at: Date.now(), roots };
  return roots;
}

async function logInfo(env: Env, fresh: boolean): Promise<LogPublicInfo | Problem> {
  if (!fresh && infoCache) return infoCache;
  const info = await ctLog(env).info();
  if (!isProblem(info)) infoCache = info;
  return info;
}

function r2Reader(env: Env, config: LogConfig): ObjectReader {
  return async (path) => {
    const obj = await env.BLOBS.get(config.objectPrefix + path);
    return obj ? new Uint8Array(await obj.arrayBuffer()) : null;
  };
}

// ---- submission (RFC 6962 §4.1, §4.2, §4.7) ----

/** Parses {"chain": [base64 DER, ...]}; a string is the 400 message. */
async function parseChainRequest(c: AppContext): Promise<ChainCert[] | string> {
  const body = await readBody(c.req.raw, MAX_SUBMISSION_BYTES);
  if (body === null) return `the request body is larger than ${MAX_SUBMISSION_BYTES} bytes`;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body));
  } catch {
    return "the body must be JSON: {\"chain\": [base64 DER certificates]}";
  }
  if (typeof json !== "object" || json === null || !("chain" in json) || !Array.isArray(json.chain)) return "the body must be a JSON object with a \"chain\" array";
  const chain: unknown[] = json.chain;
  if (chain.length === 0) return "the chain is empty";
  if (chain.length > MAX_CHAIN_LENGTH) return `the chain has more than ${MAX_CHAIN_LENGTH} certificates`;
  const out: ChainCert[] = [];
  for (const [i, item] of chain.entries()) {
    const der = typeof item === "string" ? fromBase64(item) : null;
    if (der === null || der.length === 0) return `chain[${i}] is not a base64 string`;
    const cert = await parseChainCert(der);
    if (typeof cert === "string") return `chain[${i}] is ${cert}`;
    out.push(cert);
  }
  return out;
}

async function addChain(c: AppContext, precert: boolean): Promise<Response> {
  const config = logFor(c);
  if (!config) return notFound(`no log named ${c.req.param("log")}`);
  const chain = await parseChainRequest(c);
  if (typeof chain === "string") return badRequest(chain);
  let roots = await acceptedRoots(c.env, false);
  if (isProblem(roots)) return unavailable(roots);
  let verified = await verifyChain(chain, roots, precert);
  if (!verified.ok) {
    roots = await acceptedRoots(c.env, true);
    if (isProblem(roots)) return unavailable(roots);
    verified = await verifyChain(chain, roots, precert);
    if (!verified.ok) return problemResponse(verified.problem);
  }
  const entry = await entryFromChain(verified.value, precert);
  if (!entry.ok) return problemResponse(entry.problem);
  const sub = { entry: entry.value.entry, preCertificate: entry.value.preCertificate, issuers: entry.value.issuers };
  // A batcher or log object reset mid-call (a deployment, an eviction) acknowledged nothing: the client retries.
  const result = await ctBatcher(c.env, config, entryIdentity(sub.entry)).submit(sub).catch((e: unknown) => {
    console.error("CT: the submission did not reach the log", e);
    return logUnreachable();
  });
  if (isProblem(result)) return unavailable(result);
  return c.json({
    sct_version: 0,
    id: toBase64(result.logId),
    timestamp: result.timestamp,
    extensions: toBase64(result.extensions),
    signature: toBase64(result.signature),
  });
}

// ---- read API (RFC 6962 §4.3-§4.8), answered from the published checkpoint and tiles ----

function queryInt(c: AppContext, name: string): number | string {
  const v = c.req.query(name);
  if (v === undefined) return `the ${name} parameter is required`;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(v) || !Number.isSafeInteger(Number(v))) return `${name} must be a non-negative decimal integer`;
  return Number(v);
}

interface ReadContext {
  config: LogConfig;
  read: ObjectReader;
  size: number;
}

/** Loads the published tree head; a Response when the log or its checkpoint is not there. */
async function readContext(c: AppContext): Promise<(ReadContext & { sth: NonNullable<Awaited<ReturnType<typeof publishedTreeHead>>> }) | Response> {
  const config = logFor(c);
  if (!config) return notFound(`no log named ${c.req.param("log")}`);
  const read = r2Reader(c.env, config);
  for (const fresh of [false, true]) {
    const info = await logInfo(c.env, fresh);
    if (isProblem(info)) return unavailable(info);
    const sth = await publishedTreeHead(read, config.origin, info.logId);
    if (sth) return { config, read, size: sth.size, sth };
  }
  return unavailable(problem(ProblemType.serverInternal, 503, "the log has not published a checkpoint yet", { title: "Service Unavailable" }));
}

async function readOr503<T>(fn: () => Promise<T>): Promise<T | Response> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof MissingObjectError) return unavailable(problem(ProblemType.serverInternal, 503, e.message, { title: "Service Unavailable" }));
    throw e;
  }
}

async function entryJson(read: ObjectReader, leaf: TileLeaf, issuers: Map<string, Uint8Array>) {
  return { leaf_input: toBase64(encodeMerkleTreeLeaf(leaf.timestampedEntry)), extra_data: toBase64(await extraData(read, leaf, issuers)) };
}

const b64List = (hashes: readonly Bytes[]) => hashes.map(toBase64);

function registerRfc6962(base: string): void {
  ct.post(`${base}/add-chain`, (c) => addChain(c, false));
  ct.post(`${base}/add-pre-chain`, (c) => addChain(c, true));

  ct.get(`${base}/get-roots`, async (c) => {
    if (!logFor(c)) return notFound(`no log named ${c.req.param("log")}`);
    const roots = await acceptedRoots(c.env, false);
    if (isProblem(roots)) return unavailable(roots);
    return c.json({ certificates: roots.map((r) => toBase64(r.der)) });
  });

  ct.get(`${base}/get-sth`, async (c) => {
    const rc = await readContext(c);
    if (rc instanceof Response) return rc;
    return c.json({
      tree_size: rc.sth.size,
      timestamp: rc.sth.timestamp,
      sha256_root_hash: toBase64(rc.sth.rootHash),
      tree_head_signature: toBase64(encodeDigitallySigned(rc.sth.signature)),
    });
  });

  ct.get(`${base}/get-sth-consistency`, async (c) => {
    const first = queryInt(c, "first");
    const second = queryInt(c, "second");
    if (typeof first === "string") return badRequest(first);
    if (typeof second === "string") return badRequest(second);
    const rc = await readContext(c);
    if (rc instanceof Response) return rc;
    if (first > second) return badRequest("first must not be larger than second");
    if (second > rc.size) return badRequest(`second is larger than the current tree size ${rc.size}`);
    const proof = await readOr503(() => consistencyFromTiles(rc.read, first, second, rc.size));
    if (proof instanceof Response) return proof;
    return c.json({ consistency: b64List(proof) });
  });

  ct.get(`${base}/get-proof-by-hash`, async (c) => {
    const hash = fromBase64(c.req.query("hash") ?? "");
    const treeSize = queryInt(c, "tree_size");
    if (hash === null || hash.length !== 32) return badRequest("hash must be a base64 SHA-256 leaf hash");
    if (typeof treeSize === "string") return badRequest(treeSize);
    const rc = await readContext(c);
    if (rc instanceof Response) return rc;
    if (treeSize < 1 || treeSize > rc.size) return badRequest(`tree_size must be between 1 and the current tree size ${rc.size}`);
    const found = await ctLog(c.env).leafIndex(hash);
    if (isProblem(found)) return unavailable(found);
    if (found.index === null) return notFound("no entry has this leaf hash");
    if (found.index >= treeSize) return badRequest(`the entry (index ${found.index}) is not in the tree of size ${treeSize}`);
    const index = found.index;
    const proof = await readOr503(() => inclusionFromTiles(rc.read, index, treeSize, rc.size));
    if (proof instanceof Response) return proof;
    return c.json({ leaf_index: index, audit_path: b64List(proof) });
  });

  ct.get(`${base}/get-entries`, async (c) => {
    const start = queryInt(c, "start");
    const end = queryInt(c, "end");
    if (typeof start === "string") return badRequest(start);
    if (typeof end === "string") return badRequest(end);
    if (start > end) return badRequest("start must not be larger than end");
    const rc = await readContext(c);
    if (rc instanceof Response) return rc;
    if (start >= rc.size) return badRequest(`start is beyond the current tree size ${rc.size}`);
    const last = Math.min(end, rc.size - 1, start + MAX_ENTRIES_PER_REQUEST - 1);
    const result = await readOr503(async () => {
      const leaves = await leavesFromDataTiles(rc.read, start, last, rc.size);
      const issuers = new Map<string, Uint8Array>();
      const entries = [];
      for (const leaf of leaves) entries.push(await entryJson(rc.read, leaf, issuers));
      return entries;
    });
    if (result instanceof Response) return result;
    return c.json({ entries: result });
  });

  ct.get(`${base}/get-entry-and-proof`, async (c) => {
    const index = queryInt(c, "leaf_index");
    const treeSize = queryInt(c, "tree_size");
    if (typeof index === "string") return badRequest(index);
    if (typeof treeSize === "string") return badRequest(treeSize);
    const rc = await readContext(c);
    if (rc instanceof Response) return rc;
    if (index >= treeSize || treeSize > rc.size) return badRequest(`need leaf_index < tree_size <= ${rc.size}`);
    const result = await readOr503(async () => {
      const [leaf] = await leavesFromDataTiles(rc.read, index, index, rc.size);
      const proof = await inclusionFromTiles(rc.read, index, treeSize, rc.size);
      return { ...(await entryJson(rc.read, leaf!, new Map())), audit_path: b64List(proof) };
    });
    if (result instanceof Response) return result;
    return c.json(result);
  });
}

registerRfc6962("/ct/v1");
registerRfc6962("/:log/ct/v1");

// ---- static-ct-api read path and metadata ----

/**
 * Serves an immutable object (tiles, issuers) through the Workers Cache API: the edge answers
 * repeated fetches without touching R2. A missing object is not cached (it may appear later).
 */
async function serveImmutable(c: AppContext, key: string, contentType: string): Promise<Response> {
  const cache = caches.default;
  const hit = await cache.match(c.req.raw);
  if (hit) return hit;
  const obj = await c.env.BLOBS.get(key);
  if (!obj) return notFound(`${new URL(c.req.url).pathname} does not exist`);
  const res = new Response(obj.body, { headers: { "content-type": contentType, "cache-control": IMMUTABLE, etag: obj.httpEtag } });
  c.executionCtx.waitUntil(cache.put(c.req.raw, res.clone()));
  return res;
}

ct.get("/:log/checkpoint", async (c) => {
  const config = logFor(c);
  if (!config) return notFound(`no log named ${c.req.param("log")}`);
  // Mutable: served straight from R2 (not put in the edge cache) with a one-second max-age.
  const obj = await c.env.BLOBS.get(`${config.objectPrefix}checkpoint`);
  if (!obj) return unavailable(problem(ProblemType.serverInternal, 503, "the log has not published a checkpoint yet", { title: "Service Unavailable" }));
  return new Response(obj.body, { headers: { "content-type": contentTypeFor("checkpoint"), "cache-control": CHECKPOINT_CACHE } });
});

ct.get("/:log/tile/*", async (c) => {
  const config = logFor(c);
  if (!config) return notFound(`no log named ${c.req.param("log")}`);
  const rest = new URL(c.req.url).pathname.slice(`/${config.name}/`.length);
  const parsed = parseTilePath(rest);
  if (!parsed || (parsed.kind === "hash" && parsed.tile.level > MAX_TILE_LEVEL)) return notFound(`${rest} is not a tile path`);
  const canonical = parsed.kind === "hash" ? tilePath(parsed.tile) : dataTilePath(parsed.tile.index, parsed.tile.width);
  return serveImmutable(c, config.objectPrefix + canonical, "application/octet-stream");
});

ct.get("/:log/issuer/:fingerprint{[0-9a-f]{64}}", async (c) => {
  const config = logFor(c);
  if (!config) return notFound(`no log named ${c.req.param("log")}`);
  return serveImmutable(c, `${config.objectPrefix}issuer/${c.req.param("fingerprint")}`, "application/pkix-cert");
});

/** Metadata in the shape of a Chrome log list v3 "tiled_logs" entry, plus the note verifier key. */
ct.get("/:log/log.v3.json", async (c) => {
  const config = logFor(c);
  if (!config) return notFound(`no log named ${c.req.param("log")}`);
  const info = await logInfo(c.env, true);
  if (isProblem(info)) return unavailable(info);
  return c.json({
    description: `TrustChain CT log ${info.name}`,
    log_id: toBase64(info.logId),
    key: toBase64(info.spkiDer),
    mmd: info.mmdSeconds,
    url: info.prefix,
    submission_url: info.prefix,
    monitoring_url: info.prefix,
    checkpoint_origin: info.origin,
    note_verifier_key: info.noteVerifierKey,
    // post-quantum: c2sp.org/tlog-cosignature ML-DSA-44 (type 0x06) vkey of the checkpoint's cosignature line.
    mldsa44_cosignature_key: info.cosignatureVerifierKey,
    // FALCON-1024 line: signed-note type 0xff followed by "trustchain/falcon-1024-cosignature/v1\n" (no assigned type exists).
    falcon1024_cosignature_key: info.falconVerifierKey,
  });
});
