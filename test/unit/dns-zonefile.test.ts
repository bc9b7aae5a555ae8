import { describe, expect, it } from "vitest";
import { tokenize } from "../../src/dns/rdata-text.ts";
import { encodeRdata } from "../../src/dns/rdata-wire.ts";
import type { RRset } from "../../src/dns/types.ts";
import { parseTtl, parseZoneFile, serializeZone } from "../../src/dns/zonefile.ts";
import { toHex } from "../../src/encoding/bytes.ts";
import zones from "../vectors/dns-zones.json";

const DEMO_ZONE = zones.demo;

const wireKey = (rrs: RRset[]) =>
  rrs.map((r) => `${r.name} ${r.type} ${r.ttl} ${(r.rdata as never[]).map((d) => toHex(encodeRdata(r.type, d))).join(",")}`).sort();

describe("zone files (RFC 1035 §5)", () => {
  it("parses directives, relative names, @, blank owners, parentheses, quotes and comments", () => {
    const r = parseZoneFile(DEMO_ZONE);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.origin).toBe("example.com.");
    const soa = r.rrsets.find((x) => x.type === "SOA")!;
    expect(soa).toEqual({
      name: "example.com.", type: "SOA", ttl: 3600,
      rdata: [{ mname: "ns1.example.com.", rname: "hostmaster.example.com.", serial: 2024010101, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300 }],
    });
    expect(r.rrsets.find((x) => x.type === "NS" && x.name === "example.com.")!.rdata).toEqual([{ host: "ns1.example.com." }, { host: "ns2.example.net." }]);
    expect(r.rrsets.find((x) => x.name === "www.example.com." && x.type === "A")!.ttl).toBe(300);
    const txt = r.rrsets.find((x) => x.name === "txt.example.com.")!;
    expect(txt.rdata).toEqual([{ strings: ["a;b", 'with "quotes"', new TextDecoder().decode(Uint8Array.of(0xa0, 1))] }]);
  });

  it("round-trips: parse(serialize(parse(text))) gives the same RRsets", () => {
    const a = parseZoneFile(DEMO_ZONE);
    if (!a.ok) throw new Error(JSON.stringify(a.errors));
    const text = serializeZone(a.origin, a.rrsets);
    const b = parseZoneFile(text);
    if (!b.ok) throw new Error(JSON.stringify(b.errors));
    expect(wireKey(b.rrsets)).toEqual(wireKey(a.rrsets));
    expect(serializeZone(b.origin, b.rrsets)).toBe(text);
    expect(text.split("\n")[1]).toMatch(/^@\t3600\tIN\tSOA\t/);
  });

  it("accepts TTL/class in either order and RFC 3597 generic RDATA", () => {
    const r = parseZoneFile("a.example. IN 60 A 192.0.2.1\nb.example. 60 IN A \\# 4 C0000202\n");
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.rrsets.map((x) => [x.name, x.ttl, x.rdata])).toEqual([
      ["a.example.", 60, [{ address: "192.0.2.1" }]],
      ["b.example.", 60, [{ address: "192.0.2.2" }]],
    ]);
  });

  it("reports other white space (form feed, vertical tab, no-break space) as part of a token, on its line", () => {
    // Such a character once stopped the tokenizers without consuming it: an endless loop.
    for (const ws of ["\f", "\v", "\u00a0", "\u2028"]) {
      const r = parseZoneFile(`$ORIGIN example.com.\n@ 3600 IN SOA ns1 host 1 2 3 4 5\nwww 300 IN A 192.0.2.1${ws}\n`);
      expect(r.ok ? null : r.errors.map((e) => e.line), JSON.stringify(ws)).toEqual([3]);
      expect(tokenize(`a${ws}b "c"`)).toEqual({ ok: true, tokens: [{ text: `a${ws}b`, quoted: false }, { text: "c", quoted: true }] });
    }
  });

  it("parses TTL units", () => {
    expect(parseTtl("3600")).toBe(3600);
    expect(parseTtl("1h30m")).toBe(5400);
    expect(parseTtl("1w")).toBe(604800);
    expect(parseTtl("1x")).toBeNull();
    expect(parseTtl("4294967295")).toBeNull();
  });

  it.each([
    ["$ORIGIN example.\n@ 60 IN A 192.0.2.300\n", 2, "IPv4"],
    ["$ORIGIN example.\n\n\nwww 60 IN AAAA nope\n", 4, "IPv6"],
    ["$ORIGIN example.\nwww 60 IN WKS 1 2\n", 2, "unsupported record type"],
    ["www 60 IN A 192.0.2.1\n", 1, "relative"],
    ["$ORIGIN example.\n@ IN A 192.0.2.1\n", 2, "no TTL"],
    ["$ORIGIN example.\n@ 60 IN TXT \"unterminated\n", 2, "unterminated"],
    ["$ORIGIN example.\n@ 60 IN SOA ( a b 1 2 3 4\n", 2, "unbalanced"],
    ["$ORIGIN example.\na 60 IN A 192.0.2.1\na 61 IN A 192.0.2.2\n", 3, "RFC 2181"],
    ["$INCLUDE other.zone\n", 1, "not supported"],
    ["$ORIGIN example.\na 60 CH TXT \"x\"\n", 2, "class CH"],
    ["$ORIGIN example.\na 60 IN MX mail\n", 2, "MX"],
  ])("reports errors with line numbers (%#)", (text, line, why) => {
    const r = parseZoneFile(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors[0]!.line).toBe(line);
      expect(r.errors[0]!.message).toContain(why);
    }
  });
});
