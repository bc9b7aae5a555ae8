// CPU time of server processes from /proc (Linux), for benchmarks that report CPU per request:
// on a shared machine requests/s follow whatever else is running, while the CPU a request costs
// moves much less. Per thread too, since workerd runs every isolate of an instance (the Worker,
// its Durable Objects, the R2 and D1 simulators) on one event-loop thread. Elsewhere the figures
// are simply absent.

import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, readlinkSync } from "node:fs";

let ticksPerSecond: number | undefined;

/** The fields after the parenthesized command name (which may hold spaces) of a stat file. */
function statFields(statPath: string): string[] {
  const stat = readFileSync(statPath, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** utime+stime in ms of /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat. */
function cpuMs(statPath: string): number {
  const f = statFields(statPath);
  ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  return ((Number(f[11]) + Number(f[12])) * 1000) / ticksPerSecond;
}

/** User + system CPU seconds `pid` has used so far; null when /proc cannot tell. */
export function cpuSeconds(pid: number): number | null {
  try {
    return cpuMs(`/proc/${pid}/stat`) / 1000;
  } catch {
    return null;
  }
}

/** The child processes of this one; `comm`: only those with this command name. */
function children(comm?: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== process.pid) continue;
      if (comm !== undefined && stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) !== comm) continue;
      pids.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** The workerd processes below this Node process (Miniflare spawns one per instance). */
export function workerdPids(): number[] {
  return children("workerd");
}

/** The child process of this one (e.g. Miniflare's workerd) listening on TCP `port`; null if none is found. */
export function childListeningOn(port: number): number | null {
  try {
    const inodes = new Set<string>();
    for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
        const c = line.trim().split(/\s+/);
        // local_address is hex ip:port; state 0A is LISTEN; the inode is the 10th column.
        if (c.length > 9 && c[3] === "0A" && parseInt(c[1]!.split(":")[1]!, 16) === port) inodes.add(c[9]!);
      }
    }
    for (const pid of children()) {
      for (const fd of safeReaddir(`/proc/${pid}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(safeReadlink(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return pid;
      }
    }
  } catch {
    // not Linux, or /proc is not readable
  }
  return null;
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return "";
  }
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
