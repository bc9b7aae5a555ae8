// Per-account rate limits (wrangler.toml: 300 new orders, 60 failed validations per hour): past
// the limit the answer is rateLimited with Retry-After; other accounts are unaffected.

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
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
});
