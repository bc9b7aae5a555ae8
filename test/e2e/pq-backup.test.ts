// ML-KEM sealed CA key backups, end to end with the operator scripts: backup from one deployment
// (whose classical issuing CA was rotated once, so it has a retired one), wipe it, restore into a
// fresh one, and check that the retired issuing CA came along and that certificates issued before
// and after chain to the same roots (openssl for the classical chain, Node 24's node:crypto for
// the ML-DSA chain).

import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalTrustChain, openssl, runScript, startLocal, tempDir } from "../support/e2e.ts";
import { node24 } from "../support/node24.ts";
import { mlDsaCsr } from "../support/pq-helpers.ts";

const ROOT = join(import.meta.dirname, "../..");
let a: LocalTrustChain | undefined;
let b: LocalTrustChain | undefined;
let dir: string;

interface CaJson { root: { id: string; pem: string }; intermediates: { id: string; pem: string; status: string }[]; pq: { root: { id: string; pem: string }; intermediates: { id: string; pem: string }[]; cross_certificates: { id: string; pem: string }[] } }

async function ca(tc: LocalTrustChain): Promise<CaJson> {
  return (await (await fetch(`${tc.url}/api/v1/ca`)).json()) as CaJson;
}

async function issue(tc: LocalTrustChain, token: string, hierarchy: "classical" | "pq", file: string): Promise<string> {
  let csr: string;
  if (hierarchy === "pq") {
    csr = (await mlDsaCsr("ML-DSA-65", [`${file}.example.com`])).pem;
  } else {
    const key = join(dir, `${file}.key`);
    expect(openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]).status).toBe(0);
    const r = openssl(["req", "-new", "-key", key, "-subj", `/CN=${file}.example.com`, "-addext", `subjectAltName=DNS:${file}.example.com`]);
    expect(r.status, r.out).toBe(0);
    csr = r.out.slice(r.out.indexOf("-----BEGIN"));
  }
  const res = await fetch(`${tc.url}/api/v1/certificates`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ csr, hierarchy }),
  });
  const json = (await res.json()) as { certificate: string };
  expect(res.status, JSON.stringify(json)).toBe(201);
  const path = join(dir, `${file}.pem`);
  writeFileSync(path, json.certificate);
  return path;
}

let before: CaJson;
const leaves: Record<string, string> = {};

beforeAll(async () => {
  dir = tempDir("e2e-backup-files");
  a = await startLocal("e2e-backup-a");
  const tokenA = a.token("admin");
  leaves.classicalBefore = await issue(a, tokenA, "classical", "before-ec");
  leaves.pqBefore = await issue(a, tokenA, "pq", "before-pq");
  // The issuing CA that signed classicalBefore is retired: the backup must carry it.
  const rotated = await fetch(`${a.url}/api/v1/admin/ca-rotate`, { method: "POST", headers: { authorization: `Bearer ${tokenA}`, "content-type": "application/json" }, body: "{}" });
  expect(rotated.status, await rotated.clone().text()).toBe(200);
  before = await ca(a);
  leaves.classicalRotated = await issue(a, tokenA, "classical", "rotated-ec");

  expect(runScript("ca-backup-keygen.ts", ["--out", join(dir, "operator")]).status).toBe(0);
  expect(runScript("ca-backup-keygen.ts", ["--out", join(dir, "someone-else")]).status).toBe(0);
  const backup = runScript("ca-backup.ts", ["--recipient", join(dir, "operator.pub"), "--out", join(dir, "ca.backup"), "--url", a.url, "--token", tokenA]);
  expect(backup.status, backup.out).toBe(0);

  // Wipe: the first deployment and all its local state are gone.
  await a.stop();
  rmSync(a.persistTo, { recursive: true, force: true });
  a = undefined;
  b = await startLocal("e2e-backup-b");
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
});

describe("CA key backup and restore", () => {
  it("the backup file is an X-Wing envelope, with no key in the clear", () => {
    const text = readFileSync(join(dir, "ca.backup"), "utf8");
    const env = JSON.parse(text) as Record<string, string>;
    expect(env.format).toBe("trustchain-sealed/v1");
    expect(env.kem).toContain("X-Wing");
    expect(env.purpose).toBe("ca-keys");
    expect(text).not.toContain("pkcs8");
    expect(text).not.toContain(before.root.pem.split("\n")[1]!);
  });

  it("a backup opened with the wrong identity fails cleanly and changes nothing", async () => {
    const fresh = await ca(b!);
    const r = runScript("ca-restore.ts", ["--identity", join(dir, "someone-else.key"), "--in", join(dir, "ca.backup"), "--url", b!.url, "--persist-to", b!.persistTo]);
    expect(r.status).toBe(1);
    expect(r.out).toContain("cannot open");
    expect(r.out).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
    expect((await ca(b!)).root.id).toBe(fresh.root.id);
    expect(fresh.root.id).not.toBe(before.root.id);
  });

  it("restores into a fresh deployment: certificates issued before and after verify to the same roots", async () => {
    const r = runScript("ca-restore.ts", ["--identity", join(dir, "operator.key"), "--in", join(dir, "ca.backup"), "--url", b!.url, "--persist-to", b!.persistTo]);
    expect(r.status, r.out).toBe(0);
    const after = await ca(b!);
    expect(after.root).toEqual(before.root);
    expect(after.intermediates.map((i) => i.status)).toEqual(["current", "retired"]);
    expect(after.intermediates).toEqual(before.intermediates);
    expect((await fetch(`${b!.url}/ca/${before.intermediates[1]!.id}.der`)).status).toBe(200);
    expect(after.pq.root).toEqual(before.pq.root);
    expect(after.pq.intermediates).toEqual(before.pq.intermediates);
    // The cross-certificate is not in the backup: the restored CA makes its own, for the same two CAs.
    expect(after.pq.cross_certificates.map((c) => c.id)).toEqual(before.pq.cross_certificates.map((c) => c.id));

    const tokenB = b!.token("admin");
    leaves.classicalAfter = await issue(b!, tokenB, "classical", "after-ec");
    leaves.pqAfter = await issue(b!, tokenB, "pq", "after-pq");

    writeFileSync(join(dir, "root.pem"), before.root.pem);
    writeFileSync(join(dir, "intermediate.pem"), before.intermediates.map((i) => i.pem).join(""));
    for (const leaf of [leaves.classicalBefore!, leaves.classicalRotated!, leaves.classicalAfter!]) {
      const v = openssl(["verify", "-CAfile", join(dir, "root.pem"), "-untrusted", join(dir, "intermediate.pem"), leaf]);
      expect(v.out, v.out).toContain(": OK");
    }
    writeFileSync(join(dir, "pq-root.pem"), before.pq.root.pem);
    writeFileSync(join(dir, "pq-issuing.pem"), before.pq.intermediates[0]!.pem);
    const out = spawnSync(node24(), [join(ROOT, "test/e2e/pq-verify.node24.mjs"), join(dir, "pq-root.pem"), join(dir, "pq-issuing.pem"), leaves.pqBefore!, leaves.pqAfter!], { encoding: "utf8" });
    const report = JSON.parse(out.stdout) as { results: { what: string; ok: boolean }[] };
    expect(report.results.map((x) => x.ok)).toEqual([true, true, true, true]);

    // The restored CA continues its CRLs and answers for the old issuer.
    const crl = await fetch(`${b!.url}/crl/${before.intermediates[0]!.id}.crl`);
    expect(crl.status).toBe(200);
  });

  it("refuses to restore over a CA that has issued certificates", () => {
    const r = runScript("ca-restore.ts", ["--identity", join(dir, "operator.key"), "--in", join(dir, "ca.backup"), "--url", b!.url, "--persist-to", b!.persistTo]);
    expect(r.status).toBe(1);
    expect(r.out).toContain("restore only into a fresh deployment");
  });
});
