// The submission pool: a bounded queue drained by one round at a time. A round never starts while
// another runs, so entries that arrive during a round make up the next batch (group commit), and
// rounds start at most every `windowMs`: a submission to an idle log is sequenced at once, while
// under load the next round waits out the rest of the window after the previous one started (or
// until a full batch waits), so that batches grow with the load instead of the round rate (see
// log-config.ts for the defaults). Every submitter waits for the outcome of its own round.
//
// A batcher (durable-objects/ct-batcher.ts) uses the same pool with several rounds in flight: its
// "round" is one call carrying a batch to the log object, which answers only after the log's own
// round, so one at a time would leave every other log round without this batcher's entries.

interface Waiter<T, R> {
  readonly item: T;
  resolve(result: R): void;
  reject(e: unknown): void;
}

export interface PoolOptions {
  readonly batchMax: number;
  /** Minimum time between the starts of two rounds; a full batch does not wait. */
  readonly windowMs: number;
  readonly poolMax: number;
  /** Rounds that may run at once (1 unless given). */
  readonly maxInFlight?: number;
}

export class SequencingPool<T, R> {
  #waiting: Waiter<T, R>[] = [];
  #running = 0;
  readonly #maxInFlight: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #lastStart = -Infinity;
  /** Whether submissions were waiting when the last round ended: the log is under load. */
  #loaded = false;

  /** `round` returns one result per item, in order; if it throws, every item of the batch fails with it. */
  constructor(
    private readonly round: (items: T[]) => Promise<R[]>,
    private readonly options: PoolOptions,
  ) {
    this.#maxInFlight = options.maxInFlight ?? 1;
  }

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

  /**
   * Starts a round at once when a full batch waits; otherwise makes sure a timer starts one when
   * the window allows. Even then the timer runs first (a zero delay): submissions already on
   * their way in the same turn of the event loop join the round.
   */
  #schedule(): void {
    if (this.#running >= this.#maxInFlight || this.#waiting.length === 0) return;
    if (this.#waiting.length >= this.options.batchMax) {
      this.#clearTimer();
      void this.#drain();
    } else if (this.#timer === null) {
      const due = this.#loaded ? this.#lastStart + this.options.windowMs : 0;
      this.#timer = setTimeout(() => {
        this.#timer = null;
        if (Date.now() >= due) void this.#drain();
        else this.#schedule();
      }, Math.max(0, due - Date.now()));
    }
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #drain(): Promise<void> {
    if (this.#running >= this.#maxInFlight || this.#waiting.length === 0) return;
    this.#running++;
    const batch = this.#waiting.splice(0, this.options.batchMax);
    this.#lastStart = Date.now();
    try {
      const results = await this.round(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (e) {
      for (const w of batch) w.reject(e);
    } finally {
      this.#running--;
      this.#loaded = this.#waiting.length > 0;
      this.#schedule();
    }
  }
}
