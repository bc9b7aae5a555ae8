// Runs the Worker straight on workerd through Miniflare, without wrangler dev's Node proxy (which
// caps at about 1,000 requests/s here) and without Miniflare's entry worker, so benchmarks
// measure TrustChain rather than the harness. Measured here for a hello-world Worker: about
// 4,600 requests/s through the entry worker, about 12,400 through the direct socket.

import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { ROOT, wranglerSync } from "../../scripts/lib/wrangler.ts";
import { startProfile } from "./cpu-profile.ts";
import { childListeningOn, cpuSeconds } from "./process-cpu.ts";

export interface DirectWorker {
  url: string;
  mf: Miniflare;
  /** The workerd process serving the direct socket (for CPU figures; null when /proc cannot tell). */
  pid: number | null;
  dispose(): Promise<void>;
}

type WorkerOptions = Record<string, unknown>;

/** Bundles a benchmark's own Worker (bench/<entry>.ts) with wrangler; returns the script's path. */
export function buildBenchWorker(name: string, entry: string): string {
  const dir = join(ROOT, "bench/.build", name);
  mkdirSync(dir, { recursive: true });
  const config = join(dir, "wrangler.toml");
  writeFileSync(config, `name = "${name}"\nmain = "${join(ROOT, entry)}"\ncompatibility_date = "2026-11-01"\n`);
  wranglerSync(["deploy", "--dry-run", "--outdir", dir, "--config", config], { quiet: true });
  return join(dir, basename(entry).replace(/\.ts$/, ".js"));
}

/**
 * One Worker on Miniflare's workerd, reached through a direct socket (see the top of this file).
 * `extraWorkers` join the same instance without a socket of their own.
 */
async function onDirectSocket(worker: WorkerOptions, inspectorPort?: number, extraWorkers: object[] = []): Promise<{ mf: Miniflare; url: string; pid: number | null }> {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      workers: [
        {
          ...worker,
          modules: true,
          // A socket straight into the Worker, bypassing Miniflare's entry worker (which adds its
          // own request handling and roughly triples the cost of a trivial request here).
          unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
        },
        ...extraWorkers,
      ],
      host: "127.0.0.1",
      port: 0,
      inspectorPort,
      // Miniflare logs every request through a loopback call to Node by default: a benchmark of
      // its own when measuring thousands of requests a second.
      logRequests: false,
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  await mf.ready;
  const url = new URL(await mf.unsafeGetDirectURL(worker.name as string));
  return { mf, url: url.toString().replace(/\/$/, ""), pid: childListeningOn(Number(url.port)) };
}

/**
 * The TrustChain Worker with its real bindings (Durable Objects, D1, R2, the Cache API), the
 * bundle wrangler builds for deployment. `bundle`: an already built index.js instead (A/B runs
 * of two builds side by side). With BENCH_PROFILE=<file> set, the Worker's isolate is
 * CPU-profiled until dispose() (bench/lib/cpu-profile.ts). `extraWorkers` join the same Miniflare
 * instance (Miniflare worker options, e.g. a driver bound to TrustChain's Durable Objects with
 * `scriptName: "trustchain"`).
 */
export async function startDirectWorker(opts: { inspectorPort?: number; bindings?: Record<string, string>; bundle?: string; extraWorkers?: object[] } = {}): Promise<DirectWorker> {
  const profileFile = process.env.BENCH_PROFILE;
  const inspectorPort = opts.inspectorPort ?? (profileFile ? 9229 + Math.floor(Math.random() * 500) : undefined);
  let scriptPath = opts.bundle;
  if (!scriptPath) {
    const outdir = join(ROOT, "bench/.build");
    wranglerSync(["deploy", "--dry-run", "--outdir", outdir], { quiet: true });
    scriptPath = join(outdir, "index.js");
  }
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"));
  const kek = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
  const { mf, url, pid } = await onDirectSocket(
    {
      ...(workerOptions as object),
      modulesRules: undefined,
      name: "trustchain",
      scriptPath,
      modulesRoot: dirname(scriptPath),
      bindings: { ...(workerOptions.bindings ?? {}), CA_KEK: kek, PUBLIC_URL: "http://127.0.0.1", ...opts.bindings },
    },
    inspectorPort,
    opts.extraWorkers,
  );
  const db = await mf.getD1Database("DB");
  for (const file of readdirSync(join(ROOT, "migrations")).filter((f) => f.endsWith(".sql")).sort()) {
    const sql = readFileSync(join(ROOT, "migrations", file), "utf8").replace(/--.*$/gm, "");
    for (const stmt of sql.split(";").map((s) => s.trim()).filter(Boolean)) await db.prepare(stmt).run();
  }
  const profiler = profileFile && inspectorPort ? await startProfile(inspectorPort, profileFile) : null;
  let disposed: Promise<void> | null = null;
  const dispose = () => (disposed ??= (async () => {
    await profiler?.stop();
    await mf.dispose();
  })());
  return { url, mf, pid, dispose };
}

/**
 * A Worker that answers every request with a fixed 200 response, on the same path as
 * startDirectWorker and with the same compatibility date and flags: the floor the platform sets
 * for any Worker request measured this way.
 */
export async function startHelloWorld(): Promise<DirectWorker> {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"));
  const { mf, url, pid } = await onDirectSocket({
    name: "hello-world",
    compatibilityDate: workerOptions.compatibilityDate,
    compatibilityFlags: workerOptions.compatibilityFlags,
    script: `export default { fetch() { return new Response("hello"); } };`,
  });
  let disposed: Promise<void> | null = null;
  return { url, mf, pid, dispose: () => (disposed ??= mf.dispose()) };
}

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time of the server process per request, in ms (when a pid was given and /proc tells). */
  cpuMs?: number;
}

/**
 * Sends `total` requests with `concurrency` in flight; latencies in milliseconds. `pid`: the
 * server process (DirectWorker.pid) whose CPU time per request to report, the figure that moves
 * least with the machine's other load.
 */
export async function load(total: number, concurrency: number, send: (i: number) => Promise<boolean>, pid?: number | null): Promise<LoadResult> {
  const cpuBefore = pid ? cpuSeconds(pid) : null;
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        const ok = await send(i).catch(() => false);
        latencies.push(performance.now() - t0);
        if (!ok) errors++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpuAfter = pid ? cpuSeconds(pid) : null;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  const cpuMs = cpuBefore !== null && cpuAfter !== null ? ((cpuAfter - cpuBefore) * 1000) / total : undefined;
  return { requests: total, seconds, perSecond: total / seconds, p50: pct(50), p99: pct(99), errors, cpuMs };
}

export function report(label: string, r: LoadResult): void {
  console.log(
    `${label.padEnd(28)} ${r.perSecond.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(1).padStart(6)} ms   p99 ${r.p99.toFixed(1).padStart(6)} ms   ${r.cpuMs === undefined ? "" : `${r.cpuMs.toFixed(1).padStart(5)} ms CPU/req   `}(${r.requests} requests, ${r.errors} errors)`,
  );
}
