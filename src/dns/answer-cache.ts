// The isolate's in-memory cache of DoH answers, in front of the edge Cache API. Keys carry the
// zone apex and SOA serial (see registry.ts), so a change to a zone makes its old entries
// unreachable at once; they age out by TTL or least-recent use.

export interface CachedAnswer {
  /** Wire message (ID to be patched) or JSON text. */
  body: Uint8Array | string;
  ttl: number;
}

/** Entries live at most this long, whatever their TTL: bounds how old a served RRSIG can be. */
export const MAX_ENTRY_SECONDS = 3600;

/**
 * A hit moves its entry to the recent end at most this often. Moving it on every hit (a delete
 * and a set) left a hole in the Map's table per query, and busy entries are hit thousands of times
 * a second; least-recent eviction only needs the order to within a second.
 */
const RECENCY_MS = 1000;

export class AnswerCache<T extends CachedAnswer = CachedAnswer> {
  readonly #entries = new Map<string, T & { until: number; used: number }>();
  readonly #max: number;

  constructor(max = 20_000) {
    this.#max = max;
  }

  get(key: string, nowMs: number): T | null {
    const e = this.#entries.get(key);
    if (!e) return null;
    if (e.until <= nowMs) {
      this.#entries.delete(key);
      return null;
    }
    if (nowMs - e.used >= RECENCY_MS) {
      this.#entries.delete(key);
      this.#entries.set(key, e); // most recently used last
      e.used = nowMs;
    }
    return e;
  }

  set(key: string, value: T, nowMs: number): void {
    if (value.ttl <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { ...value, until: nowMs + Math.min(value.ttl, MAX_ENTRY_SECONDS) * 1000, used: nowMs });
    while (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  get size(): number {
    return this.#entries.size;
  }
}
