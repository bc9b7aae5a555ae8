// The ACME alternate chain to the ML-DSA root, taken by clients we did not write: lego 4.9.1
// picks it with --preferred-chain "TrustChain ML-DSA Root R1" (it matches the top certificate's
// issuer CN), and Node 24's node:crypto (OpenSSL 3.5) verifies each link of it: the ML-DSA-87
// root, the classical issuing CA's cross-certificate (ML-DSA-87 signature over an ECDSA P-256
// key) and the leaf. Without --preferred-chain lego keeps the default chain, which openssl verifies
// against the classical root.

import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostedZone, verifyChainAgainstRoot } from "../support/acme-e2e.ts";
import { type LocalTrustChain, freePort, openssl, startLocal, tempDir } from "../support/e2e.ts";
import { node24 } from "../support/node24.ts";

let tc: LocalTrustChain;
let httpPort: number;
let dir: string;
const ZONE = "pq-acme-e2e.test";
const PQ_ROOT_CN = "TrustChain ML-DSA Root R1";

beforeAll(async () => {
  httpPort = await freePort();
  tc = await startLocal("pq-acme", { vars: { ACME_HTTP01_PORT: String(httpPort), ACME_HTTP01_CONNECT: "hosted-zone" } });
  dir = tempDir("pq-acme");
  await hostedZone(tc, ZONE, [
    { name: `alt.${ZONE}`, type: "A", value: "127.0.0.1" },
    { name: `default.${ZONE}`, type: "A", value: "127.0.0.1" },
  ]);
});

afterAll(async () => {
  await tc?.stop();
});

function lego(name: string, extra: string[]): { status: number; out: string } {
  const r = spawnSync(
    "lego",
    ["--server", `${tc.url}/acme/directory`, "--email", "a@example.com", "--accept-tos", "--path", join(dir, name), "--domains", name, "--http", "--http.port", `:${httpPort}`, "--http.proxy-header", "X-Forwarded-Host", "run", ...extra],
    { encoding: "utf8", timeout: 120_000, env: { ...process.env, LEGO_DISABLE_CNAME_SUPPORT: "true" } },
  );
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const split = (pem: string) => pem.split(/(?=-----BEGIN CERTIFICATE-----)/).filter((p) => p.includes("BEGIN CERTIFICATE"));
const subjectCn = (pem: string) => openssl(["x509", "-noout", "-subject", "-nameopt", "multiline"], { input: pem }).out.match(/commonName\s*=\s*(.+)/)![1]!.trim();

describe("lego --preferred-chain with the ML-DSA root", () => {
  it("downloads leaf → cross-certified issuing CA → ML-DSA-87 root, and Node 24 verifies every link", () => {
    const name = `alt.${ZONE}`;
    const run = lego(name, ["--preferred-chain", PQ_ROOT_CN]);
    expect(run.status, run.out).toBe(0);
    const chain = split(readFileSync(join(dir, name, "certificates", `${name}.crt`), "utf8"));
    expect(chain).toHaveLength(3);
    const [leaf, cross, root] = chain as [string, string, string];
    expect(subjectCn(cross)).toBe("TrustChain Issuing E1");
    expect(subjectCn(root)).toBe(PQ_ROOT_CN);
    for (const [file, pem] of [["root.pem", root], ["cross.pem", cross], ["leaf.pem", leaf]] as const) writeFileSync(join(dir, file), pem);
    const out = execFileSync(node24(), [join(import.meta.dirname, "pq-verify.node24.mjs"), join(dir, "root.pem"), join(dir, "cross.pem"), join(dir, "leaf.pem")], { encoding: "utf8" });
    const { results } = JSON.parse(out) as { results: { what: string; ok: boolean; detail: string }[] };
    expect(results.map((r) => [r.what, r.ok, r.detail])).toEqual([
      ["root self-signature", true, "ml-dsa-87"],
      ["issuing CA signed by root", true, "ec"],
      ["leaf leaf.pem signed by issuing CA", true, "ec"],
    ]);
  });

  it("without --preferred-chain keeps the default chain to the classical root", async () => {
    const name = `default.${ZONE}`;
    const run = lego(name, []);
    expect(run.status, run.out).toBe(0);
    await verifyChainAgainstRoot(tc, join(dir, name), join(dir, name, "certificates", `${name}.crt`), [`DNS:${name}`]);
  });
});
