// Helpers for end-to-end tests: a throwaway TrustChain server under `wrangler dev`, real openssl.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { ROOT, applyMigrations, startDevServer, type DevServer } from "../../scripts/lib/wrangler.ts";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix: string): string {
  const base = join(ROOT, "test/.tmp");
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, `${prefix}-`));
}

export interface LocalTrustChain {
  url: string;
  persistTo: string;
  kek: string;
  server: DevServer;
  restart(): Promise<void>;
  stop(): Promise<void>;
  token(role: string): string;
}

/** A fresh local deployment with its own state directory and key-encryption key. */
export async function startLocal(name: string, opts: { vars?: Record<string, string> } = {}): Promise<LocalTrustChain> {
  const persistTo = tempDir(name);
  const kek = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  applyMigrations({ persistTo });
  const launch = () => startDevServer({ port, persistTo, vars: { ...opts.vars, CA_KEK: kek, PUBLIC_URL: url } });
  const local: LocalTrustChain = {
    url,
    persistTo,
    kek,
    server: await launch(),
    async restart() {
      await local.server.stop();
      local.server = await launch();
    },
    stop: () => local.server.stop(),
    token(role) {
      // The same command an operator runs.
      return execFileSync(process.execPath, [join(ROOT, "scripts/token-create.ts"), "--role", role, "--persist-to", persistTo], {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      }).trim();
    },
  };
  return local;
}

/** Runs an operator script (scripts/<name>) as `npm run` does; its exit status and output instead of throwing. */
export function runScript(name: string, args: string[]): { status: number; stdout: string; out: string } {
  const r = spawnSync(process.execPath, [join(ROOT, "scripts", name), ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: r.status ?? -1, stdout: r.stdout, out: `${r.stdout}${r.stderr}` };
}

/** Runs openssl; returns stdout+stderr and the exit status instead of throwing. */
export function openssl(args: string[], opts: { cwd?: string; input?: string } = {}): { status: number; out: string } {
  const r = spawnSync("openssl", args, { cwd: opts.cwd, input: opts.input, encoding: "utf8" });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}
