// ACME with the real lego client (Debian lego 4.9.1) over plain http:// against a local server:
// http-01 with lego's built-in server on a high port (ACME_HTTP01_PORT tells our validator where
// to connect), for a name in a zone we host whose A record points at loopback (the validator
// reaches hosted names at the address their zone publishes, ACME_HTTP01_CONNECT=hosted-zone, and
// names the host in X-Forwarded-Host, which lego's --http.proxy-header matches); the certificate chains to our root
// under `openssl verify`.
//
// An IPv6 identifier: lego 4.9.1 sends every name, IP addresses included, as a "dns" identifier
// (the server reads an IP literal as the RFC 8738 "ip" identifier it can only be), puts IP
// addresses into its own CSRs as dNSNames (which no CA may issue), and its built-in http-01
// server matches the Host header by prefix, so "[::1]:port" (RFC 8738 §4, RFC 7230 IP-literal)
// never matches "::1". So the test does what works with lego 4.9.1: its own CSR with an iPAddress
// SAN (`--csr`; lego reads the names from the CN), and `--http.webroot` served by a plain HTTP
// server on [::1].

import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/wrangler.ts";
import { hostedZone, serialOf, verifyChainAgainstRoot } from "../support/acme-e2e.ts";
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
  await hostedZone(tc, ZONE, [{ name: NAME, type: "A", value: "127.0.0.1" }]);
});

let webServer: ChildProcess | undefined;
afterAll(async () => {
  webServer?.kill();
  await tc?.stop();
});

function lego(args: string[], env: Record<string, string> = {}, path = dir): { status: number; out: string } {
  const r = spawnSync(
    "lego",
    ["--server", `${tc.url}/acme/directory`, "--email", "a@example.com", "--accept-tos", "--path", path, ...args],
    { encoding: "utf8", timeout: 120_000, env: { ...process.env, LEGO_DISABLE_CNAME_SUPPORT: "true", ...env } },
  );
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe("lego", () => {
  it("obtains a certificate with http-01 for a hosted name, and it verifies against our root", async () => {
    const run = lego(["--domains", NAME, "--http", "--http.port", `:${httpPort}`, "--http.proxy-header", "X-Forwarded-Host", "run"]);
    expect(run.status, run.out).toBe(0);
    await verifyChainAgainstRoot(tc, dir, join(dir, "certificates", `${NAME}.crt`), [`DNS:${NAME}`]);
  });

  it("renews it (the authorization is reused)", async () => {
    const before = readFileSync(join(dir, "certificates", `${NAME}.crt`), "utf8");
    const run = lego(["--domains", NAME, "--http", "--http.port", `:${httpPort}`, "--http.proxy-header", "X-Forwarded-Host", "renew", "--days", "400", "--no-random-sleep"]);
    expect(run.status, run.out).toBe(0);
    const after = readFileSync(join(dir, "certificates", `${NAME}.crt`), "utf8");
    expect(after).not.toBe(before);
    await verifyChainAgainstRoot(tc, dir, join(dir, "certificates", `${NAME}.crt`), [`DNS:${NAME}`]);
  });

  it("revokes the http-01 certificate with the account key", async () => {
    const pem = readFileSync(join(dir, "certificates", `${NAME}.crt`), "utf8");
    const serial = serialOf(pem);
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
    await verifyChainAgainstRoot(tc, dir, join(dir, "certificates", `${ZONE}.crt`), [`DNS:${ZONE}`, `DNS:*.${ZONE}`]);
  });

  it("obtains a certificate for an IPv6 address (RFC 8738) with http-01, the address as an iPAddress SAN", async () => {
    const webroot = join(dir, "webroot");
    mkdirSync(webroot, { recursive: true });
    webServer = spawn("python3", ["-m", "http.server", "--bind", "::1", String(httpPort), "--directory", webroot], { stdio: "ignore" });
    for (let i = 0; i < 50 && !(await fetch(`http://[::1]:${httpPort}/`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
    const csr = join(dir, "ip6.csr");
    const made = openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(dir, "ip6.key"), "-subj", "/CN=::1", "-addext", "subjectAltName=IP:::1", "-out", csr]);
    expect(made.status, made.out).toBe(0);
    const run = lego(["--csr", csr, "--http", "--http.webroot", webroot, "run"]);
    expect(run.status, run.out).toBe(0);
    const leaf = await verifyChainAgainstRoot(tc, dir, join(dir, "certificates", "::1.crt"), ["IP Address:0:0:0:0:0:0:0:1"]);
    // Issued through the one pipeline: the certificate is in our index.
    const admin = tc.token("admin");
    const r = await fetch(`${tc.url}/api/v1/certificates/${serialOf(leaf)}`, { headers: { authorization: `Bearer ${admin}` } });
    expect(r.status).toBe(200);
    // Free the port for lego's own listener in the next test.
    const exited = new Promise((resolve) => webServer!.once("exit", resolve));
    webServer.kill();
    await exited;
    webServer = undefined;
  });

  it("registers a new account with External Account Binding (--eab --kid --hmac) and issues with it", async () => {
    const created = execFileSync(process.execPath, [join(ROOT, "scripts/acme-eab-create.ts"), "--json", "--url", tc.url, "--persist-to", tc.persistTo], { cwd: ROOT, encoding: "utf8" });
    const key = JSON.parse(created) as { kid: string; hmac_key: string };
    const eabDir = join(dir, "eab");
    const run = lego(["--eab", "--kid", key.kid, "--hmac", key.hmac_key, "--domains", NAME, "--http", "--http.port", `:${httpPort}`, "--http.proxy-header", "X-Forwarded-Host", "run"], {}, eabDir);
    expect(run.status, run.out).toBe(0);
    await verifyChainAgainstRoot(tc, dir, join(eabDir, "certificates", `${NAME}.crt`), [`DNS:${NAME}`]);
    // The key is used up: another account cannot bind it.
    const again = lego(["--email", "b@example.com", "--eab", "--kid", key.kid, "--hmac", key.hmac_key, "--domains", NAME, "--http", "--http.port", `:${httpPort}`, "run"], {}, join(dir, "eab2"));
    expect(again.status).not.toBe(0);
    expect(again.out).toContain("already bound");
  });
});
