// The submission pool: a bounded queue drained by one round at a time. A round starts when the
// pool holds a full batch or `windowMs` after the first entry arrived in an empty pool (or after
// the previous round, when entries are already waiting), and never while another round runs, so
// entries that arrive during a round make up the next batch (see log-config.ts for the CT log's
// defaults). Every submitter waits for the outcome of its own round.

interface Waiter<T, R> {
  readonly item: T;
  resolve(result: R): void;
  reject(e: unknown): void;
}

export interface PoolOptions {
  readonly batchMax: number;
  /** A fixed window, or one chosen when an empty pool gets its first item (e.g. by recent load). */
  readonly windowMs: number | (() => number);
  readonly poolMax: number;
}

export class SequencingPool<T, R> {
  #waiting: Waiter<T, R>[] = [];
  #running = false;
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** `round` returns one result per item, in order; if it throws, every item of the batch fails with it. */
  constructor(
    private readonly round: (items: T[]) => Promise<R[]>,
    private readonly options: PoolOptions,
  ) {}

  /** Entries waiting for a round (not counting the one running). */
  get size(): number {
    return this.#waiting.length;
  }

  /** Queues an item; null when the pool is full (the caller answers 503 with Retry-After). */
  offer(item: T): Promise<R> | null {
    if (this.#waiting.length >= this.options.poolMax) return null;
    return new Promise<R>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #window(): number {
    const w = this.options.windowMs;
    return typeof w === "number" ? w : w();
  }

  #schedule(): void {
    if (this.#running) return;
    if (this.#waiting.length >= this.options.batchMax) {
      this.#clearTimer();
      void this.#drain();
    } else if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        void this.#drain();
      }, this.#window());
    }
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      const batch = this.#waiting.splice(0, this.options.batchMax);
      try {
        const results = await this.round(batch.map((w) => w.item));
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (e) {
        for (const w of batch) w.reject(e);
      }
    } finally {
      this.#running = false;
      // What arrived during the round is the next batch: at once with no window, else after it
      // (a window chosen by load keeps gathering while the pool is busy).
      if (this.#waiting.length > 0) {
        if (this.#waiting.length >= this.options.batchMax || this.#window() <= 0) void this.#drain();
        else this.#schedule();
      }
    }
  }
}
