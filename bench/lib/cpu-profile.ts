// BENCH_PROFILE=<file.cpuprofile>: a V8 CPU profile of the Worker's isolate for the whole
// benchmark, taken through workerd's inspector (Chrome DevTools protocol), then a bottom-up
// summary of where the time went (self time by function, and by source file). Open the file in
// Chrome DevTools (Performance → load profile) for the call tree.
//
// Profiling costs CPU of its own (sampling every 200 µs): compare figures of profiled runs
// with each other, not with unprofiled ones.

import { writeFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface Profiler {
  stop(): Promise<void>;
}

/** Starts profiling the first inspector target of a workerd started with `inspectorPort`. */
export async function startProfile(inspectorPort: number, file: string): Promise<Profiler> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as { webSocketDebuggerUrl: string; title?: string }[];
  const target = targets.find((t) => /trustchain/.test(t.title ?? "")) ?? targets[0];
  if (!target) throw new Error("the inspector lists no target");
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener("error", () => reject(new Error(`cannot open ${target.webSocketDebuggerUrl}`)));
  });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  ws.addEventListener("message", (m: MessageEvent) => {
    const msg = JSON.parse(String(m.data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  });
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 200 });
  await send("Profiler.start");
  return {
    async stop() {
      const { profile } = (await send("Profiler.stop")) as { profile: CpuProfile };
      ws.close();
      writeFileSync(file, JSON.stringify(profile));
      summarize(profile, file);
    },
  };
}

function summarize(p: CpuProfile, file: string): void {
  const total = p.samples?.length ?? p.nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0);
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const n of p.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    const f = n.callFrame;
    const src = f.url ? f.url.replace(/^.*\/(node_modules\/)?/, (m, nm: string | undefined) => (nm ? "node_modules/" : "")) : "(native)";
    const key = `${f.functionName || "(anonymous)"} ${src}:${f.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + hits);
    byFile.set(src, (byFile.get(src) ?? 0) + hits);
  }
  const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, hits]) => `  ${((100 * hits) / total).toFixed(1).padStart(5)}%  ${name}`);
  console.log(`CPU profile (${total} samples over ${((p.endTime - p.startTime) / 1e6).toFixed(1)} s) written to ${file}; self time:`);
  console.log(["by function:", ...top(byFn, 25), "by file:", ...top(byFile, 12)].join("\n"));
}
