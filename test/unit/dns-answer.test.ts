import { Buffer } from "node:buffer";
import * as dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { answerQuery, negativeTtl, respond } from "../../src/dns/answer.ts";
import { responseToJson, jsonQuery } from "../../src/dns/json.ts";
import { buildQuery, decodeQuery, RCODE, type DnsResponse } from "../../src/dns/message.ts";
import { formatRdata } from "../../src/dns/rdata-text.ts";
import { TYPE, type RData, type RRset, type RRsetOf } from "../../src/dns/types.ts";
import { buildZone, findZone, type Zone } from "../../src/dns/zone.ts";
import { parseZoneFile } from "../../src/dns/zonefile.ts";
import zones from "../vectors/dns-zones.json";

function zoneFrom(text: string, apex: string): Zone {
  const p = parseZoneFile(text, { origin: apex });
  if (!p.ok) throw new Error(JSON.stringify(p.errors));
  const z = buildZone(apex, p.rrsets);
  if (!z.ok) throw new Error(JSON.stringify(z.errors));
  return z.zone;
}

const demo = zoneFrom(zones.demo, "example.com.");
const rfc4592 = zoneFrom(zones.rfc4592, "example.");

async function ask(zone: Zone | null, name: string, type: number, opts: { do?: boolean; edns?: boolean } = {}): Promise<DnsResponse> {
  const d = decodeQuery(buildQuery(name, type, { id: 4242, ...opts }));
  if (!d.ok) throw new Error("query did not decode");
  return answerQuery(d.query, zone);
}

/** Presentation lines "owner TYPE rdata" of a section, for compact assertions. */
const lines = (rrsets: RRset[]) =>
  rrsets.flatMap((rr) => (rr.rdata as RData[]).map((rd) => `${rr.name} ${rr.ttl} ${rr.type} ${formatRdata(rr.type, rd as never)}`));

describe("answer engine on a realistic zone", () => {
  it("answers A/AAAA authoritatively", async () => {
    const r = await ask(demo, "WWW.Example.COM.", TYPE.AAAA);
    expect(r.rcode).toBe(RCODE.NOERROR);
    expect(r.aa).toBe(true);
    expect(r.question!.name).toBe("WWW.Example.COM.");
    expect(lines(r.answer)).toEqual(["www.example.com. 300 AAAA 2001:db8::10"]);
    expect(r.authority).toEqual([]);
  });

  it("follows CNAME chains inside the zone", async () => {
    const r = await ask(demo, "chain.example.com.", TYPE.A);
    expect(lines(r.answer)).toEqual([
      "chain.example.com. 3600 CNAME alias.example.com.",
      "alias.example.com. 3600 CNAME www.example.com.",
      "www.example.com. 300 A 192.0.2.10",
    ]);
    const c = await ask(demo, "chain.example.com.", TYPE.CNAME);
    expect(lines(c.answer)).toEqual(["chain.example.com. 3600 CNAME alias.example.com."]);
  });

  it("stops on CNAME loops and at the zone edge", async () => {
    const loop = await ask(demo, "loop1.example.com.", TYPE.A);
    expect(loop.rcode).toBe(RCODE.NOERROR);
    expect(lines(loop.answer)).toEqual(["loop1.example.com. 3600 CNAME loop2.example.com.", "loop2.example.com. 3600 CNAME loop1.example.com."]);
    const out = await ask(demo, "outside.example.com.", TYPE.A);
    expect(lines(out.answer)).toEqual(["outside.example.com. 3600 CNAME www.example.org."]);
    expect(out.authority).toEqual([]);
  });

  it("answers NXDOMAIN and NODATA with the SOA and the RFC 2308 negative TTL", async () => {
    const nx = await ask(demo, "nope.example.com.", TYPE.A);
    expect(nx.rcode).toBe(RCODE.NXDOMAIN);
    expect(nx.aa).toBe(true);
    expect(nx.answer).toEqual([]);
    expect(lines(nx.authority)).toEqual(["example.com. 300 SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300"]);
    const nodata = await ask(demo, "www.example.com.", TYPE.MX);
    expect(nodata.rcode).toBe(RCODE.NOERROR);
    expect(nodata.answer).toEqual([]);
    expect(nodata.authority[0]!.type).toBe("SOA");
    // Empty non-terminal: y.deep exists because x.y.deep does.
    const ent = await ask(demo, "y.deep.example.com.", TYPE.A);
    expect(ent.rcode).toBe(RCODE.NOERROR);
    expect(ent.authority[0]!.type).toBe("SOA");
    // CNAME to a missing name: NXDOMAIN with the CNAME in the answer (RFC 6604 §2).
    const dangling = await ask(demo, "dangling.example.com.", TYPE.A);
    expect(dangling.rcode).toBe(RCODE.NXDOMAIN);
    expect(lines(dangling.answer)).toEqual(["dangling.example.com. 3600 CNAME missing.example.com."]);
  });

  it("computes the negative TTL as min(SOA TTL, SOA MINIMUM) (RFC 2308 §5)", () => {
    const soa = (ttl: number, minimum: number): RRsetOf<"SOA"> => ({
      name: "example.", type: "SOA", ttl,
      rdata: [{ mname: "ns.example.", rname: "h.example.", serial: 1, refresh: 1, retry: 1, expire: 1, minimum }],
    });
    expect(negativeTtl(soa(3600, 300))).toBe(300);
    expect(negativeTtl(soa(60, 300))).toBe(60);
  });

  it("synthesizes from wildcards", async () => {
    const r = await ask(demo, "Foo.Apps.example.com.", TYPE.AAAA);
    expect(lines(r.answer)).toEqual(["foo.apps.example.com. 3600 AAAA 2001:db8::80"]);
    const deeper = await ask(demo, "a.b.apps.example.com.", TYPE.TXT);
    expect(lines(deeper.answer)).toEqual(['a.b.apps.example.com. 3600 TXT "wildcard"']);
    const nodata = await ask(demo, "foo.apps.example.com.", TYPE.MX);
    expect(nodata.rcode).toBe(RCODE.NOERROR);
    expect(nodata.answer).toEqual([]);
  });

  it("refers delegations with glue and without AA", async () => {
    const r = await ask(demo, "host.child.example.com.", TYPE.A);
    expect(r.aa).toBe(false);
    expect(r.rcode).toBe(RCODE.NOERROR);
    expect(r.answer).toEqual([]);
    expect(lines(r.authority)).toEqual([
      "child.example.com. 3600 NS ns.child.example.com.",
      "child.example.com. 3600 NS ns.elsewhere.net.",
      "child.example.com. 3600 DS 55648 13 2 B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17",
    ]);
    expect(lines(r.additional)).toEqual(["ns.child.example.com. 3600 AAAA 2001:db8::1:53"]);
    // DS at the cut is the parent's data: answered authoritatively.
    const ds = await ask(demo, "child.example.com.", TYPE.DS);
    expect(ds.aa).toBe(true);
    expect(ds.answer[0]!.type).toBe("DS");
    const noDs = await ask(demo, "insecure.example.com.", TYPE.DS);
    expect(noDs.aa).toBe(true);
    expect(noDs.answer).toEqual([]);
    expect(noDs.authority[0]!.type).toBe("SOA");
  });

  it("answers SRV, CAA, TXT, TLSA and HTTPS", async () => {
    expect(lines((await ask(demo, "_acme._tcp.example.com.", TYPE.SRV)).answer)).toEqual(["_acme._tcp.example.com. 3600 SRV 0 1 443 www.example.com."]);
    expect(lines((await ask(demo, "example.com.", TYPE.CAA)).answer)).toEqual(['example.com. 3600 CAA 0 issue "trustchain.example"']);
    expect(lines((await ask(demo, "example.com.", TYPE.TXT)).answer)).toEqual(['example.com. 3600 TXT "v=spf1 mx -all"']);
    expect(lines((await ask(demo, "example.com.", TYPE.HTTPS)).answer)).toEqual(["example.com. 3600 HTTPS 1 . alpn=h3,h2 ipv6hint=2001:db8::10"]);
    expect((await ask(demo, "_443._tcp.www.example.com.", TYPE.TLSA)).answer[0]!.type).toBe("TLSA");
  });

  it("answers ANY minimally (RFC 8482)", async () => {
    const r = await ask(demo, "www.example.com.", TYPE.ANY);
    expect(r.answer.length).toBe(1);
    expect(r.answer[0]!.type).toBe("A");
    const d = decodeQuery(buildQuery("www.example.com.", TYPE.ANY));
    if (!d.ok) throw new Error();
    const h = await answerQuery(d.query, demo, { any: "hinfo" });
    expect(lines(h.answer)).toEqual(['www.example.com. 300 HINFO "RFC8482" ""']);
  });

  it("refuses names outside the zone and other classes", async () => {
    expect((await ask(demo, "example.org.", TYPE.A)).rcode).toBe(RCODE.REFUSED);
    expect((await ask(null, "example.com.", TYPE.A)).rcode).toBe(RCODE.REFUSED);
    const chaos = Uint8Array.from(buildQuery("version.bind.", TYPE.TXT));
    chaos[chaos.length - 1] = 3; // class CH
    const d = decodeQuery(chaos);
    if (!d.ok) throw new Error();
    expect((await answerQuery(d.query, demo)).rcode).toBe(RCODE.REFUSED);
    expect((await ask(demo, "example.com.", TYPE.AXFR)).rcode).toBe(RCODE.REFUSED);
  });

  it("picks the hosted zone by longest suffix, DS from the parent side", () => {
    const apexes = ["example.com.", "child.example.com.", "example.net."];
    expect(findZone(apexes, "a.b.child.example.com.")).toBe("child.example.com.");
    expect(findZone(apexes, "www.example.com.")).toBe("example.com.");
    expect(findZone(apexes, "child.example.com.", TYPE.DS)).toBe("example.com.");
    expect(findZone(["child.example.com."], "child.example.com.", TYPE.DS)).toBe("child.example.com.");
    expect(findZone(apexes, "example.org.")).toBeNull();
  });

  it("echoes EDNS with DO and our UDP size; no OPT when the query had none", async () => {
    const withOpt = await ask(demo, "www.example.com.", TYPE.A, { do: true });
    expect(withOpt.edns).toEqual({ udpSize: 1232, version: 0, do: true });
    expect((await ask(demo, "www.example.com.", TYPE.A)).edns).toBeNull();
  });

  it("puts the RCODE into the header on the wire (dns-packet cross-check)", async () => {
    const out = await respond(buildQuery("nope.example.com.", TYPE.A, { id: 77, edns: true }), () => ({ zone: demo }));
    const p = dnsPacket.decode(Buffer.from(out!));
    expect(p.id).toBe(77);
    expect(p.flag_qr).toBe(true);
    expect(p.flag_aa).toBe(true);
    expect((p as unknown as { rcode: string }).rcode).toBe("NXDOMAIN");
    expect(p.authorities![0]!.type).toBe("SOA");
    expect(p.additionals![0]!.type).toBe("OPT");
    const ok = await respond(buildQuery("chain.example.com.", TYPE.A, { id: 78 }), () => ({ zone: demo }));
    const q = dnsPacket.decode(Buffer.from(ok!));
    expect(q.answers!.map((a) => [a.name, a.type, "data" in a ? a.data : null])).toEqual([
      ["chain.example.com", "CNAME", "alias.example.com"],
      ["alias.example.com", "CNAME", "www.example.com"],
      ["www.example.com", "A", "192.0.2.10"],
    ]);
  });
});

describe("RFC 4592 §2.2.1 example zone", () => {
  it.each<[string, number, string, string[]]>([
    ["host3.example.", TYPE.MX, "NOERROR", ["host3.example. 3600 MX 10 host1.example."]],
    ["host3.example.", TYPE.A, "NOERROR", []],
    ["foo.bar.example.", TYPE.TXT, "NOERROR", ['foo.bar.example. 3600 TXT "this is a wildcard"']],
    ["host1.example.", TYPE.MX, "NOERROR", []],
    ["sub.*.example.", TYPE.MX, "NOERROR", []],
    ["_telnet._tcp.host1.example.", TYPE.SRV, "NXDOMAIN", []],
    ["ghost.*.example.", TYPE.MX, "NXDOMAIN", []],
  ])("%s %s → %s", async (name, type, rcode, answer) => {
    const r = await ask(rfc4592, name, type);
    expect(r.rcode).toBe(RCODE[rcode as keyof typeof RCODE]);
    expect(lines(r.answer)).toEqual(answer);
    if (answer.length === 0) expect(r.authority[0]!.type).toBe("SOA");
  });
  it("host.subdel.example. A → referral", async () => {
    const r = await ask(rfc4592, "host.subdel.example.", TYPE.A);
    expect(r.aa).toBe(false);
    expect(lines(r.authority)).toEqual(["subdel.example. 3600 NS ns.example.com.", "subdel.example. 3600 NS ns.example.net."]);
  });
});

describe("DoH JSON form", () => {
  it("renders answers like 1.1.1.1", async () => {
    const q = jsonQuery({ name: "chain.example.com", type: "A" });
    if (!q.ok) throw new Error(q.error);
    const j = responseToJson(await answerQuery(q.query, demo));
    expect(j).toEqual({
      Status: 0, TC: false, RD: true, RA: false, AD: false, CD: false,
      Question: [{ name: "chain.example.com", type: 1 }],
      Answer: [
        { name: "chain.example.com", type: 5, TTL: 3600, data: "alias.example.com." },
        { name: "alias.example.com", type: 5, TTL: 3600, data: "www.example.com." },
        { name: "www.example.com", type: 1, TTL: 300, data: "192.0.2.10" },
      ],
    });
    const nx = jsonQuery({ name: "nope.example.com.", type: "28" });
    if (!nx.ok) throw new Error(nx.error);
    const k = responseToJson(await answerQuery(nx.query, demo));
    expect(k.Status).toBe(3);
    expect(k.Authority![0]!.type).toBe(6);
    const txt = jsonQuery({ name: "example.com", type: "txt" });
    if (!txt.ok) throw new Error(txt.error);
    expect(responseToJson(await answerQuery(txt.query, demo)).Answer![0]!.data).toBe('"v=spf1 mx -all"');
  });
  it("rejects bad parameters", () => {
    expect(jsonQuery({ name: null }).ok).toBe(false);
    expect(jsonQuery({ name: "a..b" }).ok).toBe(false);
    expect(jsonQuery({ name: "a.b", type: "BOGUS" }).ok).toBe(false);
    expect(jsonQuery({ name: "a.b", type: "70000" }).ok).toBe(false);
  });
});
