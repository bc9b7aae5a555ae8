import { describe, expect, it } from "vitest";
import { toHex } from "../../src/encoding/bytes.ts";
import {
  compareNames, isSubdomain, labelCount, nameToWire, parentName, parseName, relativeName, splitName,
} from "../../src/dns/names.ts";

describe("DNS names", () => {
  it("normalizes to absolute lowercase keys", () => {
    expect(parseName("WWW.Example.COM.")).toEqual({ ok: true, name: "www.example.com." });
    expect(parseName("www", "Example.com.")).toEqual({ ok: true, name: "www.example.com." });
    expect(parseName("@", "example.com.")).toEqual({ ok: true, name: "example.com." });
    expect(parseName(".")).toEqual({ ok: true, name: "." });
    expect(parseName("a\\.b.example.")).toEqual({ ok: true, name: "a\\.b.example." });
    expect(parseName("\\065bc.example.")).toEqual({ ok: true, name: "abc.example." });
    expect(parseName("\\000.example.")).toEqual({ ok: true, name: "\\000.example." });
  });

  it.each([
    ["a..b.", "empty label"],
    [".a.", "empty label"],
    [`${"a".repeat(64)}.`, "63"],
    [`${"abcdefghi.".repeat(26)}`, "255"],
    ["www", "relative"],
    ["bad name.", "printable"],
    ["\\300.x.", "octet"],
  ])("rejects %s", (text, why) => {
    const r = parseName(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(why);
  });

  it("encodes the canonical wire form (RFC 4034 §6.2)", () => {
    expect(toHex(nameToWire("www.example.com."))).toBe("03777777076578616d706c6503636f6d00");
    expect(toHex(nameToWire("."))).toBe("00");
    expect(toHex(nameToWire("a\\.b.c."))).toBe("03612e620163" + "00");
  });

  it("sorts in RFC 4034 §6.1 canonical order (the RFC's own example)", () => {
    const ordered = [
      "example.", "a.example.", "yljkjljk.a.example.", "z.a.example.", "zabc.a.example.", "z.example.",
      "\\001.z.example.", "*.z.example.", "\\200.z.example.",
    ];
    const shuffled = [...ordered].reverse();
    expect(shuffled.sort(compareNames)).toEqual(ordered);
  });

  it("answers tree questions on label boundaries", () => {
    expect(isSubdomain("www.example.com.", "example.com.")).toBe(true);
    expect(isSubdomain("example.com.", "example.com.")).toBe(true);
    expect(isSubdomain("xexample.com.", "example.com.")).toBe(false);
    expect(isSubdomain("a\\.example.com.", "example.com.")).toBe(false);
    expect(isSubdomain("anything.", ".")).toBe(true);
    expect(parentName("a.b.")).toBe("b.");
    expect(parentName("b.")).toBe(".");
    expect(parentName(".")).toBeNull();
    expect(splitName("a\\.b.c.")).toEqual(["a\\.b", "c"]);
    expect(labelCount("*.example.com.")).toBe(2);
    expect(labelCount("www.example.com.")).toBe(3);
    expect(relativeName("www.example.com.", "example.com.")).toBe("www");
    expect(relativeName("example.com.", "example.com.")).toBe("@");
    expect(relativeName("other.net.", "example.com.")).toBe("other.net.");
  });
});
