// Node 24 (OpenSSL 3.5 inside, which knows ML-DSA) as an independent verifier. The project's own
// node is 22, so tests install node@24 into its own folder once and reuse it afterwards.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");
export const NODE24_DIR = join(ROOT, "test/.node24");

/** The path of a Node 24 binary, installing it with npm on first use. */
export function node24(): string {
  const bin = join(NODE24_DIR, "node_modules/.bin/node");
  if (!existsSync(bin)) {
    mkdirSync(NODE24_DIR, { recursive: true });
    // The node package fetches its platform binary in a preinstall script, which npm runs only
    // for packages the folder's package.json allows.
    writeFileSync(join(NODE24_DIR, "package.json"), JSON.stringify({ private: true, allowScripts: { node: true } }));
    execFileSync("npm", ["install", "--prefix", NODE24_DIR, "--no-audit", "--no-fund", "node@24"], { stdio: "inherit" });
  }
  const version = execFileSync(bin, ["-p", "process.versions.node + ' ' + process.versions.openssl"], { encoding: "utf8" }).trim();
  if (!version.startsWith("24.")) throw new Error(`${bin} is ${version}, not Node 24`);
  return bin;
}
