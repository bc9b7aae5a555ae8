// RateLimiter: one object per limited key ("<limit>:<key>"), holding that key's token bucket, so
// every isolate and every location draws from the same bucket. The bucket lives in memory: if the
// object is evicted after idling, the key starts again with a full bucket, which is what an idle
// key would have had anyway.

import { DurableObject } from "cloudflare:workers";
import { type BucketState, type LimitSpec, type TakeResult, take } from "../src/ratelimit/bucket.ts";
import type { Env } from "../workers/env.ts";

export class RateLimiter extends DurableObject<Env> {
  #bucket: BucketState | undefined;
  #spec: string | undefined;

  /** For /health: the object answers. */
  async ping(): Promise<true> {
    return true;
  }

  async take(spec: LimitSpec, want: number): Promise<TakeResult> {
    const specKey = `${spec.capacity}/${spec.periodSeconds}`;
    if (specKey !== this.#spec) {
      this.#bucket = undefined; // the limit was reconfigured: start from the new capacity
      this.#spec = specKey;
    }
    const r = take(this.#bucket, spec, want, Date.now());
    this.#bucket = r.state;
    return r.result;
  }
}
