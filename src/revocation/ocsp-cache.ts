// Signed OCSP responses kept for reuse. The CaSigner, the one object that signs every
// certificate, signed a new response for every OCSP request: 45 µs with the classical issuing CA,
// about 6 ms with the ML-DSA-65 one, so relying parties asking about one popular certificate could
// take the whole object. RFC 5019 §2.2.2 lets a responder serve responses produced ahead of the
// request. A response is reused only for a request without a nonce (a nonce asks for a response of
// its own) about one certificate, for at most OCSP_REUSE_SECONDS, and never after a revocation:
// the CaSigner clears the cache when it revokes, and a response whose status was read before that
// is not kept.

import type { Bytes } from "../encoding/bytes.ts";

/** How long a signed response is served again; its nextUpdate stays at least this much closer. */
export const OCSP_REUSE_SECONDS = 300;

interface Entry {
  response: Bytes;
  producedAtMs: number;
}

export class OcspResponseCache {
  readonly #entries = new Map<string, Entry>();
  #generation = 0;

  constructor(private readonly max = 10_000) {}

  /** Taken before the status is read; put() drops a response whose generation was cleared since. */
  get generation(): number {
    return this.#generation;
  }

  get(key: string, nowMs: number): Bytes | null {
    const e = this.#entries.get(key);
    if (!e) return null;
    if (nowMs - e.producedAtMs < OCSP_REUSE_SECONDS * 1000) return e.response;
    this.#entries.delete(key);
    return null;
  }

  put(key: string, response: Bytes, producedAtMs: number, generation: number): void {
    if (generation !== this.#generation) return;
    this.#entries.delete(key);
    this.#entries.set(key, { response, producedAtMs });
    // Oldest first: Map keeps insertion order.
    while (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** After a revocation: nothing produced before it is served again. */
  clear(): void {
    this.#entries.clear();
    this.#generation++;
  }
}
