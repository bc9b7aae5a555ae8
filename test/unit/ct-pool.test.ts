import { describe, expect, it } from "vitest";
import { splitBySize } from "../../src/ct/batch-split.ts";
import type { Submission } from "../../src/ct/log-sequencer.ts";
import { SequencingPool } from "../../src/ct/pool.ts";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("SequencingPool", () => {
  it("runs one round at a time and batches what arrives meanwhile, up to batchMax", async () => {
    const rounds: number[][] = [];
    let gate = deferred();
    const pool = new SequencingPool<number, string>(async (items) => {
      rounds.push(items);
      await gate.promise;
      return items.map((i) => `r${i}`);
    }, { batchMax: 3, windowMs: 0, poolMax: 100 });
    const first = pool.offer(0)!;
    await new Promise((r) => setTimeout(r, 5));
    expect(rounds).toEqual([[0]]);
    const rest = [1, 2, 3, 4, 5].map((i) => pool.offer(i)!);
    expect(pool.size).toBe(5);
    gate.resolve();
    expect(await first).toBe("r0");
    expect(await Promise.all(rest)).toEqual(["r1", "r2", "r3", "r4", "r5"]);
    expect(rounds).toEqual([[0], [1, 2, 3], [4, 5]]);
    gate = deferred();
  });

  it("starts a full batch without waiting for the window", async () => {
    const rounds: number[][] = [];
    const pool = new SequencingPool<number, number>(async (items) => {
      rounds.push(items);
      return items;
    }, { batchMax: 2, windowMs: 10_000, poolMax: 100 });
    expect(await Promise.all([pool.offer(1)!, pool.offer(2)!])).toEqual([1, 2]);
    expect(rounds).toEqual([[1, 2]]);
  });

  it("sequences a submission to an idle log at once, and under load starts rounds at most every windowMs", async () => {
    const starts: { at: number; items: number[] }[] = [];
    let gate = deferred();
    const pool = new SequencingPool<number, number>(async (items) => {
      starts.push({ at: Date.now(), items });
      await gate.promise;
      return items;
    }, { batchMax: 100, windowMs: 60, poolMax: 100 });
    const t0 = Date.now();
    const first = pool.offer(0)!;
    await new Promise((r) => setTimeout(r, 5));
    expect(starts.map((s) => s.items)).toEqual([[0]]);
    expect(starts[0]!.at - t0).toBeLessThan(30);
    // Entries queued behind a round: the log is under load, the next round waits out the window.
    const queued = [pool.offer(1)!, pool.offer(2)!];
    gate.resolve();
    await first;
    await new Promise((r) => setTimeout(r, 5));
    expect(starts).toHaveLength(1);
    gate = deferred();
    gate.resolve();
    expect(await Promise.all(queued)).toEqual([1, 2]);
    expect(starts.map((s) => s.items)).toEqual([[0], [1, 2]]);
    expect(starts[1]!.at - starts[0]!.at).toBeGreaterThanOrEqual(60);
    // Nothing was waiting when that round ended: the next submission goes at once.
    const t1 = Date.now();
    expect(await pool.offer(3)!).toBe(3);
    expect(starts[2]!.at - t1).toBeLessThan(30);
  });

  it("refuses entries beyond poolMax instead of growing", async () => {
    const gate = deferred();
    const pool = new SequencingPool<number, number>(async (items) => {
      await gate.promise;
      return items;
    }, { batchMax: 1, windowMs: 0, poolMax: 2 });
    const a = pool.offer(1)!;
    await new Promise((r) => setTimeout(r, 5)); // round 1 is running with item 1
    const b = pool.offer(2)!;
    const c = pool.offer(3)!;
    expect(pool.offer(4)).toBeNull();
    gate.resolve();
    expect(await Promise.all([a, b, c])).toEqual([1, 2, 3]);
    expect(pool.offer(5)).not.toBeNull();
  });

  it("fails every submitter of a failed round, and keeps going", async () => {
    let fail = true;
    const pool = new SequencingPool<number, number>(async (items) => {
      if (fail) throw new Error("storage down");
      return items;
    }, { batchMax: 10, windowMs: 0, poolMax: 10 });
    await expect(Promise.all([pool.offer(1)!, pool.offer(2)!])).rejects.toThrow("storage down");
    fail = false;
    expect(await pool.offer(3)!).toBe(3);
  });

  it("with maxInFlight, keeps up to that many rounds running and batches what waits behind them", async () => {
    const gates: (() => void)[] = [];
    const rounds: number[][] = [];
    const pool = new SequencingPool<number, number>((items) => {
      rounds.push(items);
      return new Promise((resolve) => gates.push(() => resolve(items)));
    }, { batchMax: 100, windowMs: 0, poolMax: 100, maxInFlight: 2 });
    const a = pool.offer(1)!;
    await new Promise((r) => setTimeout(r, 5));
    const b = pool.offer(2)!;
    await new Promise((r) => setTimeout(r, 5));
    expect(rounds).toEqual([[1], [2]]); // the second round did not wait for the first
    const waiting = [3, 4, 5].map((i) => pool.offer(i)!);
    await new Promise((r) => setTimeout(r, 5));
    expect(rounds).toHaveLength(2);
    gates[1]!(); // the second round ends first: the waiting entries go as one batch
    expect(await b).toBe(2);
    await new Promise((r) => setTimeout(r, 5));
    expect(rounds).toEqual([[1], [2], [3, 4, 5]]);
    gates[0]!();
    gates[2]!();
    expect(await Promise.all([a, ...waiting])).toEqual([1, 3, 4, 5]);
  });
});

describe("splitBySize (CT batcher calls)", () => {
  const sub = (n: number): Submission => ({ entry: { type: "x509", certificate: new Uint8Array(n) }, issuers: [new Uint8Array(100)] });
  it("keeps order, cuts before a part would pass the limit, and sends an oversized submission alone", () => {
    const batch = [sub(400), sub(400), sub(400), sub(5000), sub(100)];
    const parts = splitBySize(batch, 1100);
    expect(parts.map((p) => p.length)).toEqual([2, 1, 1, 1]);
    expect(parts.flat()).toEqual(batch);
    expect(splitBySize([], 1100)).toEqual([]);
  });
});
