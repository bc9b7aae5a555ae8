// Work in flight, shared by key: a caller asking for a key whose work is still running waits on
// the same promise instead of starting it again (the zone signer's RRSIGs, DoH misses asking a
// zone's object). An entry leaves as its work settles, failures included, so nothing is kept
// here: whatever should be remembered, a cache does. Past `max` distinct keys, work still runs
// but is not shared, which bounds the map whatever the load.

export class InFlight<T> {
  readonly #pending = new Map<string, Promise<T>>();

  constructor(private readonly max = 10_000) {}

  /**
   * The running work for `key`, or `start()`'s, shared until it settles. `hold` gets the promise
   * of the entry's removal when the work is shared: a Worker passes it to `ctx.waitUntil` so the
   * request that started the work is not ended (cancelling it for everyone) before it settles.
   */
  share(key: string, start: () => Promise<T>, hold?: (settled: Promise<void>) => void): Promise<T> {
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const p = start();
    if (this.#pending.size < this.max) {
      this.#pending.set(key, p);
      const forget = (): void => void this.#pending.delete(key);
      const settled = p.then(forget, forget);
      hold?.(settled);
    }
    return p;
  }

  get size(): number {
    return this.#pending.size;
  }
}
