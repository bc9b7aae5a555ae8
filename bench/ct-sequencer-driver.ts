// The feeding side of bench:ct's sequencer phase: a second Worker in the same Miniflare instance,
// bound to TrustChain's CtLog Durable Object namespace, that submits pre-built submissions to the
// log over RPC and reports per-submission latency. It plays the log's batchers
// (durable-objects/ct-batcher.ts): its concurrent submissions go through the same pool, with the
// same settings, into CtLog.submitMany. It measures what the log object sustains without the
// HTTP front, the chain checks and the batchers, which scale out across Worker isolates and
// objects in production while the log object does not. ?batched=0 sends each submission as its
// own CtLog.submit call instead (the log object before batchers).
//
// POST /run?concurrency=N&log=<name>, body: the root DER then each leaf DER, each preceded by its
// length as a 4-byte big-endian integer. GET /rpc-floor and /r2 measure what the bench subtracts
// or compares against: an RPC round trip to the object, and a put into Miniflare's R2 simulator.

import type { CtLog } from "../durable-objects/ct-log.ts";
import { BATCHES_IN_FLIGHT } from "../src/ct/log-config.ts";
import type { SctResult, Submission } from "../src/ct/log-sequencer.ts";
import { SequencingPool } from "../src/ct/pool.ts";
import type { Problem } from "../src/problem.ts";

interface Env {
  CT_LOG: DurableObjectNamespace<CtLog>;
  /** A bucket of the same R2 simulator, for calibration only (not the log's). */
  CALIBRATION: R2Bucket;
}

function splitRecords(body: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  for (let at = 0; at < body.length; ) {
    const n = view.getUint32(at);
    out.push(body.slice(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return out;
}

/**
 * Distinct entries without signing each one, to grow the log to millions of entries: the leaf
 * with its last 6 bytes (inside the signature value) replaced by `n`. The log object never
 * looks inside an entry it is given (the chain checks are the front's, before this call), so
 * these cost it exactly what real leaves of the same size cost; they are not valid certificates.
 */
function syntheticLeaf(template: Uint8Array, n: number): Uint8Array {
  const leaf = template.slice();
  for (let i = 0, v = n; i < 6; i++, v = Math.floor(v / 256)) leaf[leaf.length - 1 - i] = v % 256;
  return leaf;
}

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url);
    const concurrency = Number(url.searchParams.get("concurrency") ?? "64");
    const log = env.CT_LOG.get(env.CT_LOG.idFromName(url.searchParams.get("log") ?? "trustchain-2026"));
    if (url.pathname === "/r2") {
      // Locally R2 is a simulator on the same thread; its cost per put is calibrated with puts
      // like the log's (same simulator, a bucket of its own).
      const n = Number(url.searchParams.get("n") ?? "100");
      const data = new Uint8Array(Number(url.searchParams.get("size") ?? "1024")).fill(7);
      let next = 0;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < n) await env.CALIBRATION.put(`calibration/${data.length}/${next++}`, data, { httpMetadata: { contentType: "application/octet-stream" } });
      }));
      return Response.json({ puts: n });
    }
    if (url.pathname === "/rpc-floor") {
      // The cost of an RPC round trip to the log object alone: one of its cheapest methods, a
      // leaf-hash lookup (one indexed SQLite read) that finds nothing.
      const n = Number(url.searchParams.get("n") ?? "5000");
      const hash = crypto.getRandomValues(new Uint8Array(32));
      let next = 0;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next++ < n) await log.leafIndex(hash);
      }));
      return Response.json({ calls: n });
    }
    const [root, ...given] = splitRecords(new Uint8Array(await req.arrayBuffer()));
    if (!root || given.length === 0) return new Response("no records", { status: 400 });
    // ?synthetic=N&from=K: N entries made from the first leaf, numbered from K (see synthetic()).
    const synthetic = Number(url.searchParams.get("synthetic") ?? "0");
    const from = Number(url.searchParams.get("from") ?? "0");
    const count = synthetic > 0 ? synthetic : given.length;
    const leafAt = (i: number): Uint8Array => (synthetic > 0 ? syntheticLeaf(given[0]!, from + i) : given[i]!);
    const pool = new SequencingPool<Submission, SctResult | Problem>((batch) => log.submitMany(batch), {
      batchMax: Number(url.searchParams.get("batchMax") ?? "1024"),
      windowMs: 0,
      poolMax: Number.MAX_SAFE_INTEGER,
      maxInFlight: BATCHES_IN_FLIGHT,
    });
    const batched = url.searchParams.get("batched") !== "0";
    const latencies: number[] = [];
    const timestamps = new Set<number>();
    let errors = 0;
    let next = 0;
    const start = Date.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const certificate = leafAt(next++);
          const t0 = Date.now();
          const sub: Submission = { entry: { type: "x509", certificate }, issuers: [root] };
          const r = batched ? await pool.offer(sub)! : await log.submit(sub);
          latencies.push(Date.now() - t0);
          if ("timestamp" in r) timestamps.add(r.timestamp);
          else errors++;
        }
      }),
    );
    const ms = Date.now() - start;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
    return Response.json({ submitted: count, ms, p50: pct(50), p99: pct(99), errors, rounds: timestamps.size });
  },
};
