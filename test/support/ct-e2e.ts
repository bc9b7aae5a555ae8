// Helpers for CT end-to-end tests in Node: certificates issued through the native API to
// openssl-made CSRs, chains submitted to the log over HTTP, and independent checks that use
// nothing of the project's own CT code: the Go verifier in test/e2e/ct-verify (built offline
// against Debian's golang.org/x/mod), openssl for SCT signatures, Debian's certspotter.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../scripts/lib/wrangler.ts";
import { openssl } from "./e2e.ts";

export const LOG_NAME = "trustchain-2026";

export interface LogV3 {
  log_id: string;
  key: string;
  mmd: number;
  url: string;
  submission_url: string;
  monitoring_url: string;
  checkpoint_origin: string;
  note_verifier_key: string;
}

export interface Sct {
  sct_version: number;
  id: string;
  timestamp: number;
  extensions: string;
  signature: string;
}

export interface IssuedChain {
  name: string;
  /** DER leaf, then DER intermediate. */
  leaf: Buffer;
  intermediate: Buffer;
  leafPem: string;
}

export function pemToDer(pem: string): Buffer[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ""), "base64"));
}

/** Issues a P-256 certificate for `name` through POST /api/v1/certificates, with an openssl-made key and CSR. */
export async function issueViaApi(url: string, token: string, dir: string, name: string): Promise<IssuedChain> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  let r = openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]);
  if (r.status !== 0) throw new Error(r.out);
  r = openssl(["req", "-new", "-key", key, "-subj", `/CN=${name}`, "-addext", `subjectAltName=DNS:${name}`, "-out", csr]);
  if (r.status !== 0) throw new Error(r.out);
  const res = await fetch(`${url}/api/v1/certificates`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/pkcs10" },
    body: readFileSync(csr),
  });
  const body = (await res.json()) as { certificate: string; chain: string };
  if (res.status !== 201) throw new Error(`issuance of ${name} failed (${res.status}): ${JSON.stringify(body)}`);
  const [leaf, intermediate] = pemToDer(body.chain);
  if (!leaf || !intermediate) throw new Error(`issuance of ${name} returned no chain`);
  return { name, leaf, intermediate, leafPem: body.certificate };
}

/** RFC 6962 §4.1 add-chain over HTTP at the log's submission prefix. */
export async function addChain(prefix: string, chain: Buffer[]): Promise<{ status: number; sct: Sct | null; body: string }> {
  const res = await fetch(`${prefix}ct/v1/add-chain`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ chain: chain.map((c) => c.toString("base64")) }),
  });
  const body = await res.text();
  return { status: res.status, sct: res.status === 200 ? (JSON.parse(body) as Sct) : null, body };
}

/** The static-ct-api leaf_index extension (type 0, uint40) from an SCT's extensions, or null. */
export function sctLeafIndex(sct: Sct): number | null {
  const ext = Buffer.from(sct.extensions, "base64");
  for (let i = 0; i + 3 <= ext.length; ) {
    const type = ext[i]!;
    const len = ext.readUInt16BE(i + 1);
    const data = ext.subarray(i + 3, i + 3 + len);
    if (type === 0 && data.length === 5) return data.readUIntBE(0, 5);
    i += 3 + len;
  }
  return null;
}

/**
 * RFC 6962 §3.2, written out here byte by byte (not with src/ct): the digitally-signed struct of
 * an SCT for an x509_entry: sct_version v1(0), signature_type certificate_timestamp(0), uint64
 * timestamp, entry_type x509_entry(0), ASN.1Cert opaque<1..2^24-1>, CtExtensions opaque<0..2^16-1>.
 */
export function sctSignedData(sct: Sct, leafDer: Buffer): Buffer {
  const ext = Buffer.from(sct.extensions, "base64");
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(sct.timestamp));
  const certLen = Buffer.alloc(3);
  certLen.writeUIntBE(leafDer.length, 0, 3);
  const extLen = Buffer.alloc(2);
  extLen.writeUInt16BE(ext.length);
  return Buffer.concat([Buffer.from([0, 0]), ts, Buffer.from([0, 0]), certLen, leafDer, extLen, ext]);
}

/** Splits a TLS DigitallySigned (RFC 5246 §4.7) into its algorithms and the DER signature. */
export function splitDigitallySigned(b64: string): { hash: number; sig: number; signature: Buffer } {
  const ds = Buffer.from(b64, "base64");
  const len = ds.readUInt16BE(2);
  if (ds.length !== 4 + len) throw new Error("DigitallySigned length does not match");
  return { hash: ds[0]!, sig: ds[1]!, signature: ds.subarray(4) };
}

/** Writes log.v3.json's key (DER SPKI) as a PEM public key, converted by openssl. */
export function writeLogKeyPem(info: LogV3, dir: string): string {
  const der = join(dir, "logkey.der");
  const pem = join(dir, "logkey.pem");
  writeFileSync(der, Buffer.from(info.key, "base64"));
  const r = openssl(["pkey", "-pubin", "-inform", "DER", "-in", der, "-out", pem]);
  if (r.status !== 0) throw new Error(r.out);
  return pem;
}

/** `openssl dgst -sha256 -verify` of an SCT over a leaf: status 0 and "Verified OK" when it holds. */
export function opensslVerifySct(sct: Sct, leafDer: Buffer, keyPem: string, dir: string, tag: string): { status: number; out: string } {
  const ds = splitDigitallySigned(sct.signature);
  if (ds.hash !== 4 || ds.sig !== 3) return { status: -1, out: `unexpected SCT algorithms hash=${ds.hash} sig=${ds.sig}` };
  const data = join(dir, `${tag}.sct-input`);
  const sig = join(dir, `${tag}.sct.sig`);
  writeFileSync(data, sctSignedData(sct, leafDer));
  writeFileSync(sig, ds.signature);
  return openssl(["dgst", "-sha256", "-verify", keyPem, "-signature", sig, data]);
}

// ---- the Go verifier ----

/** Builds test/e2e/ct-verify offline, in GOPATH mode against Debian's golang.org/x/mod. */
export function buildVerifier(dir: string): string {
  const out = join(dir, "ct-verify");
  const r = spawnSync("go", ["build", "-o", out, "."], {
    cwd: join(ROOT, "test/e2e/ct-verify"),
    encoding: "utf8",
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      GOPATH: "/usr/share/gocode",
      GO111MODULE: "off",
      GOFLAGS: "",
      GOPROXY: "off",
      GOTOOLCHAIN: "local",
      GOCACHE: join(dir, "gocache"),
      CGO_ENABLED: "0",
    },
  });
  if (r.status !== 0) throw new Error(`go build failed (${r.status}):\n${r.stdout}${r.stderr}${r.error ?? ""}`);
  return out;
}

export interface VerifierSummary {
  tree_size: number;
  root_hash: string;
  timestamp: number;
  entries_checked: number;
  precert_entries: number;
  inclusion_proofs_checked: number;
  consistency_from?: number;
  consistency_checked: boolean;
  http_fetches: number;
  problems: string[];
}

export function runVerifier(bin: string, prefix: string, opts: { old?: string; save?: string; samples?: number } = {}): { status: number; summary: VerifierSummary | null; stderr: string } {
  const args = ["-url", prefix, "-samples", String(opts.samples ?? 16)];
  if (opts.old) args.push("-old", opts.old);
  if (opts.save) args.push("-save", opts.save);
  const r = spawnSync(bin, args, { encoding: "utf8", timeout: 120_000 });
  let summary: VerifierSummary | null = null;
  try {
    summary = JSON.parse(r.stdout) as VerifierSummary;
  } catch {
    // reported through status and stderr
  }
  return { status: r.status ?? -1, summary, stderr: `${r.stderr}${r.error ?? ""}` };
}

// ---- certspotter ----

/** A Chrome v3 log list (the schema certspotter's -logs reads) naming only this log. */
export function logListFor(info: LogV3, url: string): object {
  return {
    version: "1.0",
    log_list_timestamp: new Date().toISOString(),
    operators: [
      {
        name: "TrustChain (local)",
        email: ["ct@trustchain.test"],
        logs: [
          {
            description: `TrustChain local log at ${url}`,
            log_id: info.log_id,
            key: info.key,
            url,
            mmd: info.mmd,
            state: { usable: { timestamp: "2026-01-01T00:00:00Z" } },
          },
        ],
      },
    ],
  };
}

export interface CertspotterRun {
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Runs Debian's certspotter (a daemon since 0.15) against one log list and watch list. */
export function startCertspotter(dir: string, logListPath: string, watchlist: string[]): CertspotterRun {
  const config = join(dir, "certspotter-config");
  const state = join(dir, "certspotter-state");
  mkdirSync(config, { recursive: true });
  mkdirSync(state, { recursive: true });
  const wl = join(config, "watchlist");
  writeFileSync(wl, `${watchlist.join("\n")}\n`);
  const child = spawn("certspotter", ["-logs", logListPath, "-watchlist", wl, "-state_dir", state, "-stdout", "-verbose", "-no_save"], {
    env: { PATH: process.env.PATH, HOME: dir, CERTSPOTTER_CONFIG_DIR: config, CERTSPOTTER_STATE_DIR: state },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr.on("data", (d: Buffer) => (log += d.toString()));
  return {
    process: child,
    output: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
