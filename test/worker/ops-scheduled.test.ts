// Scheduled work: the cron handler runs its jobs, and an idle CT log gets a freshly signed
// checkpoint for the same tree.

import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../workers/index.ts";
import { logConfig } from "../../src/ct/log-config.ts";
import { ctLog } from "../../workers/env.ts";
import { AcmeClient, BASE, type AuthzJson, type OrderJson } from "../support/acme-client.ts";
import { call } from "../support/worker-helpers.ts";

async function cron(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "17 * * * *", scheduledTime: new Date() }), env, ctx);
  await waitOnExecutionContext(ctx);
}

const rowStatus = async (table: "acme_orders" | "acme_authorizations", id: string) =>
  (await env.DB.prepare(`SELECT status FROM ${table} WHERE id = ?`).bind(id).first<{ status: string }>())?.status ?? null;

async function checkpoint(): Promise<{ text: string; uploaded: number }> {
  const obj = await env.BLOBS.get(`${logConfig(env).objectPrefix}checkpoint`);
  expect(obj).not.toBeNull();
  return { text: await obj!.text(), uploaded: obj!.uploaded.getTime() };
}

describe("scheduled work", () => {
  it("re-signs the checkpoint of an idle log: same tree, new signature, later upload", async () => {
    await call("/api/v1/ca"); // the CA and the log start
    await ctLog(env).info();
    const before = await checkpoint();
    await new Promise((r) => setTimeout(r, 20));
    const r = await ctLog(env).refreshCheckpoint(0);
    expect(r).toMatchObject({ refreshed: true });
    const after = await checkpoint();
    expect(after.text.split("\n").slice(0, 3)).toEqual(before.text.split("\n").slice(0, 3)); // origin, size, root
    expect(after.text).not.toBe(before.text);
    expect(after.uploaded).toBeGreaterThan(before.uploaded);
    // A fresh checkpoint is left alone.
    expect(await ctLog(env).refreshCheckpoint(60_000)).toMatchObject({ refreshed: false });
  });

  it("the cron handler completes its jobs", async () => {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "17 * * * *", scheduledTime: new Date() }), env, ctx);
    await waitOnExecutionContext(ctx);
    const sth = (await (await call("/ct/v1/get-sth")).json()) as { tree_size: number };
    expect(sth.tree_size).toBeGreaterThanOrEqual(0);
  });

  it("expires stale ACME orders and authorizations (RFC 8555 §7.1.6) and purges them after the retention period", async () => {
    const client = await AcmeClient.create();
    await client.register();
    const r = await client.post(`${BASE}/acme/new-order`, { identifiers: [{ type: "dns", value: "stale.expiry.test" }] });
    expect(r.status).toBe(201);
    const orderUrl = r.headers.get("location")!;
    const order = (await r.json()) as OrderJson;
    const orderId = orderUrl.split("/").pop()!;
    const authzUrl = order.authorizations[0]!;
    const authzId = authzUrl.split("/").pop()!;
    const fresh = await client.post(`${BASE}/acme/new-order`, { identifiers: [{ type: "dns", value: "fresh.expiry.test" }] });
    const freshId = fresh.headers.get("location")!.split("/").pop()!;

    // The cron leaves live objects alone.
    await cron();
    expect(await rowStatus("acme_orders", orderId)).toBe("pending");

    // Time passes for the first order: its expiry is an hour ago.
    const now = Math.floor(Date.now() / 1000);
    await env.DB.batch([
      env.DB.prepare("UPDATE acme_orders SET expires_at = ? WHERE id = ?").bind(now - 3600, orderId),
      env.DB.prepare("UPDATE acme_authorizations SET expires_at = ? WHERE id = ?").bind(now - 3600, authzId),
    ]);
    await cron();
    expect(await rowStatus("acme_orders", orderId)).toBe("invalid");
    expect(await rowStatus("acme_authorizations", authzId)).toBe("expired");
    expect(((await (await client.post(orderUrl, "")).json()) as OrderJson).status).toBe("invalid");
    expect(((await (await client.post(authzUrl, "")).json()) as AuthzJson).status).toBe("expired");
    expect(await rowStatus("acme_orders", freshId)).toBe("pending");

    // Past the retention period they are gone, challenges included.
    const old = now - 31 * 86400;
    await env.DB.batch([
      env.DB.prepare("UPDATE acme_orders SET expires_at = ? WHERE id = ?").bind(old, orderId),
      env.DB.prepare("UPDATE acme_authorizations SET expires_at = ? WHERE id = ?").bind(old, authzId),
    ]);
    await cron();
    expect(await rowStatus("acme_orders", orderId)).toBeNull();
    expect(await rowStatus("acme_authorizations", authzId)).toBeNull();
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM acme_challenges WHERE authz_id = ?").bind(authzId).first<{ n: number }>())!.n).toBe(0);
    expect((await client.post(orderUrl, "")).status).toBe(404);
    expect(await rowStatus("acme_orders", freshId)).toBe("pending");
  });
});
