// Reading a body without trusting its size: requests we answer and responses we fetch (ACME
// validation) are both read through this, stopping as soon as the limit is passed.

import { type Bytes, concatBytes } from "./bytes.ts";

/** All bytes of the stream, or null as soon as it exceeds `limit` (the rest is cancelled). */
export async function readLimited(stream: ReadableStream<Uint8Array> | null, limit: number): Promise<Bytes | null> {
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}
