import { describe, expect, it } from "vitest";
import { checkDnsName, checkIpAddress } from "../../src/names/identifiers.ts";
import { formatIP, parseIPv6 } from "../../src/names/ip.ts";

describe("DNS names", () => {
  it.each(["example.com", "a.b.example.com", "*.example.com", "xn--bcher-kva.example", "EXAMPLE.com", "a-b.co"])("accepts %s", (n) => {
    expect(checkDnsName(n).ok).toBe(true);
  });
  it.each([
    ["a..b", "empty label"],
    ["*.*.x", "wildcard"],
    ["-x.com", "letters, digits"],
    ["x-.com", "letters, digits"],
    [`${"a".repeat(64)}.com`, "limit is 63"],
    [`${"abcdefghi.".repeat(25)}abcd`, "limit is 253"],
    ["192.0.2.1", "IP address"],
    ["localhost", "two labels"],
    ["foo.*.example.com", "wildcard"],
    ["ab--cd.example", "R-LDH"],
    ["xn--abc-.example", "letters"],
    ["xn--.example", "letters"],
    ["under_score.example", "letters"],
    ["*.com", "two labels below"],
    ["example.com.", "dot"],
  ])("rejects %s", (n, why) => {
    const r = checkDnsName(n);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(why);
  });
});

describe("IP addresses", () => {
  it("formats IPv6 per RFC 5952", () => {
    expect(formatIP(parseIPv6("2001:0db8:0000:0000:0000:0000:0000:0001")!)).toBe("2001:db8::1");
    expect(formatIP(parseIPv6("2001:db8:0:1:1:1:1:1")!)).toBe("2001:db8:0:1:1:1:1:1");
    expect(formatIP(parseIPv6("2001:0:0:1:0:0:0:1")!)).toBe("2001:0:0:1::1");
    expect(formatIP(parseIPv6("::ffff:192.0.2.1")!)).toBe("::ffff:c000:201");
  });
  it("rejects malformed IPv6", () => {
    for (const s of ["1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "g::1", ":::", "1:2:3:4:5:6:7"]) expect(parseIPv6(s)).toBeNull();
  });
  it("refuses unspecified and multicast", () => {
    expect(checkIpAddress(new Uint8Array(16)).ok).toBe(false);
    expect(checkIpAddress(new Uint8Array([224, 0, 0, 1])).ok).toBe(false);
    expect(checkIpAddress(new Uint8Array([192, 0, 2, 1])).ok).toBe(true);
  });
});
