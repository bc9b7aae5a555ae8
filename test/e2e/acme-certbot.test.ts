// ACME with the real certbot client (Debian certbot 2.1) over plain http:// against a local
// server: register (the server requires External Account Binding); `certonly --standalone` for http-01 with certbot's own listener on a high
// port (ACME_HTTP01_PORT tells our validator where to connect; the name lives in a zone we host
// with an A record at loopback, ACME_HTTP01_CONNECT=hosted-zone); `certonly --manual` for dns-01
// with auth/cleanup hooks that publish TXT records through our httpreq endpoint, for an apex +
// wildcard pair; `renew --force-renewal`; `revoke` by the account key and by the certificate's
// own key (certbot sleeps at random before a non-interactive renew unless
// --no-random-sleep-on-renew). Every certificate verifies with `openssl verify` against our root.

import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostedZone, serialOf, verifyChainAgainstRoot } from "../support/acme-e2e.ts";
import { ROOT } from "../../scripts/lib/wrangler.ts";
import { type LocalTrustChain, freePort, startLocal, tempDir } from "../support/e2e.ts";

let tc: LocalTrustChain;
let httpPort: number;
let dir: string;
const ZONE = "certbot-e2e.test";
const NAME = `www.${ZONE}`;

beforeAll(async () => {
  httpPort = await freePort();
  // This server requires External Account Binding (RFC 8555 §7.3.4), as commercial ACME CAs do.
  tc = await startLocal("acme-certbot", { vars: { ACME_HTTP01_PORT: String(httpPort), ACME_HTTP01_CONNECT: "hosted-zone", ACME_EAB_REQUIRED: "true" } });
  dir = tempDir("certbot");
  await hostedZone(tc, ZONE, [{ name: NAME, type: "A", value: "127.0.0.1" }]);
});

afterAll(async () => {
  await tc?.stop();
});

function certbot(args: string[], env: Record<string, string> = {}): { status: number; out: string } {
  const r = spawnSync(
    "certbot",
    [
      ...args,
      "--non-interactive",
      "--server", `${tc.url}/acme/directory`,
      "--config-dir", join(dir, "config"),
      "--work-dir", join(dir, "work"),
      "--logs-dir", join(dir, "logs"),
    ],
    { encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } },
  );
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const live = (certName: string, file: string) => join(dir, "config", "live", certName, file);

async function revocationStatus(serial: string): Promise<unknown> {
  const r = await fetch(`${tc.url}/api/v1/certificates/${serial}`, { headers: { authorization: `Bearer ${tc.token("admin")}` } });
  return r.json();
}

describe("certbot", () => {
  it("registers an account with an External Account Binding key from npm run acme:eab-create", async () => {
    const register = ["register", "--agree-tos", "-m", "certbot@example.com", "--no-eff-email"];
    const without = certbot(register);
    expect(without.status).not.toBe(0);
    // certbot reads meta.externalAccountRequired from the directory and stops before asking.
    expect(without.out).toContain("Server requires external account binding");
    // The server refuses too, whatever the client does (a raw ES256 newAccount JWS, no binding).
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"])) as CryptoKeyPair;
    const { kty, crv, x, y } = (await crypto.subtle.exportKey("jwk", keys.publicKey)) as JsonWebKey;
    const url = `${tc.url}/acme/new-account`;
    const nonce = (await fetch(`${tc.url}/acme/new-nonce`, { method: "HEAD" })).headers.get("replay-nonce");
    const b64u = (b: Uint8Array | string) => Buffer.from(b).toString("base64url");
    const prot = b64u(JSON.stringify({ alg: "ES256", nonce, url, jwk: { kty, crv, x, y } }));
    const payload = b64u(JSON.stringify({ termsOfServiceAgreed: true }));
    const sig = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, keys.privateKey, new TextEncoder().encode(`${prot}.${payload}`)));
    const raw = await fetch(url, { method: "POST", headers: { "content-type": "application/jose+json" }, body: JSON.stringify({ protected: prot, payload, signature: b64u(sig) }) });
    expect(raw.status).toBe(403);
    expect(((await raw.json()) as { type: string }).type).toBe("urn:ietf:params:acme:error:externalAccountRequired");
    const created = execFileSync(process.execPath, [join(ROOT, "scripts/acme-eab-create.ts"), "--json", "--url", tc.url, "--persist-to", tc.persistTo], { cwd: ROOT, encoding: "utf8" });
    const key = JSON.parse(created) as { kid: string; hmac_key: string };
    const r = certbot([...register, "--eab-kid", key.kid, "--eab-hmac-key", key.hmac_key]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain("Account registered");
  });

  it("obtains a certificate with http-01 from its standalone server on a non-default port", async () => {
    const r = certbot(["certonly", "--standalone", "--preferred-challenges", "http", "--http-01-port", String(httpPort), "-d", NAME, "--cert-name", "http"]);
    expect(r.status, r.out).toBe(0);
    await verifyChainAgainstRoot(tc, dir, live("http", "fullchain.pem"), [`DNS:${NAME}`]);
  });

  it("obtains an apex + wildcard certificate with dns-01 through manual hooks that call our httpreq endpoint", async () => {
    const token = tc.token(`zone:${ZONE}`);
    const hook = (action: string) => {
      const path = join(dir, `dns-${action}.sh`);
      writeFileSync(
        path,
        `#!/bin/sh\nexec curl -fsS -u "certbot:${token}" -H 'content-type: application/json' ` +
          `-d "{\\"fqdn\\":\\"_acme-challenge.$CERTBOT_DOMAIN.\\",\\"value\\":\\"$CERTBOT_VALIDATION\\"}" ${tc.url}/api/v1/dns01/${action}\n`,
      );
      chmodSync(path, 0o755);
      return path;
    };
    const r = certbot([
      "certonly", "--manual", "--preferred-challenges", "dns",
      "--manual-auth-hook", hook("present"), "--manual-cleanup-hook", hook("cleanup"),
      "-d", ZONE, "-d", `*.${ZONE}`, "--cert-name", "dns",
    ]);
    expect(r.status, r.out).toBe(0);
    await verifyChainAgainstRoot(tc, dir, live("dns", "fullchain.pem"), [`DNS:${ZONE}`, `DNS:*.${ZONE}`]);
    // The cleanup hook withdrew the TXT records.
    const txt = await fetch(`${tc.url}/dns-query?name=_acme-challenge.${ZONE}&type=TXT`, { headers: { accept: "application/dns-json" } });
    expect(((await txt.json()) as { Answer?: unknown[] }).Answer ?? []).toHaveLength(0);
  });

  it("renews both with --force-renewal (same authenticators, new certificates)", async () => {
    const before = readFileSync(live("http", "cert.pem"), "utf8");
    const beforeDns = readFileSync(live("dns", "cert.pem"), "utf8");
    const r = certbot(["renew", "--force-renewal", "--no-random-sleep-on-renew"]);
    expect(r.status, r.out).toBe(0);
    expect(readFileSync(live("http", "cert.pem"), "utf8")).not.toBe(before);
    expect(readFileSync(live("dns", "cert.pem"), "utf8")).not.toBe(beforeDns);
    await verifyChainAgainstRoot(tc, dir, live("http", "fullchain.pem"), [`DNS:${NAME}`]);
    await verifyChainAgainstRoot(tc, dir, live("dns", "fullchain.pem"), [`DNS:${ZONE}`, `DNS:*.${ZONE}`]);
  });

  it("revokes with the account key", async () => {
    const serial = serialOf(readFileSync(live("http", "cert.pem"), "utf8"));
    const r = certbot(["revoke", "--cert-name", "http", "--reason", "superseded", "--no-delete-after-revoke"]);
    expect(r.status, r.out).toBe(0);
    expect(await revocationStatus(serial)).toMatchObject({ status: "revoked", revocation_reason: "superseded" });
  });

  it("revokes with the certificate's own key", async () => {
    const serial = serialOf(readFileSync(live("dns", "cert.pem"), "utf8"));
    const r = certbot(["revoke", "--cert-path", live("dns", "cert.pem"), "--key-path", live("dns", "privkey.pem"), "--reason", "keycompromise", "--no-delete-after-revoke"]);
    expect(r.status, r.out).toBe(0);
    expect(await revocationStatus(serial)).toMatchObject({ status: "revoked", revocation_reason: "keyCompromise" });
  });
});
