// Setup file of the e2e project. Node's fetch (undici) keeps connections to `wrangler dev`'s
// proxy alive between requests; when the proxy closes an idle connection just as undici reuses
// it, the request fails with "other side closed" before the server saw it (seen once in a full
// run on a loaded machine: UND_ERR_SOCKET after the previous response was read). Idempotent
// requests are retried once on that error; anything else, and every other error, is untouched.

const original = globalThis.fetch;

function socketClosed(e: unknown): boolean {
  const cause = e instanceof Error ? (e.cause as { code?: string } | undefined) : undefined;
  return cause?.code === "UND_ERR_SOCKET";
}

globalThis.fetch = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
  const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
  try {
    return await original(input, init);
  } catch (e) {
    if ((method !== "GET" && method !== "HEAD") || !socketClosed(e)) throw e;
    return original(input, init);
  }
};
