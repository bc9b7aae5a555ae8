// Token buckets, limit settings and client keys, plus a seeded fuzz of the settings and key parsers.

import { describe, expect, it } from "vitest";
import { type BucketState, clientKey, parseLimit, take } from "../../src/ratelimit/bucket.ts";
import { mulberry32 } from "../support/prng.ts";

describe("token bucket", () => {
  it("admits a burst of capacity, then refills at capacity/period", () => {
    const spec = { capacity: 5, periodSeconds: 10 };
    let state: BucketState | undefined;
    const admitted: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = take(state, spec, 1, 1_000_000);
      state = r.state;
      admitted.push(r.result.granted);
    }
    expect(admitted).toEqual([1, 1, 1, 1, 1, 0, 0, 0]);
    const refused = take(state, spec, 1, 1_000_000);
    expect(refused.result).toEqual({ granted: 0, retryAfterSeconds: 2 }); // one token per 2 s
    expect(take(state, spec, 1, 1_000_000 + 1999).result.granted).toBe(0);
    expect(take(state, spec, 1, 1_000_000 + 2000).result.granted).toBe(1);
    expect(take(state, spec, 1, 1_000_000 + 60_000).state.tokens).toBe(4); // capped at capacity
  });

  it("grants leases of up to `want` tokens, never more than it holds", () => {
    const spec = { capacity: 100, periodSeconds: 1 };
    const a = take(undefined, spec, 60, 0);
    expect(a.result.granted).toBe(60);
    const b = take(a.state, spec, 60, 0);
    expect(b.result.granted).toBe(40);
    expect(take(b.state, spec, 60, 0).result.granted).toBe(0);
  });
});

describe("limit settings", () => {
  it("parses <requests>/<seconds> and off", () => {
    expect(parseLimit("300/60", "X")).toEqual({ capacity: 300, periodSeconds: 60 });
    expect(parseLimit(" 5 / 2 ", "X")).toEqual({ capacity: 5, periodSeconds: 2 });
    expect(parseLimit("off", "X")).toBeNull();
    expect(parseLimit("", "X")).toBeNull();
    expect(parseLimit(undefined, "X")).toBeNull();
    for (const bad of ["0/60", "5/0", "5", "five/60", "-1/60", "1.5/60", "5/60s"]) expect(() => parseLimit(bad, "X"), bad).toThrow(/X must be/);
  });

  it("client keys: IPv4 as is, IPv6 by /64, absent as unknown", () => {
    expect(clientKey("192.0.2.1")).toBe("192.0.2.1");
    expect(clientKey("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:DB8:1:2:ffff::")).toBe("2001:db8:1:2::/64");
    expect(clientKey("::1")).toBe("0:0:0:0::/64");
    expect(clientKey(null)).toBe("unknown");
  });

  it("never throws on arbitrary input (seeded fuzz)", () => {
    const rand = mulberry32(0x0b5);
    const alphabet = "0123456789abcdef:/. offx-";
    for (let i = 0; i < 5000; i++) {
      const text = Array.from({ length: Math.floor(rand() * 24) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join("");
      expect(typeof clientKey(text)).toBe("string");
      try {
        const spec = parseLimit(text, "X");
        if (spec) expect(spec.capacity >= 1 && spec.periodSeconds >= 1).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(RangeError);
      }
    }
  });
});
