// InFlight: identical work in flight is shared, settled work (success or failure) is not kept,
// and past its bound work runs unshared.

import { describe, expect, it } from "vitest";
import { InFlight } from "../../src/concurrency/in-flight.ts";

function deferred<T>() {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe("InFlight", () => {
  it("shares work for a key while it runs and forgets it once it settles", async () => {
    const f = new InFlight<number>();
    const d = deferred<number>();
    let starts = 0;
    const held: Promise<void>[] = [];
    const start = () => (starts++, d.promise);
    const a = f.share("k", start, (s) => held.push(s));
    const b = f.share("k", start, (s) => held.push(s));
    expect(a).toBe(b);
    expect(starts).toBe(1);
    expect(held).toHaveLength(1);
    d.resolve(7);
    expect(await b).toBe(7);
    await held[0];
    expect(f.size).toBe(0);
    await f.share("k", async () => (starts++, 8));
    expect(starts).toBe(2);
  });

  it("does not keep a failure: the next caller starts again", async () => {
    const f = new InFlight<number>();
    const d = deferred<number>();
    const a = f.share("k", () => d.promise);
    d.reject(new Error("down"));
    await expect(a).rejects.toThrow("down");
    await Promise.resolve();
    expect(f.size).toBe(0);
    expect(await f.share("k", async () => 1)).toBe(1);
  });

  it("runs work unshared past its bound", async () => {
    const f = new InFlight<number>(1);
    const d = deferred<number>();
    f.share("a", () => d.promise);
    let starts = 0;
    const start = () => (starts++, d.promise);
    f.share("b", start);
    f.share("b", start);
    expect(starts).toBe(2);
    expect(f.size).toBe(1);
    d.resolve(0);
  });
});
