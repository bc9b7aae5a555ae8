// ACME with the real lego client (Debian lego 4.9.1) over plain http:// against a local server:
// http-01 with lego's built-in server on a high port (ACME_HTTP01_PORT tells our validator where
// to connect), for a name in a zone we host whose A record points at loopback (the validator
// reaches hosted names at the address their zone publishes, ACME_HTTP01_CONNECT=hosted-zone, and
// names the host in X-Forwarded-Host, which lego's --http.proxy-header matches); the certificate chains to our root
// under `openssl verify`. (lego 4.9.1 sends IP addresses as "dns" identifiers, which RFC 8738
// does not allow, so IP identifiers are covered by the worker tests.)

import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalTrustChain, freePort, openssl, startLocal, tempDir } from "../support/e2e.ts";

let tc: LocalTrustChain;
let httpPort: number;
let dir: string;
const ZONE = "lego-e2e.test";
const NAME = `www.${ZONE}`;

beforeAll(async () => {
  httpPort = await freePort();
  tc = await startLocal("acme-lego", { vars: { ACME_HTTP01_PORT: String(httpPort), ACME_HTTP01_CONNECT: "hosted-zone" } });
  dir = tempDir("lego");
  const admin = tc.token("admin");
  const headers = { authorization: `Bearer ${admin}`, "content-type": "application/json" };
  expect((await fetch(`${tc.url}/api/v1/zones`, { method: "POST", headers, body: JSON.stringify({ name: ZONE }) })).status).toBe(201);
  const a = await fetch(`${tc.url}/api/v1/zones/${ZONE}/rrsets/${NAME}/A`, { method: "PUT", headers, body: JSON.stringify({ ttl: 60, records: ["127.0.0.1"] }) });
  expect(a.status, await a.text()).toBe(200);
});

afterAll(async () => {
  await tc?.stop();
});

function lego(args: string[], env: Record<string, string> = {}): { status: number; out: string } {
  const r = spawnSync(
    "lego",
    ["--server", `${tc.url}/acme/directory`, "--email", "a@example.com", "--accept-tos", "--path", dir, ...args],
    { encoding: "utf8", timeout: 120_000, env: { ...process.env, LEGO_DISABLE_CNAME_SUPPORT: "true", ...env } },
  );
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe("lego", () => {
  async function verifyAgainstRoot(certPath: string, names: string[]) {
    const chain = readFileSync(certPath, "utf8");
    expect(chain.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);

    const ca = (await (await fetch(`${tc.url}/api/v1/ca`)).json()) as { root: { pem: string } };
    const rootPath = join(dir, "root.pem");
    writeFileSync(rootPath, ca.root.pem);
    const leafPath = join(dir, "leaf.pem");
    const [leaf, ...rest] = chain.split(/(?=-----BEGIN CERTIFICATE-----)/);
    writeFileSync(leafPath, leaf!);
    const untrusted = join(dir, "intermediate.pem");
    writeFileSync(untrusted, rest.join(""));
    const v = openssl(["verify", "-CAfile", rootPath, "-untrusted", untrusted, leafPath]);
    expect(v.status, v.out).toBe(0);
    const text = openssl(["x509", "-in", leafPath, "-noout", "-ext", "subjectAltName"]);
    for (const n of names) expect(text.out).toContain(`DNS:${n}`);
  }

  it("obtains a certificate with http-01 for a hosted name, and it verifies against our root", async () => {
    const run = lego(["--domains", NAME, "--http", "--http.port", `:${httpPort}`, "--http.proxy-header", "X-Forwarded-Host", "run"]);
    expect(run.status, run.out).toBe(0);
    await verifyAgainstRoot(join(dir, "certificates", `${NAME}.crt`), [NAME]);
  });

  it("renews it (the authorization is reused)", async () => {
    const before = readFileSync(join(dir, "certificates", `${NAME}.crt`), "utf8");
    const run = lego(["--domains", NAME, "--http", "--http.port", `:${httpPort}`, "--http.proxy-header", "X-Forwarded-Host", "renew", "--days", "400", "--no-random-sleep"]);
    expect(run.status, run.out).toBe(0);
    const after = readFileSync(join(dir, "certificates", `${NAME}.crt`), "utf8");
    expect(after).not.toBe(before);
    await verifyAgainstRoot(join(dir, "certificates", `${NAME}.crt`), [NAME]);
  });

  it("revokes the http-01 certificate with the account key", async () => {
    const pem = readFileSync(join(dir, "certificates", `${NAME}.crt`), "utf8");
    const serial = openssl(["x509", "-noout", "-serial"], { input: pem }).out.trim().replace(/^serial=/, "").toLowerCase();
    const run = lego(["--domains", NAME, "revoke", "--reason", "4"]);
    expect(run.status, run.out).toBe(0);
    const admin = tc.token("admin");
    const r = await fetch(`${tc.url}/api/v1/certificates/${serial}`, { headers: { authorization: `Bearer ${admin}` } });
    expect(await r.json()).toMatchObject({ status: "revoked", revocation_reason: "superseded" });
  });

  it("obtains an apex + wildcard certificate with dns-01, publishing TXT through our httpreq hook", async () => {
    const zoneToken = tc.token(`zone:${ZONE}`);
    const run = lego(["--domains", ZONE, "--domains", `*.${ZONE}`, "--dns", "httpreq", "--dns.disable-cp", "run"], {
      HTTPREQ_ENDPOINT: `${tc.url}/api/v1/dns01`,
      HTTPREQ_USERNAME: "lego",
      HTTPREQ_PASSWORD: zoneToken,
      EXEC_SEQUENCE_INTERVAL: "1",
    });
    expect(run.status, run.out).toBe(0);
    await verifyAgainstRoot(join(dir, "certificates", `${ZONE}.crt`), [ZONE, `*.${ZONE}`]);
  });
});
