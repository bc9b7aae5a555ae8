// Rate limits (this project's bindings: issuances 3/3 s per token, API 20/2 s and DoH 5/2 s per
// client address) trigger at the configured rate across concurrent requests, answer 429
// rateLimited with Retry-After, and let the client through again after Retry-After.
// This project runs without CA_KEK, so /health has a failing CA to report.

import { describe, expect, it } from "vitest";
import { call, makeCsr, mintToken } from "../../support/worker-helpers.ts";

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
const doh = (ip: string) => call("/dns-query?name=trustchain.test&type=SOA", { headers: { accept: "application/dns-json", "cf-connecting-ip": ip } });

async function expectLimited(res: Response): Promise<number> {
  expect(res.status).toBe(429);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(((await res.json()) as { type: string }).type).toBe("urn:ietf:params:acme:error:rateLimited");
  const retry = Number(res.headers.get("retry-after"));
  expect(retry).toBeGreaterThanOrEqual(1);
  return retry;
}

describe("rate limits", () => {
  it("DoH: 5 of 12 concurrent queries from one address pass, others' addresses are unaffected, and it recovers after Retry-After", async () => {
    const burst = await Promise.all(Array.from({ length: 12 }, () => doh("192.0.2.10")));
    const passed = burst.filter((r) => r.status === 200);
    const refused = burst.filter((r) => r.status === 429);
    expect(passed.length).toBe(5);
    expect(refused.length).toBe(7);
    const retry = Math.max(...(await Promise.all(refused.map(expectLimited))));
    expect((await doh("192.0.2.11")).status).toBe(200);
    // IPv6 clients are limited per /64: another address in the same /64 shares the bucket.
    const v6 = await Promise.all(Array.from({ length: 6 }, (_, i) => doh(`2001:db8:1:2::${i + 1}`)));
    expect(v6.filter((r) => r.status === 429).length).toBe(1);
    await sleep(retry);
    expect((await doh("192.0.2.10")).status).toBe(200);
  });

  it("issuance per token: 3 of 6 concurrent requests get past the limit, another token is not limited", async () => {
    const token = await mintToken("issuer");
    const csr = await makeCsr("p256", ["limits.example.com"]);
    const issue = (t: string, i: number) =>
      call("/api/v1/certificates", { method: "POST", body: csr.der, token: t, headers: { "content-type": "application/pkcs10", "cf-connecting-ip": `198.51.100.${i}` } });
    const burst = await Promise.all(Array.from({ length: 6 }, (_, i) => issue(token, i)));
    // Without CA_KEK the CA cannot sign (503); what matters is who got past the limiter.
    expect(burst.filter((r) => r.status === 429).length).toBe(3);
    expect(burst.filter((r) => r.status === 503).length).toBe(3);
    const retry = Math.max(...(await Promise.all(burst.filter((r) => r.status === 429).map(expectLimited))));
    expect((await issue(await mintToken("issuer"), 50)).status).toBe(503);
    await sleep(retry);
    expect((await issue(token, 51)).status).toBe(503);
  });

  it("API calls per address: 20 of 30 concurrent calls pass", async () => {
    const burst = await Promise.all(Array.from({ length: 30 }, () => call("/api/v1/ca", { headers: { "cf-connecting-ip": "203.0.113.7" } })));
    expect(burst.filter((r) => r.status === 429).length).toBe(10);
    const limited = (await Promise.all(burst.filter((r) => r.status === 429).map((r) => r.clone().json()))) as { detail: string }[];
    expect(limited[0]!.detail).toContain("20 per 2 s");
  });

  it("rejections are counted in /metrics", async () => {
    const text = await (await call("/metrics")).text();
    expect(text).toMatch(/trustchain_rate_limited_total\{limit="doh"\} 8\n/);
    expect(text).toMatch(/trustchain_rate_limited_total\{limit="issue"\} 3\n/);
    expect(text).toMatch(/trustchain_rate_limited_total\{limit="api"\} 10\n/);
  });
});

describe("/health when the CA cannot start", () => {
  it("answers 503 and names the failing objects", async () => {
    const res = await call("/health");
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; failing: string[]; checks: Record<string, { ok: boolean; detail?: string }> };
    expect(body.status).toBe("failing");
    expect(body.failing.sort()).toEqual(["ca_signer", "ct_log"]);
    expect(body.checks.ca_signer!.detail).toContain("CA_KEK");
    expect(body.checks.d1!.ok).toBe(true);
  });
});
