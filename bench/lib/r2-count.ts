// Counts the objects (and their bytes) under a prefix of a Miniflare R2 bucket, so a benchmark
// can report storage writes per operation from the outside, without instrumenting the Worker.

export interface R2Count {
  objects: number;
  bytes: number;
}

interface ListableBucket {
  list(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<{ objects: { size: number }[]; truncated: boolean; cursor?: string }>;
}

export async function countR2(bucket: unknown, prefix: string): Promise<R2Count> {
  const b = bucket as ListableBucket;
  let objects = 0;
  let bytes = 0;
  let cursor: string | undefined;
  for (;;) {
    const page = await b.list({ prefix, limit: 1000, ...(cursor ? { cursor } : {}) });
    objects += page.objects.length;
    for (const o of page.objects) bytes += o.size;
    if (!page.truncated) break;
    cursor = page.cursor;
  }
  return { objects, bytes };
}
