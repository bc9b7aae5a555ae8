// Operations end to end against `wrangler dev`: the dashboard in headless Chromium (playwright-core
// driving Debian's /usr/bin/chromium) finds a just-issued certificate with its CT inclusion status;
// /metrics passes `promtool check metrics` (Debian's prometheus) and its counters move; the token
// scripts list and revoke what token:create made.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalTrustChain, openssl, startLocal, tempDir } from "../support/e2e.ts";
import { ROOT } from "../../scripts/lib/wrangler.ts";

let tc: LocalTrustChain;
const ARTIFACTS = join(ROOT, "test/artifacts");

beforeAll(async () => {
  tc = await startLocal("ops-dashboard");
});
afterAll(async () => {
  await tc?.stop();
});

async function issue(name: string): Promise<{ serial: string; fingerprint_sha256: string }> {
  const dir = tempDir("ops-csr");
  const key = join(dir, "k.pem");
  const csr = join(dir, "r.csr");
  expect(openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]).status).toBe(0);
  expect(openssl(["req", "-new", "-key", key, "-subj", `/CN=${name}`, "-addext", `subjectAltName=DNS:${name}`, "-out", csr]).status).toBe(0);
  const res = await fetch(`${tc.url}/api/v1/certificates`, {
    method: "POST",
    headers: { authorization: `Bearer ${tc.token("issuer")}`, "content-type": "application/pkcs10" },
    body: readFileSync(csr),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { serial: string; fingerprint_sha256: string };
}

function promtool(text: string): { status: number; out: string } {
  const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function value(text: string, series: RegExp): number {
  return text.split("\n").filter((l) => series.test(l)).reduce((a, l) => a + Number(l.split(" ").pop()), 0);
}

describe("operations against wrangler dev", () => {
  it("/metrics passes promtool and counts an issuance and a DoH query", async () => {
    const before = await (await fetch(`${tc.url}/metrics`)).text();
    await issue("metrics.e2e.example");
    expect((await fetch(`${tc.url}/dns-query?name=trustchain.test&type=SOA`, { headers: { accept: "application/dns-json" } })).status).toBe(200);
    const after = await (await fetch(`${tc.url}/metrics`)).text();
    const check = promtool(after);
    expect(check.status, check.out).toBe(0);
    const issued = /^trustchain_issuances_total\{outcome="issued"/;
    expect(value(after, issued) - value(before, issued)).toBe(1);
    const doh = /^trustchain_doh_queries_total\{format="json",rcode="NOERROR"\}/;
    expect(value(after, doh) - value(before, doh)).toBe(1);
  });

  it("the dashboard's search finds a just-issued certificate with its CT inclusion status", async () => {
    const cert = await issue("dashboard.e2e.example");
    // Wait until the log has published a checkpoint covering the certificate's entries.
    for (let i = 0; i < 50; i++) {
      const s = (await (await fetch(`${tc.url}/api/v1/search?q=${cert.serial}`)).json()) as { certificates: { ct_inclusion: { certificate: string } }[] };
      if (s.certificates[0]?.ct_inclusion.certificate === "included") break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // A fresh profile per run (playwright takes the user-data dir as a parameter, not a flag).
    const browser = await chromium.launchPersistentContext(tempDir("chromium"), {
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1280, height: 1400 },
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`${tc.url}/`);
      await page.getByRole("heading", { name: "Certificate authority" }).waitFor();
      await expect.poll(() => page.locator("#ca").innerText()).toContain("signing");
      const ca = await page.locator("#ca").innerText();
      expect(ca).toContain("TrustChain Issuing E1");
      expect(ca).toMatch(/Retired issuing CAs\s*none/);
      expect(ca).toContain("ML-DSA issuing CA");
      await expect.poll(() => page.locator("#validators").innerText()).toMatch(/validator-0: healthy[\s\S]*validator-3: healthy/);
      await expect.poll(() => page.locator("#recent-list").innerText()).toContain("dashboard.e2e.example");

      for (const q of ["dashboard.e2e.example", cert.serial, cert.fingerprint_sha256]) {
        await page.getByLabel("Name, serial number or SHA-256 fingerprint").fill(q);
        await page.getByRole("button", { name: "Search" }).click();
        await expect.poll(() => page.locator("#results").innerText()).toContain(cert.serial);
        const text = await page.locator("#results").innerText();
        expect(text).toContain("1 result(s)");
        expect(text).toMatch(/certificate: included/);
      }
      await page.getByLabel("Name, serial number or SHA-256 fingerprint").fill("nothing-here.example");
      await page.getByRole("button", { name: "Search" }).click();
      await expect.poll(() => page.locator("#results").innerText()).toContain("No certificates found");
      await page.getByLabel("Name, serial number or SHA-256 fingerprint").fill(cert.serial);
      await page.getByRole("button", { name: "Search" }).click();
      await expect.poll(() => page.locator("#results").innerText()).toContain(cert.serial);
      // Landmarks a screen reader navigates by.
      expect(await page.getByRole("main").count()).toBe(1);
      expect(await page.getByRole("search").count()).toBe(1);
      expect(await page.getByRole("img", { name: "Certificate issuance attempts" }).count()).toBe(1);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it("the OpenAPI document validates against the OpenAPI 3.1 schema", async () => {
    const doc = (await (await fetch(`${tc.url}/api/v1/openapi.json`)).json()) as Record<string, unknown>;
    const validator = new Validator();
    const r = await validator.validate(doc);
    expect(validator.version).toBe("3.1");
    expect(r.errors ?? [], JSON.stringify(r.errors)).toEqual([]);
    expect(r.valid).toBe(true);
  });

  it("token:list shows tokens without secrets and token:revoke stops one", async () => {
    const token = tc.token("reader");
    const node = process.execPath;
    const list = execFileSync(node, [join(ROOT, "scripts/token-list.ts"), "--persist-to", tc.persistTo], { cwd: ROOT, encoding: "utf8" });
    expect(list).not.toContain(token);
    const row = list.split("\n").filter((l) => l.includes("\treader\tactive\t")).pop()!;
    const id = row.split("\t")[0]!;
    expect((await fetch(`${tc.url}/api/v1/certificates?name=a.example`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    execFileSync(node, [join(ROOT, "scripts/token-revoke.ts"), "--id", id, "--persist-to", tc.persistTo], { cwd: ROOT, encoding: "utf8", stdio: "pipe" });
    expect(execFileSync(node, [join(ROOT, "scripts/token-list.ts"), "--persist-to", tc.persistTo], { cwd: ROOT, encoding: "utf8" })).toContain(`${id}\treader\trevoked`);
    await new Promise((r) => setTimeout(r, 10_500)); // TOKEN_CACHE_SECONDS
    expect((await fetch(`${tc.url}/api/v1/certificates?name=a.example`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });
});
