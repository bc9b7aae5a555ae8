// Scheduled work: the cron handler runs its jobs, and an idle CT log gets a freshly signed
// checkpoint for the same tree.

import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../workers/index.ts";
import { logConfig } from "../../src/ct/log-config.ts";
import { ctLog } from "../../workers/env.ts";
import { call } from "../support/worker-helpers.ts";

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
});
