// npm run bench:ct — CT submission (RFC 6962 add-chain) driven straight at workerd.
// Submits distinct leaves (under a throwaway root the log is configured to accept through
// CT_EXTRA_ROOTS, see bench/lib/ct-fixtures.ts for why not our own issued certificates) at
// concurrency 1 (an idle log: SCT latency is one round) and 64 (group commit under load).
// Prints request rate, sequenced entries/s (from the checkpoint's tree size), SCT latency
// p50/p99, rounds, and R2 writes per entry. Loopback only; the load is bounded by the pool size.
//
// CT_BENCH_ENTRIES (default 5000) sets how many submissions the concurrency-64 run makes.

import { type LoadResult, report, startDirectWorker } from "./lib/direct-workerd.ts";
import { benchRoot } from "./lib/ct-fixtures.ts";
import { countR2, type R2Count } from "./lib/r2-count.ts";

const LOG = "trustchain-2026";
const C64_ENTRIES = Number(process.env.CT_BENCH_ENTRIES ?? 5000);
const C1_ENTRIES = 500;
const WARMUP = 200;

const root = await benchRoot();
const worker = await startDirectWorker({ bindings: { CT_EXTRA_ROOTS: root.pem } });
try {
  const bucket = await worker.mf.getR2Bucket("BLOBS");
  const prefix = `${worker.url}/${LOG}/`;

  // ---- a pool of distinct leaves ----
  const total = WARMUP + C1_ENTRIES + C64_ENTRIES;
  const genStart = performance.now();
  const rootB64 = Buffer.from(root.der).toString("base64");
  const bodies: string[] = [];
  for (let i = 0; i < total; i++) bodies.push(JSON.stringify({ chain: [Buffer.from(await root.leaf(i)).toString("base64"), rootB64] }));
  const genSeconds = (performance.now() - genStart) / 1000;

  // 0 until the log has published its first checkpoint (the Durable Object starts on first use).
  const treeSize = async () => {
    const res = await fetch(`${prefix}checkpoint`);
    const text = await res.text();
    return res.status === 200 ? Number(text.split("\n")[1]) : 0;
  };

  /** Submits bodies[from, from+count) with `concurrency` in flight; latency and round bookkeeping per SCT. */
  async function run(label: string, from: number, count: number, concurrency: number): Promise<void> {
    const before: R2Count = await countR2(bucket, `ct/${LOG}/`);
    const sizeBefore = await treeSize();
    const latencies: number[] = [];
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
    const sequenced = (await treeSize()) - sizeBefore;
    const after = await countR2(bucket, `ct/${LOG}/`);
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
    const r: LoadResult = { requests: count, seconds, perSecond: count / seconds, p50: pct(50), p99: pct(99), errors };
    report(`add-chain, concurrency ${concurrency}`, r);
    // Every round writes one checkpoint (an overwrite, so not visible as a new object) plus its
    // new tiles and issuers (new objects: partial tiles get a new .p/<W> name each round).
    // Rounds are counted from SCT timestamps: a round stamps all its entries alike.
    const rounds = roundTimestamps.size;
    const newObjects = after.objects - before.objects;
    const writes = newObjects + rounds;
    console.log(
      `${"".padEnd(28)} ${(sequenced / seconds).toFixed(0).padStart(6)} entries/s sequenced (${sequenced} new entries; ${label})\n` +
        `${"".padEnd(28)} ${rounds} rounds (mean ${(sequenced / Math.max(rounds, 1)).toFixed(1)} entries/round), ` +
        `R2 writes ≈ ${writes} (${newObjects} new objects + ${rounds} checkpoints) = ${(writes / Math.max(sequenced, 1)).toFixed(3)} per entry, ` +
        `${((after.bytes - before.bytes) / Math.max(sequenced, 1)).toFixed(0)} new bytes per entry`,
    );
  }

  console.log(`bench:ct — POST /${LOG}/ct/v1/add-chain ([P-256 leaf, root], ${total} distinct leaves made in ${genSeconds.toFixed(1)} s), straight at workerd via Miniflare`);
  await run("warm-up", 0, WARMUP, 8);
  await run("idle log: one submission at a time", WARMUP, C1_ENTRIES, 1);
  await run("under load", WARMUP + C1_ENTRIES, C64_ENTRIES, 64);
  console.log(`targets (issue 3): ≥ 5,000 entries/s sustained; SCT p50 < 100 ms when idle`);
} finally {
  await worker.dispose();
}
