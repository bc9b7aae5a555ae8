// npm run bench:ct — CT submission driven straight at workerd, along two paths:
//
// 1. end to end: RFC 6962 add-chain over HTTP at concurrency 1 (an idle log: SCT latency is one
//    round) and 64 (group commit under load). Everything runs on workerd's one thread here: HTTP,
//    JSON and chain checks (parse, ECDSA verification), the RPC to the CtLog Durable Object, its
//    rounds (SQLite, signatures), and the R2/D1 simulators.
// 2. the sequencer alone: a second Worker in the same Miniflare instance
//    (bench/ct-sequencer-driver.ts) submits pre-built entries to the CtLog object over RPC, batched
//    as the log's batcher objects batch what workers/ct.ts sends them after its checks, at 64, 256
//    and 1,024 in flight (CT_BENCH_SEQ_BATCHED=0: one call per entry). In production the HTTP
//    front, the chain checks and the batchers scale out across Worker isolates and objects; the
//    log object is the one part that does not, so this is the log's ceiling. The R2 simulator still runs on the same
//    thread (in production an R2 write is network I/O, not CPU of the object): its cost per put
//    is calibrated first and its share of each run estimated.
//
// Leaves are distinct, under a throwaway root the log accepts through CT_EXTRA_ROOTS (see
// bench/lib/ct-fixtures.ts for why not our own issued certificates). Printed per run: request
// rate, sequenced entries/s (from the checkpoint's tree size), SCT latency p50/p99, rounds, R2
// writes per entry, and workerd's CPU time per entry (from /proc; the robust figure on a shared
// machine, where wall-clock rates move with other people's load). Last, the floor under any
// submission: an RPC round trip into the log object.
//
// CT_BENCH_ENTRIES (default 5000) sets the size of the loaded HTTP run and CT_BENCH_CONCURRENCY
// (default 64) its concurrency; CT_BENCH_SEQ_ENTRIES (default 5000) the size of each sequencer
// run and CT_BENCH_SEQ_CONCURRENCY (default "64,256,1024") their concurrencies; CT_BENCH_PATHS
// (default "http,sequencer") which paths run; CT_BENCH_SEQ_SYNTHETIC=1 makes the sequencer runs'
// entries from one leaf (to grow the log to millions of entries). CT_BATCH_MAX, CT_BATCH_WINDOW_MS, CT_POOL_MAX and
// CT_BATCHERS, when set, override the log's settings. CT_BENCH_FIXTURES=<file> keeps the generated root and
// leaves there and reuses them (each run starts with an empty log).

import { buildBenchWorker, type LoadResult, report, startDirectWorker } from "./lib/direct-workerd.ts";
import { benchFixtures } from "./lib/ct-fixtures.ts";
import { countR2, type R2Count } from "./lib/r2-count.ts";
import { cpuBetween, sampleCpu, workerdPids } from "./lib/process-cpu.ts";

const LOG = "trustchain-2026";
/** The loaded HTTP run's concurrency (64 is issue 3's figure). */
const LOADED_CONCURRENCY = Number(process.env.CT_BENCH_CONCURRENCY ?? 64);
const PATHS = new Set((process.env.CT_BENCH_PATHS ?? "http,sequencer").split(","));
const C64_ENTRIES = PATHS.has("http") ? Number(process.env.CT_BENCH_ENTRIES ?? 5000) : 0;
const SEQ_ENTRIES = Number(process.env.CT_BENCH_SEQ_ENTRIES ?? 5000);
/** Whether the sequencer phase batches as the log's batchers do (CT_BENCH_SEQ_BATCHED=0: one call per entry). */
const SEQ_BATCHED = process.env.CT_BENCH_SEQ_BATCHED !== "0";
const SEQ_CONCURRENCY = PATHS.has("sequencer") ? (process.env.CT_BENCH_SEQ_CONCURRENCY ?? "64,256,1024").split(",").map(Number) : [];
const C1_ENTRIES = PATHS.has("http") ? 500 : 0;
const WARMUP = PATHS.has("http") ? 200 : 0;

// The sequencer runs start with a warm-up of their own when the HTTP runs did not start the log.
const SEQ_WARMUP = PATHS.has("http") || SEQ_CONCURRENCY.length === 0 ? 0 : 200;
/**
 * CT_BENCH_SEQ_SYNTHETIC=1: the sequencer runs submit entries the driver makes from one leaf
 * (bench/ct-sequencer-driver.ts syntheticLeaf) instead of signed leaves, so that the log can be
 * grown to millions of entries without generating them: how its cost per entry moves with its size.
 */
const SEQ_SYNTHETIC = process.env.CT_BENCH_SEQ_SYNTHETIC === "1";
const total = WARMUP + C1_ENTRIES + C64_ENTRIES + SEQ_WARMUP + (SEQ_SYNTHETIC ? 1 : SEQ_ENTRIES * SEQ_CONCURRENCY.length);
const genStart = performance.now();
const { root, leaves } = await benchFixtures(total);
const genSeconds = (performance.now() - genStart) / 1000;
const driverScript = buildBenchWorker("ct-sequencer-driver", "bench/ct-sequencer-driver.ts");
// The log's batching settings can be tried out from the environment (wrangler.toml has the defaults).
const tuning = Object.fromEntries(["CT_BATCH_MAX", "CT_BATCH_WINDOW_MS", "CT_POOL_MAX", "CT_BATCHERS"].flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])));
const worker = await startDirectWorker({
  bindings: { CT_EXTRA_ROOTS: root.pem, ...tuning },
  extraWorkers: [
    {
      name: "ct-sequencer-driver",
      modules: true,
      scriptPath: driverScript,
      compatibilityDate: "2026-11-01",
      durableObjects: { CT_LOG: { className: "CtLog", scriptName: "trustchain" } },
      r2Buckets: { CALIBRATION: "ct-bench-calibration" },
    },
  ],
});
try {
  const bucket = await worker.mf.getR2Bucket("BLOBS");
  const [workerd] = workerdPids();
  const prefix = `${worker.url}/${LOG}/`;
  const driver = await worker.mf.getWorker("ct-sequencer-driver");

  // ---- a pool of distinct leaves ----
  const httpTotal = WARMUP + C1_ENTRIES + C64_ENTRIES;
  const rootB64 = Buffer.from(root.der).toString("base64");
  const bodies = leaves.slice(0, httpTotal).map((der) => JSON.stringify({ chain: [Buffer.from(der).toString("base64"), rootB64] }));

  // 0 until the log has published its first checkpoint (the Durable Object starts on first use).
  const checkpoint = async () => {
    const res = await fetch(`${prefix}checkpoint`);
    const text = await res.text();
    return res.status === 200 ? { size: Number(text.split("\n")[1]), bytes: text.length } : { size: 0, bytes: 0 };
  };

  // What a put into Miniflare's R2 simulator costs workerd (it runs on the same thread; in
  // production an R2 write is I/O, not CPU of the log object): calibrated at two sizes, then
  // modelled as a fixed cost per put plus a cost per byte.
  const r2Put = await (async () => {
    const cost = async (size: number) => {
      const n = 200;
      const before = workerd === undefined ? null : sampleCpu(workerd);
      await (await driver.fetch(`http://driver/r2?n=${n}&size=${size}&concurrency=4`)).json();
      return before && workerd !== undefined ? (cpuBetween(before, sampleCpu(workerd)).total * 1000) / n : 0;
    };
    await cost(1024); // warm-up
    const small = await cost(1024);
    const large = await cost(65536);
    const perByte = Math.max(0, (large - small) / (65536 - 1024));
    return { fixed: small - 1024 * perByte, perByte, small, large };
  })();

  /** Runs `submit` and prints what the log sequenced meanwhile, its rounds, R2 writes and CPU. */
  async function measured(label: string, submit: () => Promise<{ result: LoadResult; rounds: number }>): Promise<void> {
    const before: R2Count = await countR2(bucket, `ct/${LOG}/`);
    const cpBefore = await checkpoint();
    const cpuBefore = workerd === undefined ? null : sampleCpu(workerd);
    const { result, rounds } = await submit();
    const cpu = cpuBefore && workerd !== undefined ? cpuBetween(cpuBefore, sampleCpu(workerd)) : null;
    const cpAfter = await checkpoint();
    const sequenced = cpAfter.size - cpBefore.size;
    const after = await countR2(bucket, `ct/${LOG}/`);
    // Every round writes one checkpoint (an overwrite, so not visible as a new object) plus its
    // new tiles and issuers (new objects: partial tiles get a new .p/<W> name each round). The
    // cosigned checkpoint (at most one a second) is not counted.
    const newObjects = after.objects - before.objects;
    const writes = newObjects + rounds;
    const per = (n: number) => n / Math.max(sequenced, 1);
    const pad = "".padEnd(28);
    console.log(
      `${pad} ${(sequenced / result.seconds).toFixed(0).padStart(6)} entries/s sequenced (${sequenced} new entries; ${label})\n` +
        `${pad} ${rounds} rounds (mean ${(sequenced / Math.max(rounds, 1)).toFixed(1)} entries/round), ` +
        `R2 writes ≈ ${writes} (${newObjects} new objects + ${rounds} checkpoints) = ${per(writes).toFixed(3)} per entry, ` +
        `${per(after.bytes - before.bytes).toFixed(0)} new bytes per entry`,
    );
    if (cpu) {
      const total = per(cpu.total * 1000);
      const r2 = per((writes + result.seconds) * r2Put.fixed + (after.bytes - before.bytes + (rounds + result.seconds) * cpAfter.bytes) * r2Put.perByte);
      console.log(
        `${pad} workerd CPU ${total.toFixed(0)} µs per entry, of which ≈ ${r2.toFixed(0)} µs the R2 simulator's puts; ` +
          `its busiest thread ${((100 * cpu.busiestThread) / (result.seconds * 1000)).toFixed(0)}% busy`,
      );
    }
  }

  /** add-chain over HTTP for bodies[from, from+count) with `concurrency` in flight. */
  async function overHttp(from: number, count: number, concurrency: number): Promise<{ result: LoadResult; rounds: number }> {
    const latencies: number[] = [];
    // Rounds are counted from SCT timestamps: a round stamps all its entries alike.
    const roundTimestamps = new Set<number>();
    let next = 0;
    let errors = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const i = from + next++;
          const t0 = performance.now();
          const res = await fetch(`${prefix}ct/v1/add-chain`, { method: "POST", headers: { "content-type": "application/json" }, body: bodies[i] });
          const text = await res.text();
          latencies.push(performance.now() - t0);
          if (res.status !== 200) errors++;
          else roundTimestamps.add((JSON.parse(text) as { timestamp: number }).timestamp);
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
    const result: LoadResult = { requests: count, seconds, perSecond: count / seconds, p50: pct(50), p99: pct(99), errors };
    report(`add-chain, concurrency ${concurrency}`, result);
    return { result, rounds: roundTimestamps.size };
  }

  /** leaves[from, from+count) straight to the CtLog object over RPC, through the driver Worker. */
  let syntheticFrom = 0;
  async function overRpc(from: number, count: number, concurrency: number, synthetic = false): Promise<{ result: LoadResult; rounds: number }> {
    const records = [root.der, ...(synthetic ? [leaves[leaves.length - 1]!] : leaves.slice(from, from + count))];
    const made = synthetic ? `&synthetic=${count}&from=${syntheticFrom}` : "";
    if (synthetic) syntheticFrom += count;
    const body = Buffer.alloc(records.reduce((n, r) => n + 4 + r.length, 0));
    let at = 0;
    for (const r of records) {
      body.writeUInt32BE(r.length, at);
      body.set(r, at + 4);
      at += 4 + r.length;
    }
    const start = performance.now();
    const res = await driver.fetch(`http://driver/run?concurrency=${concurrency}&log=${LOG}&batched=${SEQ_BATCHED ? 1 : 0}&batchMax=${process.env.CT_BATCH_MAX ?? 1024}${made}`, { method: "POST", body });
    const out = (await res.json()) as { submitted: number; ms: number; p50: number; p99: number; errors: number; rounds: number };
    const seconds = (performance.now() - start) / 1000;
    const result: LoadResult = { requests: count, seconds, perSecond: count / seconds, p50: out.p50, p99: out.p99, errors: out.errors };
    report(`submit RPC, concurrency ${concurrency}`, result);
    return { result, rounds: out.rounds };
  }

  console.log(`bench:ct — ${total} distinct [P-256 leaf, root] chains (${genSeconds.toFixed(1)} s to make or load); workerd via Miniflare, one thread for everything`);
  console.log(`R2 simulator: a put costs workerd ${r2Put.small.toFixed(0)} µs of CPU at 1 KiB, ${r2Put.large.toFixed(0)} µs at 64 KiB (calibrated; subtracted below as an estimate)`);
  if (PATHS.has("http")) {
    console.log(`end to end: POST /${LOG}/ct/v1/add-chain (HTTP, chain checks, log object, R2/D1 simulators)`);
    await measured("warm-up", () => overHttp(0, WARMUP, 8));
    await measured("idle log: one submission at a time", () => overHttp(WARMUP, C1_ENTRIES, 1));
    await measured("under load", () => overHttp(WARMUP + C1_ENTRIES, C64_ENTRIES, LOADED_CONCURRENCY));
  }
  if (SEQ_CONCURRENCY.length > 0) {
    console.log(
      SEQ_BATCHED
        ? `the sequencer alone: a second Worker plays the batchers, CtLog.submitMany over RPC (log object + R2 simulator + the driver's calls)`
        : `the sequencer alone, unbatched: CtLog.submit over RPC per entry from a second Worker (log object + R2 simulator + the driver's calls)`,
    );
  }
  let from = httpTotal;
  if (SEQ_WARMUP > 0) {
    await measured("warm-up: the log object starts", () => overRpc(from, SEQ_WARMUP, 8));
    from += SEQ_WARMUP;
  }
  for (const c of SEQ_CONCURRENCY) {
    await measured(`sequencer, ${c} in flight${SEQ_SYNTHETIC ? `, synthetic entries from ${syntheticFrom}` : ""}`, () => overRpc(from, SEQ_ENTRIES, c, SEQ_SYNTHETIC));
    if (!SEQ_SYNTHETIC) from += SEQ_ENTRIES;
  }
  if (SEQ_CONCURRENCY.length > 0) {
    // The floor under any submission: an RPC round trip into the log object (a leaf-hash lookup).
    for (const c of [1, 256]) {
      const n = 5000;
      const before = workerd === undefined ? null : sampleCpu(workerd);
      const t0 = performance.now();
      await (await driver.fetch(`http://driver/rpc-floor?concurrency=${c}&n=${n}&log=${LOG}`)).json();
      const seconds = (performance.now() - t0) / 1000;
      const cpu = before && workerd !== undefined ? cpuBetween(before, sampleCpu(workerd)) : null;
      console.log(`${`RPC floor, concurrency ${c}`.padEnd(28)} ${(n / seconds).toFixed(0).padStart(6)} calls/s${cpu ? `, workerd CPU ${((cpu.total * 1000) / n).toFixed(0)} µs per call (both sides)` : ""}`);
    }
  }
  console.log(`targets (issue 3): ≥ 5,000 entries/s sustained; SCT p50 < 100 ms when idle`);
} finally {
  await worker.dispose();
}
