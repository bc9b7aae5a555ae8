// Running wrangler from the project's own scripts and tests: local D1 migrations, `wrangler dev`,
// and SQL against the local (or remote) D1 database. Everything goes through the project's
// Node 22, so the machine's own Node version does not matter.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");

export interface WranglerTarget {
  /** --persist-to directory for local state; undefined = wrangler's default (.wrangler/state). */
  persistTo?: string;
  /** Act on the deployed database instead of local state. */
  remote?: boolean;
}

function targetArgs(t: WranglerTarget): string[] {
  if (t.remote) return ["--remote"];
  return ["--local", ...(t.persistTo ? ["--persist-to", t.persistTo] : [])];
}

export function wranglerSync(args: string[], opts: { quiet?: boolean } = {}): string {
  const r = spawnSync(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
  });
  if (r.status !== 0) {
    throw new Error(`wrangler ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  if (!opts.quiet) process.stderr.write(r.stderr);
  return r.stdout;
}

/** Applies the D1 migrations in migrations/ that have not run yet. */
export function applyMigrations(t: WranglerTarget = {}): void {
  wranglerSync(["d1", "migrations", "apply", "DB", ...targetArgs(t)], { quiet: true });
}

/** Runs one SQL statement against D1 and returns the result rows. */
export function d1Query<T>(sql: string, t: WranglerTarget = {}): T[] {
  const out = wranglerSync(["d1", "execute", "DB", ...targetArgs(t), "--json", "--command", sql], { quiet: true });
  const parsed = JSON.parse(out) as { results: T[] }[];
  return parsed.flatMap((p) => p.results);
}

/** `wrangler d1 execute` takes no bound parameters: inline them as SQL literals. */
export function inlineParams(sql: string, params: (string | number | null)[]): string {
  let i = 0;
  return sql.replace(/\?/g, () => {
    const v = params[i++];
    if (v === null || v === undefined) return "NULL";
    if (typeof v === "number") return String(v);
    return `'${v.replace(/'/g, "''")}'`;
  });
}

/**
 * Creates .dev.vars with a fresh random CA key-encryption key on first start, so a fresh clone
 * runs without manual setup. The file is git-ignored; losing it makes the local CA unopenable.
 */
export function ensureDevVars(): { created: boolean; path: string } {
  const path = join(ROOT, ".dev.vars");
  if (existsSync(path) && /^CA_KEK=/m.test(readFileSync(path, "utf8"))) return { created: false, path };
  const kek = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
  const prior = existsSync(path) ? readFileSync(path, "utf8") : "";
  writeFileSync(path, `${prior}${prior && !prior.endsWith("\n") ? "\n" : ""}CA_KEK=${kek}\n`, { mode: 0o600 });
  return { created: true, path };
}

export interface DevServer {
  url: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `wrangler dev` and resolves once /health answers. */
export async function startDevServer(opts: {
  port: number;
  persistTo?: string;
  vars?: Record<string, string>;
  inheritOutput?: boolean;
  timeoutMs?: number;
}): Promise<DevServer> {
  const args = [WRANGLER, "dev", "--ip", "127.0.0.1", "--port", String(opts.port), "--show-interactive-dev-session=false"];
  if (opts.persistTo) args.push("--persist-to", opts.persistTo);
  for (const [k, v] of Object.entries(opts.vars ?? {})) args.push("--var", `${k}:${v}`);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    stdio: ["ignore", opts.inheritOutput ? "inherit" : "pipe", opts.inheritOutput ? "inherit" : "pipe"],
    detached: process.platform !== "win32",
  });
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${opts.port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      child.kill("SIGTERM");
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${log}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not become healthy in time:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, process: child, output: () => log, stop };
}
