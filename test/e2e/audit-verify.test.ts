// `npm run audit:verify` against a running server (wrangler dev): it proves the inclusion of a
// real issuance's consensus request from the published checkpoint and tiles, and fails once one
// byte of an audit tile is changed where wrangler dev keeps R2 objects on disk.

import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/wrangler.ts";
import { type LocalTrustChain, openssl, startLocal, tempDir } from "../support/e2e.ts";

let tc: LocalTrustChain;

beforeAll(async () => {
  tc = await startLocal("audit-verify");
});

afterAll(async () => {
  await tc?.stop();
});

function auditVerify(args: string[]): { status: number; out: string } {
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/audit-verify.ts"), "--url", tc.url, ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** The file wrangler dev keeps an R2 object's bytes in (Miniflare: metadata in SQLite, bytes in blobs/). */
function r2BlobFile(key: string): string {
  const script = `
import glob, sqlite3, sys
for f in glob.glob(sys.argv[1] + "/v3/r2/miniflare-R2BucketObject/*.sqlite"):
    if f.endswith("metadata.sqlite"): continue
    row = sqlite3.connect(f).execute("SELECT blob_id FROM _mf_objects WHERE key = ?", (sys.argv[2],)).fetchone()
    if row: print(row[0])
`;
  const r = spawnSync("/usr/bin/python3", ["-c", script, tc.persistTo, key], { encoding: "utf8" });
  const blob = r.stdout.trim();
  expect(blob, r.stderr).toMatch(/^[0-9a-f]+$/);
  return join(tc.persistTo, "v3/r2/trustchain-blobs/blobs", blob);
}

describe("npm run audit:verify", () => {
  it("proves a real issuance's inclusion and fails after one byte of a tile changes", async () => {
    const token = tc.token("issuer");
    const dir = tempDir("audit-verify-keys");
    const key = join(dir, "leaf.key");
    const csr = join(dir, "leaf.csr");
    expect(openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]).status).toBe(0);
    expect(openssl(["req", "-new", "-key", key, "-subj", "/CN=audited.example", "-addext", "subjectAltName=DNS:audited.example", "-out", csr]).status).toBe(0);
    const res = await fetch(`${tc.url}/api/v1/certificates`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/pkcs10" }, body: readFileSync(csr) });
    const issued = (await res.json()) as { serial: string };
    expect(res.status, JSON.stringify(issued)).toBe(201);
    const quorum = (await (await fetch(`${tc.url}/api/v1/certificates/${issued.serial}/quorum`, { headers: { authorization: `Bearer ${token}` } })).json()) as { request_hash: string };

    let ok = auditVerify(["--request-hash", quorum.request_hash]);
    for (let i = 0; i < 20 && ok.status !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ok = auditVerify(["--request-hash", quorum.request_hash]);
    }
    expect(ok.status, ok.out).toBe(0);
    expect(ok.out).toContain("audit:verify OK");
    expect(ok.out).toContain(quorum.request_hash);
    const size = Number(/size (\d+)/.exec(ok.out)![1]);

    const file = r2BlobFile(`audit/tile/0/000.p/${size}`);
    const original = readFileSync(file);
    const tampered = Buffer.from(original);
    tampered[5]! ^= 0x01;
    writeFileSync(file, tampered);
    const broken = auditVerify(["--request-hash", quorum.request_hash]);
    expect(broken.status).toBe(1);
    expect(broken.out).toContain("audit:verify FAILED");
    writeFileSync(file, original);
    expect(auditVerify(["--index", "0"]).status).toBe(0);
  });
});
