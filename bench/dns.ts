// npm run bench:dns — DoH queries/s and latency, TrustChain beside an established DoH stack.
//
// TrustChain: the Worker on workerd through Miniflare (bench/lib/direct-workerd.ts, no wrangler
// dev proxy), loaded by h2load over HTTP/1.1 (--h1; workerd serves HTTP/1.1 only). Floor: a
// hello-world Worker on the same path, loaded the same way: what any Worker request costs here.
// Reference: Debian's knot serving the same zone (signed by knot) behind dnsdist's DoH frontend,
// loaded by the same h2load over the same protocol with the same query mix. Loopback only,
// bounded phases. Each line gives the server's CPU time per query (workerd; dnsdist + knotd),
// the steadier figure on a shared machine, beside queries/s.
//
// TrustChain and the floor run in alternating phases (BENCH_DNS_ROUNDS of each, splitting
// BENCH_DNS_SECONDS), so both see the same share of whatever else the machine is doing.
//
// Environment: BENCH_DNS_SECONDS (default 10), BENCH_DNS_CLIENTS (default 32), BENCH_DNS_ROUNDS
// (default 2), BENCH_DNS_REFERENCE=off to skip the reference stack (A/B runs of our own side).

import { loadavg } from "node:os";
import * as dnsPacket from "dns-packet";
import { insertToken, newToken } from "../src/auth/tokens.ts";
import { E2E_APEX, E2E_ZONE } from "../test/support/dns-zone.ts";
import { freePort, tempDir } from "../test/support/e2e.ts";
import { startKnotBehindDnsdist, type ReferenceStack } from "./lib/dns-reference.ts";
import { type DirectWorker, startDirectWorker, startHelloWorld } from "./lib/direct-workerd.ts";
import { QTYPE, dnsParam, encodeQuery } from "./lib/dns-query.ts";
import { type H2loadResult, combine, h2load, printResult } from "./lib/h2load.ts";

const SECONDS = Number(process.env.BENCH_DNS_SECONDS ?? 10);
const CLIENTS = Number(process.env.BENCH_DNS_CLIENTS ?? 32);
const ROUNDS = Math.max(1, Number(process.env.BENCH_DNS_ROUNDS ?? 2));
const WARMUP = 2;

const z = (label: string): string => (label ? `${label}.${E2E_APEX}` : E2E_APEX);
// The mix: positive answers (incl. CNAME and wildcard), NXDOMAIN, NODATA, and DO-bit (signed) queries.
const MIX: { name: string; type: keyof typeof QTYPE; do?: boolean; kind: "hit" | "nxdomain" | "nodata" }[] = [
  { name: z("www"), type: "A", kind: "hit" },
  { name: z("www"), type: "AAAA", kind: "hit" },
  { name: z("alias"), type: "A", kind: "hit" },
  { name: z("x.apps"), type: "AAAA", kind: "hit" },
  { name: z("_doh._tcp"), type: "SRV", kind: "hit" },
  { name: z(""), type: "CAA", kind: "hit" },
  { name: z(""), type: "HTTPS", kind: "hit" },
  { name: z("txt"), type: "TXT", kind: "hit" },
  { name: z("nope"), type: "A", kind: "nxdomain" },
  { name: z("gone"), type: "AAAA", kind: "nxdomain" },
  { name: z("www"), type: "MX", kind: "nodata" },
  { name: z("www"), type: "A", do: true, kind: "hit" },
  { name: z("x.apps"), type: "AAAA", do: true, kind: "hit" },
  { name: z(""), type: "HTTPS", do: true, kind: "hit" },
  { name: z("nope"), type: "A", do: true, kind: "nxdomain" },
  { name: z("www"), type: "MX", do: true, kind: "nodata" },
];

// RFC 8484 §4.1: ID 0 for cache-friendly GETs.
const paths = MIX.map((m) => `/dns-query?dns=${dnsParam(encodeQuery(m.name, QTYPE[m.type], { id: 0, do: m.do }))}`);

/** Every query of the mix answers 200 with a DNS response of the expected kind, before loading. */
async function check(base: string, who: string): Promise<void> {
  for (const [i, m] of MIX.entries()) {
    const res = await fetch(`${base}${paths[i]}`, { headers: { accept: "application/dns-message" } });
    if (res.status !== 200) throw new Error(`${who}: ${m.name} ${m.type} answered HTTP ${res.status}`);
    const p = dnsPacket.decode(Buffer.from(await res.arrayBuffer())) as dnsPacket.Packet & { rcode?: string };
    const answers = (p.answers ?? []).filter((a) => a.type !== "RRSIG").length;
    // With DO, RFC 9824 compact denial says NOERROR for a missing name (NXNAME in its NSEC).
    const ok =
      m.kind === "hit" ? p.rcode === "NOERROR" && answers > 0
      : m.kind === "nodata" ? p.rcode === "NOERROR" && answers === 0
      : (p.rcode === "NXDOMAIN" || (m.do && p.rcode === "NOERROR")) && answers === 0;
    if (!ok) throw new Error(`${who}: ${m.name} ${m.type}${m.do ? " +do" : ""} gave ${p.rcode} with ${answers} answers, expected ${m.kind}`);
    if (m.do && !(p.answers ?? []).concat(p.authorities ?? []).some((a) => a.type === "RRSIG")) throw new Error(`${who}: ${m.name} ${m.type} +do is not signed`);
  }
}

const dir = tempDir("bench-dns");
console.log(`bench:dns — GET /dns-query?dns= (RFC 8484), h2load --h1 (HTTP/1.1 keep-alive), ${CLIENTS} connections, 1 h2load thread, ${SECONDS} s measured per server (TrustChain and the floor: ${ROUNDS} alternating phases each), ${WARMUP} s warm-up per phase`);
console.log(`query mix (${MIX.length} URIs in turn): ${MIX.filter((m) => m.kind === "hit" && !m.do).length} positive, ${MIX.filter((m) => m.kind === "nxdomain" && !m.do).length} NXDOMAIN, ${MIX.filter((m) => m.kind === "nodata" && !m.do).length} NODATA, ${MIX.filter((m) => m.do).length} DO-bit signed (hits and denials); zone ${E2E_APEX}`);

const load = (): string => `load ${loadavg()[0]!.toFixed(1)}`;
const run = (label: string, uris: string[], serverPids: number[], seconds = SECONDS): Promise<H2loadResult> =>
  h2load({ uris, dir, label, clients: CLIENTS, seconds, warmupSeconds: WARMUP, h1: true, serverPids });
const ratio = (a: number | null, b: number | null): string => (a !== null && b !== null ? `${(a / b).toFixed(2)}×` : "?");

const worker = await startDirectWorker();
let hello: DirectWorker | null = null;
let reference: ReferenceStack | null = null;
try {
  const t = await newToken();
  await insertToken((await worker.mf.getD1Database("DB")) as unknown as D1Database, { id: t.id, hash: t.hash, role: "admin", createdAt: Math.floor(Date.now() / 1000) });
  const created = await fetch(`${worker.url}/api/v1/zones`, {
    method: "POST",
    headers: { authorization: `Bearer ${t.token}`, "content-type": "application/json" },
    body: JSON.stringify({ name: E2E_APEX, zonefile: E2E_ZONE }),
  });
  if (created.status !== 201) throw new Error(`creating the zone: ${created.status} ${await created.text()}`);
  await check(worker.url, "TrustChain");
  hello = await startHelloWorld();
  const phaseSeconds = Math.max(1, Math.round(SECONDS / ROUNDS));
  const loads = [loadavg()[0]!];
  const oursPhases: H2loadResult[] = [];
  const floorPhases: H2loadResult[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    oursPhases.push(await run("trustchain", paths.map((p) => `${worker.url}${p}`), worker.pid ? [worker.pid] : [], phaseSeconds));
    floorPhases.push(await run("hello-world", [`${hello.url}/`], hello.pid ? [hello.pid] : [], phaseSeconds));
    loads.push(loadavg()[0]!);
  }
  const ours = combine(oursPhases);
  const floor = combine(floorPhases);
  const loadRange = `load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`;
  printResult(`TrustChain Worker, straight to workerd (${loadRange})`, ours);
  printResult(`hello-world Worker, same path: the floor`, floor);
  console.log(`TrustChain / floor: ${ratio(ours.perSecond, floor.perSecond)} the queries/s, ${ratio(ours.cpuMicros, floor.cpuMicros)} the CPU per query`);
  await hello.dispose();
  await worker.dispose();

  if (process.env.BENCH_DNS_REFERENCE !== "off") try {
    reference = await startKnotBehindDnsdist({
      dir: `${dir}/reference`,
      apex: E2E_APEX,
      zoneText: E2E_ZONE,
      ports: { knot: await freePort(), dns: await freePort(), doh: await freePort() },
    });
  } catch (e) {
    console.log(`reference stack skipped: ${(e as Error).message.split("\n")[0]}`);
  }
  if (reference) {
    const base = reference.dohUrl.replace(/\/dns-query$/, "");
    await check(base, "dnsdist+knot");
    const theirs = await run("dnsdist-knot", paths.map((p) => `${base}${p}`), reference.pids);
    printResult(`dnsdist 1.7 DoH (plain HTTP) → knot 3.2, packet cache (${load()})`, theirs);
    console.log(`TrustChain / reference: ${ratio(ours.perSecond, theirs.perSecond)} the queries/s, ${ratio(ours.cpuMicros, theirs.cpuMicros)} the CPU per query`);
  }
} finally {
  await hello?.dispose().catch(() => undefined);
  await worker.dispose().catch(() => undefined);
  await reference?.stop();
}
