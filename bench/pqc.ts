// npm run bench:pqc — signature throughput inside workerd (ECDSA P-256 and Ed25519 through
// WebCrypto; ML-DSA-44/65/87 and FALCON-1024 through src/crypto, i.e. @noble/post-quantum unless
// the runtime has native ML-DSA), then certificate issuance on the ML-DSA hierarchy through the
// native API. Prints PQ issuance as a share of the raw ML-DSA-65 signing rate measured here.
//
// workerd freezes Date.now() during computation, so each measurement is one request doing N
// operations back to back, timed from Node; N is chosen so a request takes well over 100 ms.

import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { insertToken, newToken } from "../src/auth/tokens.ts";
import { mlDsaCsr } from "../test/support/pq-helpers.ts";
import { buildBenchWorker, load, report, startDirectWorker } from "./lib/direct-workerd.ts";

const ALGS: { alg: string; sign: number; verify: number }[] = [
  { alg: "ECDSA P-256", sign: 4000, verify: 2000 },
  { alg: "Ed25519", sign: 4000, verify: 2000 },
  { alg: "ML-DSA-44", sign: 200, verify: 600 },
  { alg: "ML-DSA-65", sign: 150, verify: 400 },
  { alg: "ML-DSA-87", sign: 100, verify: 300 },
  { alg: "FALCON-1024", sign: 100, verify: 600 },
];


const rates: Record<string, { sign: number; verify: number }> = {};
const scriptPath = buildBenchWorker("pqc-bench", "bench/pqc-worker.ts");
const mf = new Miniflare(
  convertV4MiniflareOptions({
    workers: [{ name: "pqc-bench", modules: true, scriptPath, compatibilityDate: "2026-11-01", unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] }],
    host: "127.0.0.1",
    port: 0,
    logRequests: false,
  } as Parameters<typeof convertV4MiniflareOptions>[0]),
);
try {
  await mf.ready;
  const base = (await mf.unsafeGetDirectURL("pqc-bench")).toString().replace(/\/$/, "");
  const call = async (q: string) => {
    const res = await fetch(`${base}/?${q}`);
    if (!res.ok) throw new Error(`${q}: ${res.status} ${await res.text()}`);
  };
  const native = (await (await fetch(`${base}/native`)).json()) as { nativeMlDsa: boolean };
  console.log(`bench:pqc — inside workerd (Miniflare); ML-DSA: ${native.nativeMlDsa ? "native WebCrypto" : "@noble/post-quantum (workerd has no native ML-DSA)"}; 1 KiB message`);
  console.log(`${"algorithm".padEnd(14)} ${"sign/s".padStart(10)} ${"verify/s".padStart(10)}`);
  for (const { alg, sign, verify } of ALGS) {
    const a = encodeURIComponent(alg);
    await call(`alg=${a}&op=setup`);
    await call(`alg=${a}&op=sign&n=${Math.ceil(sign / 10)}`); // warm-up (JIT)
    await call(`alg=${a}&op=verify&n=${Math.ceil(verify / 10)}`);
    const time = async (op: string, n: number) => {
      const t0 = performance.now();
      await call(`alg=${a}&op=${op}&n=${n}`);
      return n / ((performance.now() - t0) / 1000);
    };
    rates[alg] = { sign: await time("sign", sign), verify: await time("verify", verify) };
    console.log(`${alg.padEnd(14)} ${rates[alg].sign.toFixed(0).padStart(10)} ${rates[alg].verify.toFixed(0).padStart(10)}`);
  }
} finally {
  await mf.dispose();
}

const worker = await startDirectWorker();
try {
  const t = await newToken();
  await insertToken((await worker.mf.getD1Database("DB")) as unknown as D1Database, { id: t.id, hash: t.hash, role: "issuer", createdAt: Math.floor(Date.now() / 1000) });
  const csrs: string[] = [];
  for (let i = 0; i < 32; i++) csrs.push(JSON.stringify({ csr: (await mlDsaCsr("ML-DSA-65", [`pq${i}.example.com`])).pem, hierarchy: "pq" }));
  const send = async (i: number) => {
    const res = await fetch(`${worker.url}/api/v1/certificates`, { method: "POST", headers: { authorization: `Bearer ${t.token}`, "content-type": "application/json" }, body: csrs[i % csrs.length] });
    await res.arrayBuffer();
    return res.status === 201;
  };
  console.log(`\nPQ issuance — POST /api/v1/certificates {hierarchy: "pq"} with ML-DSA-65 CSRs: ML-DSA-65 issuing CA: CSR verified, precertificate signed and logged, SCT embedded, final certificate signed; with the consensus round (four validators' batch-signed hybrid votes) and the CT log's once-a-second post-quantum checkpoint lines`);
  await load(40, 4, send); // warm-up: CA and log bootstrap, JIT
  const c1 = await load(150, 1, send, worker.pid);
  report("concurrency 1", c1);
  const c8 = await load(400, 8, send, worker.pid);
  report("concurrency 8", c8);
  const raw = rates["ML-DSA-65"]!.sign;
  const best = Math.max(c1.perSecond, c8.perSecond);
  console.log(
    `PQ issuance ${best.toFixed(0)}/s = ${((100 * best) / raw).toFixed(0)}% of the raw ML-DSA-65 signing rate (${raw.toFixed(0)}/s); ` +
      `each issuance makes 2 ML-DSA-65 signatures (precertificate + final), so the signature-bound ceiling is ${(raw / 2).toFixed(0)}/s ` +
      `(${((100 * best) / (raw / 2)).toFixed(0)}% reached)`,
  );
} finally {
  await worker.dispose();
}
