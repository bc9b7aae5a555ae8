// The npm registry mirror on the build machines lacks workerd's macOS and Windows builds, so
// `npm install` leaves them out of package-lock.json and `npm ci` then refuses the lock file.
// This adds their entries (version, os, cpu; no integrity, so a real registry still serves and
// checks them), letting `npm ci` skip them on Linux exactly as it would with a complete lock.
// Run after changing dependencies: node scripts/lib/lock-platform-entries.ts

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./wrangler.ts";

type Entry = Record<string, unknown> & { version?: string; optionalDependencies?: Record<string, string> };
const path = join(ROOT, "package-lock.json");
const lock = JSON.parse(readFileSync(path, "utf8")) as { packages: Record<string, Entry> };
const PLATFORMS: Record<string, { os: string; cpu: string }> = {
  "@cloudflare/workerd-darwin-64": { os: "darwin", cpu: "x64" },
  "@cloudflare/workerd-darwin-arm64": { os: "darwin", cpu: "arm64" },
  "@cloudflare/workerd-windows-64": { os: "win32", cpu: "x64" },
};
let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const platform = PLATFORMS[dep];
    if (!platform) continue;
    const prefix = key === "" ? "" : `${key}/`;
    const at = `${prefix}node_modules/${dep}`;
    if (lock.packages[at] || lock.packages[`node_modules/${dep}`]?.version === version) continue;
    const target = lock.packages[`node_modules/${dep}`] ? at : `node_modules/${dep}`;
    lock.packages[target] = { version, cpu: [platform.cpu], dev: true, license: "Apache-2.0", optional: true, os: [platform.os], engines: { node: ">=16" } };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)));
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} platform entries`);
