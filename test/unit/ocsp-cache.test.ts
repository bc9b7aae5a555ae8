// Reused OCSP responses (src/revocation/ocsp-cache.ts): kept for at most OCSP_REUSE_SECONDS,
// gone after clear(), and a response read under a generation that was cleared is not kept.

import { describe, expect, it } from "vitest";
import { OCSP_REUSE_SECONDS, OcspResponseCache } from "../../src/revocation/ocsp-cache.ts";

const bytes = (n: number) => Uint8Array.of(n);

describe("OcspResponseCache", () => {
  it("serves a response for OCSP_REUSE_SECONDS after it was produced", () => {
    const c = new OcspResponseCache();
    c.put("a", bytes(1), 1_000, c.generation);
    expect(c.get("a", 1_000 + OCSP_REUSE_SECONDS * 1000 - 1)).toEqual(bytes(1));
    expect(c.get("a", 1_000 + OCSP_REUSE_SECONDS * 1000)).toBeNull();
    expect(c.get("b", 1_000)).toBeNull();
  });

  it("forgets everything on clear(), and drops a put begun before it", () => {
    const c = new OcspResponseCache();
    c.put("a", bytes(1), 0, c.generation);
    const before = c.generation; // a request that read the status before a revocation
    c.clear();
    expect(c.get("a", 0)).toBeNull();
    c.put("b", bytes(2), 0, before);
    expect(c.get("b", 0)).toBeNull();
    c.put("b", bytes(3), 0, c.generation);
    expect(c.get("b", 0)).toEqual(bytes(3));
  });

  it("keeps at most its bound, dropping the oldest", () => {
    const c = new OcspResponseCache(2);
    for (const k of ["a", "b", "c"]) c.put(k, bytes(k.charCodeAt(0)), 0, c.generation);
    expect(c.get("a", 0)).toBeNull();
    expect(c.get("b", 0)).not.toBeNull();
    expect(c.get("c", 0)).not.toBeNull();
  });
});
