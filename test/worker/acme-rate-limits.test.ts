// Rate limits per account (wrangler.toml: 300 new orders, 60 failed validations per hour) and per
// registered domain (100 new orders, 30 failed validations per hour; the registered domain from the
// Public Suffix List): past a limit the answer is rateLimited with Retry-After; other accounts,
// and other registered domains, are unaffected.

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { registeredDomain } from "../../src/acme/rate-limits.ts";
import { AcmeClient, BASE, type OrderJson, type AuthzJson } from "../support/acme-client.ts";

const E = (t: string) => `urn:ietf:params:acme:error:${t}`;
const order = (c: AcmeClient, value: string) => c.post(`${BASE}/acme/new-order`, { identifiers: [{ type: "dns", value }] });

describe("ACME rate limits", () => {
  it("limits new orders per account per hour", async () => {
    const client = await AcmeClient.create();
    await client.register();
    const id = client.kid!.split("/").pop()!;
    const now = Math.floor(Date.now() / 1000);
    // 300 orders of this account in the last hour, written directly as the order route would.
    const rows = Array.from({ length: Number(env.ACME_ORDERS_PER_HOUR) }, (_, i) =>
      env.DB.prepare("INSERT INTO acme_orders (id, account_id, status, identifiers, authorizations, expires_at, created_at) VALUES (?, ?, 'pending', '[]', '[]', ?, ?)").bind(`rl-${id}-${i}`, id, now + 86400, now - 600 + i),
    );
    await env.DB.batch(rows);
    const r = await order(client, "limited.rate-limit.test");
    expect(r.status).toBe(429);
    expect(((await r.json()) as { type: string }).type).toBe(E("rateLimited"));
    const retry = Number(r.headers.get("retry-after"));
    expect(retry).toBeGreaterThan(2000);
    expect(retry).toBeLessThanOrEqual(3000);
    const other = await AcmeClient.create();
    await other.register();
    expect((await order(other, "limited.rate-limit.test")).status).toBe(201);
  });

  it("limits failed validations per account per hour", async () => {
    const client = await AcmeClient.create();
    await client.register();
    const id = client.kid!.split("/").pop()!;
    const r = await order(client, "fails.rate-limit.test");
    const o = (await r.json()) as OrderJson;
    const now = Math.floor(Date.now() / 1000);
    await env.DB.batch(
      Array.from({ length: Number(env.ACME_FAILED_VALIDATIONS_PER_HOUR) }, (_, i) =>
        env.DB.prepare("INSERT INTO acme_authorizations (id, account_id, type, value, wildcard, status, expires_at, created_at) VALUES (?, ?, 'dns', 'x.test', 0, 'invalid', ?, ?)").bind(`rlf-${id}-${i}`, id, now + 86400, now - 60),
      ),
    );
    const authz = (await (await client.post(o.authorizations[0]!, "")).json()) as AuthzJson;
    const ch = await client.post(authz.challenges[0]!.url, {});
    expect(ch.status).toBe(429);
    expect(((await ch.json()) as { type: string }).type).toBe(E("rateLimited"));
    expect(Number(ch.headers.get("retry-after"))).toBeGreaterThan(0);
    // New orders are refused too while the failures count.
    expect((await order(client, "again.rate-limit.test")).status).toBe(429);
  });

  it("finds registered domains with the Public Suffix List (private suffixes included)", () => {
    const dns = (value: string) => registeredDomain({ type: "dns", value });
    expect(dns("www.example.co.uk")).toBe("example.co.uk");
    expect(dns("*.shop.example.com")).toBe("example.com");
    expect(dns("alice.github.io")).toBe("alice.github.io");
    expect(dns("a.b.alice.github.io")).toBe("alice.github.io");
    expect(dns("co.uk")).toBe("co.uk");
    expect(dns("www.lego-e2e.test")).toBe("lego-e2e.test");
    expect(registeredDomain({ type: "ip", value: "2001:db8:1:2:3::1" })).toBe("2001:db8:1:2::/64");
    expect(registeredDomain({ type: "ip", value: "192.0.2.7" })).toBe("192.0.2.7");
  });

  const events = (domain: string, kind: "order" | "failed", count: number) => {
    const now = Math.floor(Date.now() / 1000);
    return env.DB.batch(Array.from({ length: count }, (_, i) => env.DB.prepare("INSERT INTO acme_domain_events (domain, kind, created_at) VALUES (?, ?, ?)").bind(domain, kind, now - 900 + i)));
  };

  it("limits new orders per registered domain, across accounts", async () => {
    const client = await AcmeClient.create();
    await client.register();
    expect((await order(client, "a.domain-limit.test")).status).toBe(201);
    const counted = await env.DB.prepare("SELECT COUNT(*) AS n FROM acme_domain_events WHERE domain = 'domain-limit.test' AND kind = 'order'").first<{ n: number }>();
    expect(counted?.n).toBe(1);
    await events("domain-limit.test", "order", Number(env.ACME_DOMAIN_ORDERS_PER_HOUR));
    const other = await AcmeClient.create();
    await other.register();
    const r = await order(other, "b.www.domain-limit.test");
    expect(r.status).toBe(429);
    const p = (await r.json()) as { type: string; detail: string };
    expect(p.type).toBe(E("rateLimited"));
    expect(p.detail).toContain("domain-limit.test");
    const retry = Number(r.headers.get("retry-after"));
    expect(retry).toBeGreaterThan(2000);
    expect(retry).toBeLessThanOrEqual(3600);
    // Another registered domain is not affected.
    expect((await order(other, "b.other-domain-limit.test")).status).toBe(201);
  });

  it("limits failed validations per registered domain, and counts a failure there", async () => {
    const client = await AcmeClient.create();
    await client.register();
    const o = (await (await order(client, "x.domain-fails.test")).json()) as OrderJson;
    const authz = (await (await client.post(o.authorizations[0]!, "")).json()) as AuthzJson;
    // A failing validation (no TXT, and the name is in no zone we host) is counted for the domain.
    const failed = await client.post(authz.challenges.find((c) => c.type === "dns-01")!.url, {});
    expect(((await failed.json()) as { status: string }).status).toBe("invalid");
    const counted = await env.DB.prepare("SELECT COUNT(*) AS n FROM acme_domain_events WHERE domain = 'domain-fails.test' AND kind = 'failed'").first<{ n: number }>();
    expect(counted?.n).toBe(1);
    await events("domain-fails.test", "failed", Number(env.ACME_DOMAIN_FAILED_VALIDATIONS_PER_HOUR));
    const other = await AcmeClient.create();
    await other.register();
    const r = await order(other, "y.domain-fails.test");
    expect(r.status).toBe(429);
    expect(((await r.json()) as { detail: string }).detail).toContain("failed validations");
  });
});
