// The isolate's memory cache of DoH answers: entries expire by TTL (at most an hour), and the
// least recently used go first when it is full, recency being kept to within a second.

import { describe, expect, it } from "vitest";
import { AnswerCache, MAX_ENTRY_SECONDS } from "../../src/dns/answer-cache.ts";

const answer = (ttl: number, tag = "") => ({ body: `answer ${tag}`, ttl });

describe("AnswerCache", () => {
  it("serves an entry until its TTL, and never past the hour", () => {
    const c = new AnswerCache();
    c.set("a", answer(60), 0);
    expect(c.get("a", 59_999)?.body).toBe("answer ");
    expect(c.get("a", 60_000)).toBeNull();
    expect(c.size).toBe(0);
    c.set("b", answer(86_400), 0);
    expect(c.get("b", MAX_ENTRY_SECONDS * 1000 - 1)).not.toBeNull();
    expect(c.get("b", MAX_ENTRY_SECONDS * 1000)).toBeNull();
  });

  it("keeps nothing without a TTL", () => {
    const c = new AnswerCache();
    c.set("a", answer(0), 0);
    expect(c.get("a", 0)).toBeNull();
  });

  it("evicts the least recently used entry when full", () => {
    const c = new AnswerCache(2);
    c.set("a", answer(300, "a"), 0);
    c.set("b", answer(300, "b"), 0);
    expect(c.get("a", 5_000)).not.toBeNull(); // a is now more recent than b
    c.set("c", answer(300, "c"), 5_000);
    expect(c.get("b", 5_000)).toBeNull();
    expect(c.get("a", 5_000)?.body).toBe("answer a");
    expect(c.get("c", 5_000)?.body).toBe("answer c");
  });

  it("counts hits within a second of the last refresh as no newer", () => {
    const c = new AnswerCache(2);
    c.set("a", answer(300, "a"), 0);
    c.set("b", answer(300, "b"), 0);
    expect(c.get("a", 999)).not.toBeNull(); // too soon after a was set: its place is unchanged
    c.set("c", answer(300, "c"), 999);
    expect(c.get("a", 999)).toBeNull();
    expect(c.get("b", 999)).not.toBeNull();
  });

  it("a replaced entry takes its new value and TTL", () => {
    const c = new AnswerCache();
    c.set("a", answer(10, "old"), 0);
    c.set("a", answer(100, "new"), 5_000);
    expect(c.get("a", 50_000)?.body).toBe("answer new");
    expect(c.size).toBe(1);
  });
});
