// Drives an HTTP endpoint with nghttp2's h2load (Debian nghttp2-client) and reads back its
// figures: requests/s from its summary, latency percentiles from its per-request log file, and,
// given the server's pid, the server's CPU time per request over the measured phase (sampled when
// h2load says its warm-up is over and when its main phase ends).

import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cpuSeconds } from "./process-cpu.ts";

export interface H2loadOptions {
  /** URIs sent in turn by every client (the first one's scheme, host and port are used for all). */
  uris: string[];
  /** Scratch directory for the URI list and the request log. */
  dir: string;
  label: string;
  clients: number;
  seconds: number;
  warmupSeconds: number;
  /** HTTP/1.1 (`--h1`); otherwise h2c with prior knowledge. */
  h1: boolean;
  /** The server processes whose CPU time per request is reported, summed (none: not reported). */
  serverPids?: number[];
}

export interface H2loadResult {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** Requests without a 2xx answer (other statuses, errors, timeouts). */
  failed: number;
  /** The server's CPU microseconds per completed request in the measured phase, when known. */
  cpuMicros: number | null;
  /** Every completed request's latency in milliseconds, ascending. */
  latencies: number[];
  output: string;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

export async function h2load(o: H2loadOptions): Promise<H2loadResult> {
  const slug = o.label.replace(/[^a-z0-9]+/gi, "-");
  const input = join(o.dir, `${slug}.uris`);
  const log = join(o.dir, `${slug}.log`);
  writeFileSync(input, `${o.uris.join("\n")}\n`);
  writeFileSync(log, "");
  const args = [
    ...(o.h1 ? ["--h1"] : []), "-t", "1", "-c", String(o.clients), "-m", "1",
    "-D", String(o.seconds), `--warm-up-time=${o.warmupSeconds}`, "-i", input, "--log-file", log,
  ];
  const pids = o.serverPids ?? [];
  const cpuNow = (): number | null => {
    let sum = 0;
    for (const pid of pids) {
      const s = cpuSeconds(pid);
      if (s === null) return null;
      sum += s;
    }
    return pids.length > 0 ? sum : null;
  };
  const cpu: { start: number | null; end: number | null } = { start: null, end: null };
  let out = "";
  const status = await new Promise<number | null>((resolve, reject) => {
    const child = spawn("h2load", args, { stdio: ["ignore", "pipe", "pipe"], timeout: (o.seconds + o.warmupSeconds + 60) * 1000 });
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (cpu.start === null && out.includes("Warm-up phase is over")) cpu.start = cpuNow();
      if (cpu.end === null && out.includes("Main benchmark duration is over")) cpu.end = cpuNow();
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.once("error", (e) => reject(new Error(`h2load could not run (${e.message}); on Debian: apt-get install nghttp2-client`)));
    child.once("close", (code) => resolve(code));
  });
  if (status !== 0) throw new Error(`h2load ${args.join(" ")} failed (${status}):\n${out}`);
  const perSecond = Number(/finished in [\d.]+\w*, ([\d.]+) req\/s/.exec(out)?.[1] ?? NaN);
  const req = /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  if (!req || !codes || Number.isNaN(perSecond)) throw new Error(`could not read h2load's summary:\n${out}`);
  // Log lines: start time (µs since the epoch), HTTP status, elapsed time (µs).
  const latencies = readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => Number(l.split("\t")[2]) / 1000).sort((a, b) => a - b);
  // h2load counts as failed every request without a 2xx/3xx answer (errors and timeouts included);
  // 3xx are not DNS answers either.
  const failed = Number(req[4]) + Number(codes[2]);
  const requests = Number(req[2]);
  const cpuMicros = cpu.start !== null && cpu.end !== null && requests > 0 ? ((cpu.end - cpu.start) * 1e6) / requests : null;
  return { requests, perSecond, p50: percentile(latencies, 50), p99: percentile(latencies, 99), failed, cpuMicros, latencies, output: out };
}

/** Several phases against the same server as one: queries/s over their measured time, pooled latencies. */
export function combine(phases: H2loadResult[]): H2loadResult {
  const requests = phases.reduce((n, r) => n + r.requests, 0);
  const seconds = phases.reduce((n, r) => n + r.requests / r.perSecond, 0);
  const latencies = phases.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const cpu = phases.every((r) => r.cpuMicros !== null) ? phases.reduce((n, r) => n + r.cpuMicros! * r.requests, 0) / requests : null;
  return {
    requests,
    perSecond: requests / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failed: phases.reduce((n, r) => n + r.failed, 0),
    cpuMicros: cpu,
    latencies,
    output: phases.map((r) => r.output).join("\n"),
  };
}

export function printResult(label: string, r: H2loadResult): void {
  console.log(
    `${label.padEnd(54)} ${r.perSecond.toFixed(0).padStart(7)} q/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms   ${r.cpuMicros === null ? "" : `${r.cpuMicros.toFixed(1).padStart(5)} µs CPU/query   `}(${r.requests} queries, ${r.failed} failed)`,
  );
}
