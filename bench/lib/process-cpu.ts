// CPU time of the workerd process Miniflare started, read from /proc (Linux): the robust figure
// on a shared machine, where wall-clock throughput moves with other people's load but the CPU a
// request costs does not. Per thread too, since workerd runs every isolate of an instance (the
// Worker, its Durable Objects, the R2 and D1 simulators) on one event-loop thread.

import { readFileSync, readdirSync } from "node:fs";

const CLK_TCK = 100; // getconf CLK_TCK on Linux

/** utime+stime in ms of /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat. */
function cpuMs(statPath: string): number {
  // The command name (field 2) is in parentheses and may hold spaces: split after it.
  const stat = readFileSync(statPath, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/** The workerd processes below this Node process (Miniflare spawns one per instance). */
export function workerdPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (comm === "workerd" && ppid === process.pid) pids.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

export interface CpuSample {
  readonly total: number;
  /** Per thread id. */
  readonly threads: Map<number, number>;
}

export function sampleCpu(pid: number): CpuSample {
  const threads = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      threads.set(Number(tid), cpuMs(`/proc/${pid}/task/${tid}/stat`));
    } catch {
      // thread ended
    }
  }
  return { total: cpuMs(`/proc/${pid}/stat`), threads };
}

/** CPU ms spent between two samples: the whole process and its busiest thread. */
export function cpuBetween(a: CpuSample, b: CpuSample): { total: number; busiestThread: number } {
  let busiestThread = 0;
  for (const [tid, ms] of b.threads) busiestThread = Math.max(busiestThread, ms - (a.threads.get(tid) ?? 0));
  return { total: b.total - a.total, busiestThread };
}
