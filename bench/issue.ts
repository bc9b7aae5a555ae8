// npm run bench:issue — certificate issuance through the native API, driven straight at workerd.
// Prints issuances/s and latency p50/p99 at concurrency 1 and 32, and the latency the consensus
// step adds: one validator round (audit commitment + N validators voting in parallel + vote
// checks) timed alone through POST /consensus/validate_certificate, with the same requests the
// pipeline builds. (The CaSigner's own quorum check, 2f+1 Ed25519 verifications, is inside the
// end-to-end figures.)

import { insertToken, newToken } from "../src/auth/tokens.ts";
import { DEFAULT_PROFILE } from "../src/ca/profiles.ts";
import { type IssueSubject, newRequest } from "../src/consensus/request.ts";
import { toBase64Url } from "../src/encoding/bytes.ts";
import { x509 } from "../src/x509/peculiar.ts";
import { load, report, startDirectWorker } from "./lib/direct-workerd.ts";

const worker = await startDirectWorker();
try {
  const t = await newToken();
  await insertToken((await worker.mf.getD1Database("DB")) as unknown as D1Database, {
    id: t.id,
    hash: t.hash,
    role: "issuer",
    createdAt: Math.floor(Date.now() / 1000),
  });

  // A pool of distinct P-256 CSRs, as many subscribers would send.
  const csrs: Uint8Array[] = [];
  // What the pipeline votes on for each CSR (the issueSubject of its checked CSR).
  const subjects: IssueSubject[] = [];
  for (let i = 0; i < 64; i++) {
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: `CN=bench${i}.example.com`,
      keys,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: `bench${i}.example.com` }, { type: "dns", value: `www.bench${i}.example.com` }])],
    });
    csrs.push(new Uint8Array(csr.rawData));
    subjects.push({
      kind: "issue",
      spki: toBase64Url(new Uint8Array(csr.publicKey.rawData)),
      keyKind: "ecdsa",
      keyLabel: "ecdsa-p256",
      identifiers: [`dns:bench${i}.example.com`, `dns:www.bench${i}.example.com`],
      commonName: `bench${i}.example.com`,
      profile: DEFAULT_PROFILE,
    });
  }
  const send = async (i: number) => {
    const res = await fetch(`${worker.url}/api/v1/certificates`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.token}`, "content-type": "application/pkcs10" },
      body: csrs[i % csrs.length],
    });
    await res.arrayBuffer();
    return res.status === 201;
  };

  console.log(`bench:issue — POST /api/v1/certificates (P-256 CSRs, 2 names), driven straight at workerd via Miniflare (no wrangler dev proxy)`);
  await load(200, 8, send); // warm-up: JIT, CA bootstrap, D1 schema
  report("concurrency 1", await load(Number(process.env.BENCH_C1 ?? 500), 1, send, worker.pid));
  report("concurrency 32", await load(Number(process.env.BENCH_N ?? 4000), 32, send, worker.pid));

  const vote = async (i: number) => {
    const request = newRequest("issue", subjects[i % subjects.length]!, `token:${t.id}`, Date.now());
    const res = await fetch(`${worker.url}/consensus/validate_certificate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ request, credentials: { kind: "bearer", token: t.token } }),
    });
    await res.arrayBuffer();
    return res.status === 200;
  };
  console.log("consensus step alone (POST /consensus/validate_certificate: audit commit + 4 validators + vote checks)");
  report("consensus, concurrency 1", await load(Number(process.env.BENCH_C1 ?? 500), 1, vote, worker.pid));
  report("consensus, concurrency 32", await load(Number(process.env.BENCH_N ?? 4000), 32, vote, worker.pid));
} finally {
  await worker.dispose();
}
