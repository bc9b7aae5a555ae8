// CPU time of a server process, for benchmarks that report CPU per request: on a shared machine
// requests/s follow whatever else is running, while the server's CPU time per request moves much
// less. Linux /proc only; elsewhere the figures are simply absent.

import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, readlinkSync } from "node:fs";

let ticksPerSecond: number | undefined;

/** User + system CPU seconds `pid` has used so far; null when /proc cannot tell. */
export function cpuSeconds(pid: number): number | null {
  try {
    // Fields after the parenthesized command name (which may hold spaces): utime is the 14th
    // field of the line, stime the 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    return (Number(f[11]) + Number(f[12])) / ticksPerSecond;
  } catch {
    return null;
  }
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
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let ppid: number;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      } catch {
        continue; // the process ended meanwhile
      }
      if (ppid !== process.pid) continue;
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(safeReadlink(`/proc/${entry}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return Number(entry);
      }
    }
  } catch {
    // not Linux, or /proc is not readable
  }
  return null;
}

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return "";
  }
}
