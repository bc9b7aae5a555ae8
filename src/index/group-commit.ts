// Group commit: writes that arrive while a commit is in flight are gathered and committed together
// in the next one. Each caller still waits for its own write to be durable, so "indexed before
// returned" holds, but under load one D1 round trip carries many certificates instead of one.

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class GroupCommit<T> {
  #pending: Pending<T>[] = [];
  #running = false;

  /**
   * `delayMs` > 0 makes the first item of an idle period wait that long for company: for work
   * nobody waits on, fewer and larger commits are worth more than latency.
   */
  constructor(
    private readonly commit: (items: T[]) => Promise<void>,
    private readonly maxBatch = 128,
    private readonly delayMs = 0,
  ) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (this.#running) return;
      this.#running = true;
      if (this.delayMs > 0) setTimeout(() => void this.#drain(), this.delayMs);
      else void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, this.maxBatch);
        try {
          await this.commit(batch.map((p) => p.item));
          for (const p of batch) p.resolve();
        } catch (e) {
          if (batch.length === 1) {
            batch[0]!.reject(e);
            continue;
          }
          // One bad item must not fail the others: the batch was atomic, so retry each alone.
          for (const p of batch) {
            try {
              await this.commit([p.item]);
              p.resolve();
            } catch (err) {
              p.reject(err);
            }
          }
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
