import { Buffer } from "node:buffer";
import * as dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/encoding/bytes.ts";
import { formatRdata, parseRdata, tokenize } from "../../src/dns/rdata-text.ts";
import { decodeRdata, decodeTypeBitmap, encodeRdata, encodeTypeBitmap } from "../../src/dns/rdata-wire.ts";
import { checkRRset, fromPacketAnswer, toPacketAnswers } from "../../src/dns/records.ts";
import { TYPE, type RRset, type RRType } from "../../src/dns/types.ts";

/** One sample per type, in presentation form. */
const SAMPLES: [RRType, string][] = [
  ["A", "192.0.2.1"],
  ["AAAA", "2001:db8::1"],
  ["CNAME", "target.example.com."],
  ["NS", "ns1.example.com."],
  ["PTR", "host.example.com."],
  ["MX", "10 mail.example.com."],
  ["TXT", '"v=spf1 -all" "second \\"quoted\\" string"'],
  ["SOA", "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300"],
  ["SRV", "10 60 5060 sip.example.com."],
  ["CAA", '0 issue "ca.example.net; account=123"'],
  ["TLSA", "3 1 1 " + "AB".repeat(32)],
  ["HTTPS", "1 . alpn=h3,h2 ipv4hint=192.0.2.1 ipv6hint=2001:db8::1"],
  ["SVCB", "16 foo.example.org. mandatory=alpn,ipv4hint alpn=h2,h3-19 ipv4hint=192.0.2.1"],
  ["DS", "55648 13 2 B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17"],
  ["DNSKEY", "257 3 13 GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA=="],
  ["RRSIG", "A 13 3 3600 20100909100439 20100812100439 55648 example.net. qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw=="],
  ["NSEC", "\\000.nx.example.com. RRSIG NSEC NXNAME"],
  ["HINFO", '"RFC8482" ""'],
];

function parse(type: RRType, text: string) {
  const t = tokenize(text);
  if (!t.ok) throw new Error(t.error);
  const r = parseRdata(type, t.tokens, "example.com.");
  if (!r.ok) throw new Error(r.error);
  return r.rdata;
}

describe("RDATA codecs", () => {
  it.each(SAMPLES)("%s: text → wire → text round trip", (type, text) => {
    const rd = parse(type, text);
    const wire = encodeRdata(type, rd);
    const back = decodeRdata(type, wire);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(toHex(encodeRdata(type, back.rdata))).toBe(toHex(wire));
    expect(formatRdata(type, back.rdata)).toBe(formatRdata(type, rd));
    const again = parse(type, formatRdata(type, rd));
    expect(toHex(encodeRdata(type, again))).toBe(toHex(wire));
  });

  it("encodes SVCB like RFC 9460 Appendix D.2 (Figure 8)", () => {
    const rd = parse("SVCB", "16 foo.example.org. alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1");
    expect(toHex(encodeRdata("SVCB", rd))).toBe(
      "0010" + "03666f6f076578616d706c65036f726700" + "00000004" + "00010004" + "00010009" + "02683205" + "68332d3139" + "00040004" + "c0000201",
    );
  });

  it("encodes NSEC bitmaps itself, including NXNAME and HTTPS (RFC 4034 §4.1.2)", () => {
    const bits = encodeTypeBitmap([TYPE.A, TYPE.MX, TYPE.RRSIG, TYPE.NSEC, TYPE.NXNAME, TYPE.HTTPS, TYPE.CAA]);
    expect(decodeTypeBitmap(bits)).toEqual([1, 15, 46, 47, 65, 128, 257]);
    // RFC 4034 §4.3 example: "A MX RRSIG NSEC TYPE1234".
    expect(toHex(encodeTypeBitmap([1, 15, 46, 47, 1234]))).toBe("0006400100000003" + "041b" + "00".repeat(26) + "20");
  });

  it("refuses RDATA over 65,535 octets however many parts it has (a 100,000-string TXT once overflowed the stack)", () => {
    for (const [type, text] of [
      ["TXT", "a ".repeat(100_000)],
      ["HTTPS", `1 . alpn=${"h2,".repeat(100_000)}h3`],
      ["HTTPS", `1 . ipv4hint=${"192.0.2.1,".repeat(100_000)}192.0.2.2`],
    ] as [RRType, string][]) {
      const t = tokenize(text);
      if (!t.ok) throw new Error(t.error);
      const rd = parseRdata(type, t.tokens, "example.com.");
      if (!rd.ok) continue; // refused while parsing is fine too
      expect(checkRRset({ name: "x.example.com.", type, ttl: 60, rdata: [rd.rdata] } as RRset)).toMatchObject({ ok: false, error: { message: "RDATA longer than 65535 octets" } });
    }
  });

  it("never throws decoding garbage RDATA", () => {
    for (let i = 0; i < 2000; i++) {
      const b = crypto.getRandomValues(new Uint8Array(i % 40));
      for (const [type] of SAMPLES) expect(() => decodeRdata(type, b)).not.toThrow();
    }
  });
});

describe("RRset validation", () => {
  const ok = (rr: RRset) => {
    const r = checkRRset(rr);
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  it("normalizes names, addresses and order, and drops duplicates", () => {
    const r = ok({ name: "WWW.Example.com.", type: "AAAA", ttl: 300, rdata: [{ address: "2001:DB8:0:0::2" }, { address: "2001:db8::1" }, { address: "2001:db8::2" }] });
    expect(r.name).toBe("www.example.com.");
    expect(r.rdata).toEqual([{ address: "2001:db8::1" }, { address: "2001:db8::2" }]);
  });
  it.each<[RRset, string]>([
    [{ name: "a.example.", type: "A", ttl: 60, rdata: [{ address: "300.1.1.1" }] }, "IPv4"],
    [{ name: "a.example.", type: "A", ttl: -1, rdata: [{ address: "1.1.1.1" }] }, "TTL"],
    [{ name: "a.example.", type: "A", ttl: 60, rdata: [] }, "at least one"],
    [{ name: "a.example.", type: "CNAME", ttl: 60, rdata: [{ target: "b.example." }, { target: "c.example." }] }, "exactly one"],
    [{ name: "a.example.", type: "TXT", ttl: 60, rdata: [{ strings: ["x".repeat(256)] }] }, "255"],
    [{ name: "a.example.", type: "CAA", ttl: 60, rdata: [{ flags: 0, tag: "is sue", value: "x" }] }, "tag"],
    [{ name: "a.example.", type: "TLSA", ttl: 60, rdata: [{ usage: 3, selector: 1, matchingType: 1, data: new Uint8Array(5) }] }, "32-octet"],
    [{ name: "a.example.", type: "HTTPS", ttl: 60, rdata: [{ priority: 1, target: ".", params: { noDefaultAlpn: true } }] }, "requires alpn"],
    [{ name: "a.example.", type: "HTTPS", ttl: 60, rdata: [{ priority: 0, target: "b.example.", params: { port: 1 } }] }, "AliasMode"],
    [{ name: "a.example.", type: "SVCB", ttl: 60, rdata: [{ priority: 1, target: ".", params: { mandatory: [3] } }] }, "missing"],
    [{ name: "a.example.", type: "DS", ttl: 60, rdata: [{ keyTag: 1, algorithm: 13, digestType: 2, digest: new Uint8Array(20) }] }, "length"],
    [{ name: "a.example.", type: "MX", ttl: 60, rdata: [{ preference: 70000, exchange: "m.example." }] }, "preference"],
  ])("refuses invalid data (%#)", (rr, why) => {
    const r = checkRRset(rr);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain(why);
  });
});

describe("dns-packet interoperability", () => {
  it.each(SAMPLES)("%s: dns-packet encodes our objects to our bytes and decodes them back", (type, text) => {
    const rrset = { name: "x.example.com.", type, ttl: 300, rdata: [parse(type, text)] } as RRset;
    const answers = toPacketAnswers(rrset);
    const packet = dnsPacket.encode({ type: "response", id: 1, answers: answers as dnsPacket.Answer[] });
    const decoded = dnsPacket.decode(packet);
    const rr = fromPacketAnswer(decoded.answers![0]!);
    if (!rr.ok) throw new Error(rr.error.message);
    expect(toHex(encodeRdata(type, rr.value.rdata[0] as never))).toBe(toHex(encodeRdata(type, rrset.rdata[0] as never)));
    // The RDATA octets inside dns-packet's message are exactly our canonical encoding.
    expect(toHex(packet)).toContain(toHex(encodeRdata(type, rrset.rdata[0] as never)));
  });

  it("reads raw RDATA that dns-packet leaves undecoded", () => {
    const raw = fromHex("00010000010006026833026832")!; // HTTPS 1 . alpn=h3,h2 (wire)
    const r = fromPacketAnswer({ name: "example.com", type: "UNKNOWN_65", ttl: 60, class: "IN", data: Buffer.from(raw) });
    expect(r.ok).toBe(true);
    if (r.ok) expect(formatRdata("HTTPS", r.value.rdata[0] as never)).toBe("1 . alpn=h3,h2");
  });
});
