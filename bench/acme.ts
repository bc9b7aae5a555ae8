// npm run bench:acme — certificates issued with lego (http-01) against TrustChain and, in the same
// run and with the same client settings, against Debian's pebble (Let's Encrypt's ACME test
// server, with PEBBLE_VA_NOSLEEP=1 and PEBBLE_WFE_NONCEREJECT=0 so it does not slow itself down).
// Prints mean and median seconds per certificate for both, and the ratio.
//
// Each certificate is one `lego run` for a new name (a fresh authorization, validated over
// http-01 against lego's own listener), with one account per server registered beforehand.
// TrustChain runs straight on workerd through Miniflare (bench/lib/direct-workerd.ts), its names in
// a hosted zone at 127.0.0.1 (ACME_HTTP01_CONNECT=hosted-zone, so lego matches the name in
// X-Forwarded-Host); pebble resolves names through pebble-challtestsrv's DNS, which answers
// 127.0.0.1 / ::1 for every name. BENCH_ACME_CERTS sets the count (default 50).

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { insertToken, newToken } from "../src/auth/tokens.ts";
import { freePort, openssl, tempDir } from "../test/support/e2e.ts";
import { startDirectWorker } from "./lib/direct-workerd.ts";

const N = Number(process.env.BENCH_ACME_CERTS ?? 50);
const ZONE = "bench-acme.test";
const name = (server: string, i: number) => `${server}${i}.${ZONE}`;

interface Server {
  label: string;
  directory: string;
  env: Record<string, string>;
  extraArgs: string[];
}

function lego(s: Server, dir: string, httpPort: number, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(
    "lego",
    ["--server", s.directory, "--email", "bench@example.com", "--accept-tos", "--path", dir, "--http", "--http.port", `:${httpPort}`, ...s.extraArgs, ...args],
    { encoding: "utf8", timeout: 120_000, env: { ...process.env, LEGO_DISABLE_CNAME_SUPPORT: "true", ...s.env } },
  );
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

/** Runs `lego run` for N new names; seconds per certificate. */
function issueAll(s: Server, httpPort: number): number[] {
  const dir = tempDir(`bench-acme-${s.label.toLowerCase()}`);
  // One untimed run registers the account (and warms up the server).
  const warm = lego(s, dir, httpPort, ["--domains", name(`warm-${s.label.toLowerCase()}`, 0), "run"]);
  if (!warm.ok) throw new Error(`${s.label}: lego warm-up failed:\n${warm.out}`);
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const r = lego(s, dir, httpPort, ["--domains", name(s.label.toLowerCase(), i), "run"]);
    const dt = (performance.now() - t0) / 1000;
    if (!r.ok) throw new Error(`${s.label}: certificate ${i} failed:\n${r.out}`);
    times.push(dt);
  }
  return times;
}

const stats = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, median: sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2 };
};

async function waitFor(url: string, init: RequestInit = {}): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await fetch(url, init).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

const children: ChildProcess[] = [];
const httpPort = await freePort();
const worker = await startDirectWorker({ bindings: { ACME_HTTP01_PORT: String(httpPort), ACME_HTTP01_CONNECT: "hosted-zone" } });
try {
  // TrustChain: a hosted zone whose names point at loopback.
  const t = await newToken();
  await insertToken((await worker.mf.getD1Database("DB")) as unknown as D1Database, { id: t.id, hash: t.hash, role: "admin", createdAt: Math.floor(Date.now() / 1000) });
  const headers = { authorization: `Bearer ${t.token}`, "content-type": "application/json" };
  const zone = await fetch(`${worker.url}/api/v1/zones`, { method: "POST", headers, body: JSON.stringify({ name: ZONE }) });
  if (zone.status !== 201) throw new Error(`zone: ${zone.status} ${await zone.text()}`);
  for (const n of [name("warm-trustchain", 0), ...Array.from({ length: N }, (_, i) => name("trustchain", i))]) {
    const r = await fetch(`${worker.url}/api/v1/zones/${ZONE}/rrsets/${n}/A`, { method: "PUT", headers, body: JSON.stringify({ ttl: 60, records: ["127.0.0.1"] }) });
    if (r.status !== 200) throw new Error(`A record: ${r.status} ${await r.text()}`);
  }

  // pebble: its own TLS certificate for the ACME listener, and challtestsrv as its DNS.
  const dir = tempDir("bench-pebble");
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const made = openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]);
  if (made.status !== 0) throw new Error(made.out);
  const [acmePort, mgmtPort, dnsPort, challMgmt] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const config = join(dir, "pebble-config.json");
  writeFileSync(
    config,
    JSON.stringify({
      pebble: { listenAddress: `127.0.0.1:${acmePort}`, managementListenAddress: `127.0.0.1:${mgmtPort}`, certificate: cert, privateKey: key, httpPort, tlsPort: await freePort(), ocspResponderURL: "", externalAccountBindingRequired: false },
    }),
  );
  children.push(
    spawn("pebble-challtestsrv", ["-dns01", `127.0.0.1:${dnsPort}`, "-http01", "", "-https01", "", "-tlsalpn01", "", "-management", `127.0.0.1:${challMgmt}`, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""], { stdio: "ignore" }),
    spawn("pebble", ["-config", config, "-dnsserver", `127.0.0.1:${dnsPort}`], { stdio: "ignore", env: { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0" } }),
  );
  await waitFor(`http://127.0.0.1:${challMgmt}/`);
  process.env.NODE_EXTRA_CA_CERTS = cert;
  await waitFor(`https://127.0.0.1:${acmePort}/dir`).catch(() => waitFor(`http://127.0.0.1:${acmePort}/`));

  const servers: Server[] = [
    { label: "TrustChain", directory: `${worker.url}/acme/directory`, env: {}, extraArgs: ["--http.proxy-header", "X-Forwarded-Host"] },
    { label: "pebble", directory: `https://127.0.0.1:${acmePort}/dir`, env: { LEGO_CA_CERTIFICATES: cert }, extraArgs: [] },
  ];
  console.log(`bench:acme — ${N} certificates, one \`lego run\` each (http-01, a new name each), lego ${spawnSync("dpkg-query", ["-W", "-f=${Version}", "lego"], { encoding: "utf8" }).stdout.trim() || "(version unknown)"}`);
  const results: Record<string, { mean: number; median: number }> = {};
  for (const s of servers) {
    const times = issueAll(s, httpPort);
    results[s.label] = stats(times);
    console.log(`${s.label.padEnd(12)} mean ${results[s.label]!.mean.toFixed(3)} s/cert   median ${results[s.label]!.median.toFixed(3)} s/cert   (${N} certificates)`);
  }
  const tc = results.TrustChain!;
  const pb = results.pebble!;
  console.log(`ratio pebble/TrustChain: mean ${(pb.mean / tc.mean).toFixed(2)}x   median ${(pb.median / tc.median).toFixed(2)}x   (>1: TrustChain is faster)`);
} finally {
  for (const c of children) c.kill();
  await worker.dispose();
}
