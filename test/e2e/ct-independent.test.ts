// The CT log checked by implementations this project did not write, over HTTP against a real
// `wrangler dev`:
//   - test/e2e/ct-verify: Go, built offline against Debian's golang.org/x/mod/sumdb/{tlog,note}:
//     checkpoint signatures, the root recomputed from tiles and from the entries, inclusion of
//     random entries, consistency between two checkpoints, and the RFC 6962 proofs the log serves;
//   - openssl: each SCT's ECDSA signature over the RFC 6962 §3.2 signed struct built here;
//   - Debian's certspotter (RFC 6962 API): sees every issued name and verifies the tree.
// Certificates are issued through POST /api/v1/certificates and their chains submitted with
// add-chain, as a CA or a web server operator would.

import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFile, spawnSync } from "node:child_process";
import { type AddressInfo } from "node:net";
import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalTrustChain, startLocal } from "../support/e2e.ts";
import {
  type IssuedChain,
  LOG_NAME,
  type LogV3,
  type Sct,
  addChain,
  buildVerifier,
  issueViaApi,
  logListFor,
  opensslVerifySct,
  runVerifier,
  sctLeafIndex,
  startCertspotter,
  writeLogKeyPem,
} from "../support/ct-e2e.ts";

const haveGo = spawnSync("go", ["version"]).status === 0 && existsSync("/usr/share/gocode/src/golang.org/x/mod/sumdb/tlog");
const haveCertspotter = spawnSync("certspotter", ["-version"]).status === 0;

let tc: LocalTrustChain;
let dir: string;
let token: string;
let prefix: string;
let info: LogV3;
let verifier: string;
const run = `${Date.now().toString(36)}`;
const submitted: { chain: IssuedChain; sct: Sct }[] = [];
let certspotterSeen = 0;

async function issueAndSubmit(count: number, label: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    const chain = await issueViaApi(tc.url, token, dir, `${label}${i}-${run}.ct-e2e.example`);
    const r = await addChain(prefix, [chain.leaf, chain.intermediate]);
    expect(r.status, r.body).toBe(200);
    submitted.push({ chain, sct: r.sct! });
  }
}

/** The verifier, run without blocking this process (the proxy it talks to lives here). */
function runVerifierAsync(bin: string, url: string): Promise<{ status: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, ["-url", url, "-samples", "4"], { timeout: 60_000 }, (err, _stdout, stderr) => {
      resolve({ status: err ? ((err as { code?: number }).code ?? -1) : 0, stderr });
    });
  });
}

async function checkpointSize(): Promise<number> {
  const text = await (await fetch(`${prefix}checkpoint`)).text();
  return Number(text.split("\n")[1]);
}

beforeAll(async () => {
  if (!haveGo) throw new Error("the Go verifier needs golang-go and golang-golang-x-mod-dev (see .ci/run)");
  tc = await startLocal("e2e-ct");
  dir = tc.persistTo;
  verifier = buildVerifier(dir);
  token = tc.token("admin");
  prefix = `${tc.url}/${LOG_NAME}/`;
  info = (await (await fetch(`${prefix}log.v3.json`)).json()) as LogV3;
  expect(info.url).toBe(prefix);
});

afterAll(async () => {
  await tc?.stop();
});

describe("CT log, independently verified", () => {
  it("the Go tlog/note verifier recomputes the tree and checks inclusion", async () => {
    await issueAndSubmit(5, "first");
    const size = await checkpointSize();
    const r = runVerifier(verifier, prefix, { save: join(dir, "checkpoint.1"), samples: 24 });
    expect(r.stderr).not.toContain("MISMATCH");
    expect(r.status, r.stderr).toBe(0);
    expect(r.summary!.problems).toEqual([]);
    expect(r.summary!.tree_size).toBeGreaterThanOrEqual(size);
    expect(r.summary!.entries_checked).toBe(r.summary!.tree_size);
    expect(r.summary!.inclusion_proofs_checked).toBe(24);
    // Every SCT names an index inside the verified tree.
    for (const s of submitted) expect(sctLeafIndex(s.sct)).toBeLessThan(r.summary!.tree_size);
  });

  it("Debian's certspotter (RFC 6962 API) sees every issued name and verifies the tree", async () => {
    await watchWithCertspotter(join(dir, "checkpoint.1"));
  });

  it("after more submissions (past a full 256-entry tile), the new tree is consistent with the old checkpoint", async () => {
    await issueAndSubmit(4, "second");
    // Resubmitting a chain is deduplicated: the same leaf index (RFC 6962 lets a log return the
    // earlier SCT; ours is equivalent).
    const again = await addChain(prefix, [submitted[0]!.chain.leaf, submitted[0]!.chain.intermediate]);
    expect(again.status).toBe(200);
    expect(sctLeafIndex(again.sct!)).toBe(sctLeafIndex(submitted[0]!.sct));
    expect(again.sct!.timestamp).toBe(submitted[0]!.sct.timestamp);

    // Grow the tree past the first full 256-entry tile (each issuance also logs its precertificate).
    const names = Array.from({ length: 140 }, (_, i) => `bulk${i}-${run}.ct-e2e.example`);
    const chains: IssuedChain[] = [];
    for (let i = 0; i < names.length; i += 14) {
      chains.push(...(await Promise.all(names.slice(i, i + 14).map((n) => issueViaApi(tc.url, token, dir, n)))));
    }
    const results = await Promise.all(chains.map((c) => addChain(prefix, [c.leaf, c.intermediate])));
    results.forEach((r, i) => {
      expect(r.status, r.body).toBe(200);
      submitted.push({ chain: chains[i]!, sct: r.sct! });
    });

    const r = runVerifier(verifier, prefix, { old: join(dir, "checkpoint.1"), save: join(dir, "checkpoint.2"), samples: 32 });
    expect(r.stderr).not.toContain("MISMATCH");
    expect(r.status, r.stderr).toBe(0);
    expect(r.summary!.tree_size).toBeGreaterThan(256);
    expect(r.summary!.consistency_checked).toBe(true);
    expect(r.summary!.consistency_from).toBeLessThan(r.summary!.tree_size);
  });

  it("the verifier is not a rubber stamp: a data tile altered in transit is reported", async () => {
    // A loopback proxy in front of the log that flips one byte inside the first entry of data tile 0.
    const proxy = createServer(async (req, res) => {
      const upstream = await fetch(`${tc.url}${req.url}`);
      let body = Buffer.from(await upstream.arrayBuffer());
      if (req.url!.startsWith(`/${LOG_NAME}/tile/data/000`)) {
        body = Buffer.from(body);
        body[20] ^= 0x01;
      }
      res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/octet-stream" });
      res.end(body);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
    try {
      const port = (proxy.address() as AddressInfo).port;
      const r = await runVerifierAsync(verifier, `http://127.0.0.1:${port}/${LOG_NAME}/`);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/MISMATCH: entry 0: leaf hash from the data tile/);
    } finally {
      proxy.close();
    }
  });

  it("every SCT verifies with openssl against the log key from log.v3.json", () => {
    const keyPem = writeLogKeyPem(info, dir);
    const logId = Buffer.from(info.log_id, "base64");
    for (const [i, s] of submitted.entries()) {
      expect(s.sct.sct_version).toBe(0);
      expect(Buffer.from(s.sct.id, "base64").equals(logId)).toBe(true);
      const v = opensslVerifySct(s.sct, s.chain.leaf, keyPem, dir, `sct${i}`);
      expect(v.out.trim(), s.chain.name).toBe("Verified OK");
      expect(v.status).toBe(0);
    }
    // And a tampered input does not verify (the check can fail).
    const bad = { ...submitted[0]!.sct, timestamp: submitted[0]!.sct.timestamp + 1 };
    const v = opensslVerifySct(bad, submitted[0]!.chain.leaf, keyPem, dir, "tampered");
    expect(v.status).not.toBe(0);
    expect(v.out).toContain("Verification failure");
  });

  it("Debian's certspotter (RFC 6962 API) resumes from its saved state, sees the new names and verifies the grown tree", async () => {
    await watchWithCertspotter(join(dir, "checkpoint.2"));
  });
});

/**
 * Runs certspotter until it has verified the log up to the current checkpoint, then checks what it
 * reported. The state directory is kept between runs, so a second run continues from the first
 * run's verified tree: a log that rewrote history would fail its root check.
 */
async function watchWithCertspotter(savedCheckpoint: string): Promise<void> {
  expect(haveCertspotter, "certspotter is not installed (see .ci/run)").toBe(true);
  // The watch list is read at start and a resumed run only reads new entries: expect the names
  // submitted since the previous run.
  const fresh = submitted.slice(certspotterSeen);
  certspotterSeen = submitted.length;
  const size = await checkpointSize();
  const listPath = join(dir, "loglist.json");
  writeFileSync(listPath, JSON.stringify(logListFor(info, prefix)));
  const cs = startCertspotter(dir, listPath, fresh.map((s) => s.chain.name));
  const logsDir = join(dir, "certspotter-state", "logs");
  type State = { verified_position: { size: number }; verified_sth: { tree_size: number; sha256_root_hash: string } | null };
  let state: State | null = null;
  const deadline = Date.now() + 90_000;
  try {
    while (Date.now() < deadline && cs.process.exitCode === null) {
      const found = existsSync(logsDir) ? readdirSync(logsDir, { recursive: true }).map(String).find((f) => f.endsWith("state.json")) : undefined;
      if (found) {
        try {
          state = JSON.parse(readFileSync(join(logsDir, found), "utf8")) as State;
        } catch {
          state = null; // being rewritten
        }
        if (state?.verified_sth && state.verified_sth.tree_size >= size && state.verified_position.size >= size) break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await cs.stop();
  }
  const out = cs.output();
  expect(state, out).not.toBeNull();
  expect(state!.verified_sth, out).not.toBeNull();
  expect(state!.verified_sth!.tree_size, out).toBeGreaterThanOrEqual(size);
  expect(state!.verified_position.size).toBe(state!.verified_sth!.tree_size);
  // certspotter checked the STH signature and recomputed the root from get-entries; at the size
  // the Go verifier saw, it must have the same root.
  const cp = readFileSync(savedCheckpoint, "utf8").split("\n");
  if (state!.verified_sth!.tree_size === Number(cp[1])) expect(state!.verified_sth!.sha256_root_hash).toBe(cp[2]);
  // Stopping it logs "stopped with error context canceled"; anything else alarming fails.
  const alarming = out.split("\n").filter((l) => /does not match|mismatch|inconsisten|invalid|malformed|error/i.test(l) && !/context canceled/.test(l));
  expect(alarming).toEqual([]);
  expect(readdirSync(logsDir, { recursive: true }).map(String).filter((f) => f.includes("malformed_entries/"))).toEqual([]);
  // Every watched name was reported, each submitted chain at its SCT's leaf index.
  expect(fresh.length).toBeGreaterThan(0);
  for (const s of fresh) {
    expect(out, s.chain.name).toContain(`DNS Name = ${s.chain.name}`);
    expect(out, s.chain.name).toContain(`Log Entry = ${sctLeafIndex(s.sct)} @ ${prefix}`);
  }
}
