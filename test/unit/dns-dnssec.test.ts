import { Buffer } from "node:buffer";
import * as dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { answerQuery, respond } from "../../src/dns/answer.ts";
import {
  dsFromDnskey, generateZoneKeyPair, keyTag, signRRset, verifyRRsig, zoneKey, ZoneSigner, type ZoneKey,
} from "../../src/dns/dnssec.ts";
import { immediateSuccessor } from "../../src/dns/dnssec-denial.ts";
import { buildQuery, decodeQuery, RCODE, type DnsResponse } from "../../src/dns/message.ts";
import { nameToWire } from "../../src/dns/names.ts";
import { parseRdata, tokenize } from "../../src/dns/rdata-text.ts";
import { encodeRdata } from "../../src/dns/rdata-wire.ts";
import { fromPacketAnswer } from "../../src/dns/records.ts";
import { TYPE, type RData, type RRset, type RRType } from "../../src/dns/types.ts";
import { buildZone, type Zone } from "../../src/dns/zone.ts";
import { parseZoneFile } from "../../src/dns/zonefile.ts";
import { concatBytes, sha1, toHex } from "../../src/encoding/bytes.ts";
import zones from "../vectors/dns-zones.json";

function rd<T extends RRType>(type: T, text: string): RData<T> {
  const t = tokenize(text);
  if (!t.ok) throw new Error(t.error);
  const r = parseRdata(type, t.tokens);
  if (!r.ok) throw new Error(r.error);
  return r.rdata;
}

const RFC6605_DNSKEY = rd("DNSKEY", "257 3 13 GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==");

describe("DNSSEC known answers", () => {
  it("RFC 6605 §6.1: key tag 55648 and the SHA-256 DS digest", async () => {
    expect(keyTag(RFC6605_DNSKEY)).toBe(55648);
    const ds = await dsFromDnskey("example.net.", RFC6605_DNSKEY);
    expect(ds.keyTag).toBe(55648);
    expect(ds.algorithm).toBe(13);
    expect(ds.digestType).toBe(2);
    expect(toHex(ds.digest)).toBe("b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17");
  });

  it("RFC 6605 §6.1: the published RRSIG over www.example.net A verifies", async () => {
    const rrset: RRset = { name: "www.example.net.", type: "A", ttl: 3600, rdata: [{ address: "192.0.2.1" }] };
    const sig = rd("RRSIG", "A 13 3 3600 20100909100439 20100812100439 55648 example.net. qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==");
    const during = Date.UTC(2010, 7, 20) / 1000;
    expect(await verifyRRsig(rrset, sig, RFC6605_DNSKEY, during)).toBe(true);
    // Owner case does not matter (canonical form lowercases it); data does.
    expect(await verifyRRsig({ ...rrset, rdata: [{ address: "192.0.2.2" }] }, sig, RFC6605_DNSKEY, during)).toBe(false);
    expect(await verifyRRsig(rrset, sig, RFC6605_DNSKEY, Date.UTC(2011, 0, 1) / 1000)).toBe(false);
  });

  it("RFC 4034 §5.4: key tag 60485 and the SHA-1 DS digest of dskey.example.com.", async () => {
    const key = rd("DNSKEY", "256 3 5 AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==");
    expect(keyTag(key)).toBe(60485);
    const digest = await sha1(concatBytes(nameToWire("dskey.example.com."), encodeRdata("DNSKEY", key)));
    expect(toHex(digest).toUpperCase()).toBe("2BB183AF5F22588179A53B0A98631FAD1A292118");
  });

  it("compact denial uses the immediate successor \\000.<name> (RFC 9824)", () => {
    expect(immediateSuccessor("nx.example.com.")).toBe("\\000.nx.example.com.");
    expect(toHex(nameToWire(immediateSuccessor("a.")))).toBe("0100" + "016100");
  });
});

function zoneFrom(text: string, apex: string): Zone {
  const p = parseZoneFile(text, { origin: apex });
  if (!p.ok) throw new Error(JSON.stringify(p.errors));
  const z = buildZone(apex, p.rrsets);
  if (!z.ok) throw new Error(JSON.stringify(z.errors));
  return z.zone;
}

/** Verifies every RRSIG in every section against the covered RRset and the DNSKEYs; returns the count. */
async function verifyAll(resp: DnsResponse, keys: RData<"DNSKEY">[]): Promise<number> {
  let n = 0;
  for (const section of [resp.answer, resp.authority, resp.additional]) {
    for (const sigs of section.filter((r) => r.type === "RRSIG") as Extract<RRset, { type: "RRSIG" }>[]) {
      for (const sig of sigs.rdata) {
        const covered = section.find((r) => r.name === sigs.name && TYPE[r.type] === sig.typeCovered && r.type !== "RRSIG");
        expect(covered, `RRset covered by RRSIG ${sigs.name}/${sig.typeCovered}`).toBeDefined();
        const key = keys.find((k) => keyTag(k) === sig.keyTag)!;
        expect(await verifyRRsig(covered!, sig, key), `RRSIG over ${sigs.name}/${sig.typeCovered}`).toBe(true);
        n++;
      }
    }
  }
  return n;
}

describe("online signing", async () => {
  const zone = zoneFrom(zones.demo, "example.com.");
  const key: ZoneKey = await zoneKey(await generateZoneKeyPair());
  const signer = new ZoneSigner("example.com.", [key]);
  const ask = async (name: string, type: number, doBit = true) => {
    const d = decodeQuery(buildQuery(name, type, { do: doBit, edns: true }));
    if (!d.ok) throw new Error();
    return answerQuery(d.query, zone, { signer });
  };

  it("signs positive answers, CNAME chains, wildcard expansions and the DNSKEY RRset", async () => {
    for (const [name, type] of [["www.example.com.", TYPE.A], ["chain.example.com.", TYPE.AAAA], ["x.apps.example.com.", TYPE.AAAA],
      ["example.com.", TYPE.DNSKEY], ["example.com.", TYPE.HTTPS], ["_ct._tcp.example.com.", TYPE.SRV], ["example.com.", TYPE.ANY]] as const) {
      const r = await ask(name, type);
      expect(r.rcode).toBe(RCODE.NOERROR);
      const signed = await verifyAll(r, [key.dnskey]);
      expect(signed).toBe(r.answer.filter((x) => x.type !== "RRSIG").length);
    }
  });

  it("denies with compact NSEC: NXDOMAIN becomes NOERROR with NXNAME", async () => {
    const r = await ask("nope.example.com.", TYPE.A);
    expect(r.rcode).toBe(RCODE.NOERROR);
    const nsec = r.authority.find((x) => x.type === "NSEC") as Extract<RRset, { type: "NSEC" }>;
    expect(nsec.name).toBe("nope.example.com.");
    expect(nsec.ttl).toBe(300);
    expect(nsec.rdata).toEqual([{ next: "\\000.nope.example.com.", types: [TYPE.RRSIG, TYPE.NSEC, TYPE.NXNAME] }]);
    expect(await verifyAll(r, [key.dnskey])).toBe(2); // SOA and NSEC
    // Without DO the real NXDOMAIN goes out, unsigned.
    const plain = await ask("nope.example.com.", TYPE.A, false);
    expect(plain.rcode).toBe(RCODE.NXDOMAIN);
    expect(plain.authority.map((x) => x.type)).toEqual(["SOA"]);
  });

  it("denies NODATA with the types present, ENTs with none", async () => {
    const r = await ask("www.example.com.", TYPE.MX);
    const nsec = r.authority.find((x) => x.type === "NSEC") as Extract<RRset, { type: "NSEC" }>;
    expect(nsec.rdata[0]!.types).toEqual([TYPE.A, TYPE.AAAA, TYPE.RRSIG, TYPE.NSEC]);
    expect(await verifyAll(r, [key.dnskey])).toBe(2);
    const apex = await ask("example.com.", TYPE.AAAA);
    const apexNsec = apex.authority.find((x) => x.type === "NSEC") as Extract<RRset, { type: "NSEC" }>;
    expect(apexNsec.rdata[0]!.types).toContain(TYPE.DNSKEY);
    const ent = await ask("y.deep.example.com.", TYPE.A);
    expect((ent.authority.find((x) => x.type === "NSEC") as Extract<RRset, { type: "NSEC" }>).rdata[0]!.types).toEqual([TYPE.RRSIG, TYPE.NSEC]);
  });

  it("signs DS at secure referrals and proves its absence at insecure ones; NS and glue stay unsigned", async () => {
    const secure = await ask("www.child.example.com.", TYPE.A);
    expect(secure.aa).toBe(false);
    expect(secure.authority.map((x) => x.type)).toEqual(["NS", "DS", "RRSIG"]);
    expect(await verifyAll(secure, [key.dnskey])).toBe(1);
    const insecure = await ask("www.insecure.example.com.", TYPE.A);
    expect(insecure.authority.map((x) => x.type)).toEqual(["NS", "NSEC", "RRSIG"]);
    const nsec = insecure.authority[1] as Extract<RRset, { type: "NSEC" }>;
    expect(nsec.rdata[0]!.types).toEqual([TYPE.NS, TYPE.RRSIG, TYPE.NSEC]);
    expect(await verifyAll(insecure, [key.dnskey])).toBe(1);
  });

  it("fails verification when one byte of signed data or signature changes", async () => {
    const r = await ask("www.example.com.", TYPE.AAAA);
    const rrset = r.answer[0]!;
    const sig = (r.answer[1] as Extract<RRset, { type: "RRSIG" }>).rdata[0]!;
    expect(await verifyRRsig(rrset, sig, key.dnskey)).toBe(true);
    const tampered = { ...rrset, rdata: [{ address: "2001:db8::11" }] } as RRset;
    expect(await verifyRRsig(tampered, sig, key.dnskey)).toBe(false);
    const badSig = Uint8Array.from(sig.signature);
    badSig[10]! ^= 1;
    expect(await verifyRRsig(rrset, { ...sig, signature: badSig }, key.dnskey)).toBe(false);
    expect(await verifyRRsig({ ...rrset, ttl: 1 }, { ...sig, originalTtl: 1 }, key.dnskey)).toBe(false);
  });

  it("verifies from the wire after dns-packet decodes the response", async () => {
    for (const [name, type] of [["www.example.com.", TYPE.A], ["nope.example.com.", TYPE.TXT], ["example.com.", TYPE.HTTPS]] as const) {
      const out = await respond(buildQuery(name, type, { do: true }), () => ({ zone, signer }));
      const p = dnsPacket.decode(Buffer.from(out!));
      const sections = [p.answers!, p.authorities!].map((list) => {
        const sets = new Map<string, RRset>();
        for (const a of list) {
          const c = fromPacketAnswer(a);
          if (!c.ok) throw new Error(`${a.type}: ${c.error.message}`);
          const k = `${c.value.name}|${c.value.type}|${c.value.type === "RRSIG" ? (c.value.rdata[0] as RData<"RRSIG">).typeCovered : ""}`;
          const s = sets.get(k);
          if (s) (s.rdata as RData[]).push(...(c.value.rdata as RData[]));
          else sets.set(k, c.value);
        }
        return [...sets.values()];
      });
      const resp = { answer: sections[0]!, authority: sections[1]!, additional: [] } as unknown as DnsResponse;
      expect(await verifyAll(resp, [key.dnskey])).toBeGreaterThan(0);
    }
  });

  it("caches signatures by RRset content and re-signs after the refresh interval", async () => {
    let now = 1_700_000_000;
    const s = new ZoneSigner("example.com.", [key], { now: () => now });
    const rrset: RRset = { name: "www.example.com.", type: "A", ttl: 300, rdata: [{ address: "192.0.2.10" }] };
    const a = await s.sign(rrset);
    const b = await s.sign({ ...rrset, rdata: [{ address: "192.0.2.10" }] });
    expect(b.rdata[0]!.signature).toBe(a.rdata[0]!.signature);
    expect(a.rdata[0]!.inception).toBe(now - 3600);
    expect(a.rdata[0]!.expiration).toBe(now + 7 * 86400);
    expect(s.cached).toBe(1);
    await s.sign({ ...rrset, ttl: 301 });
    expect(s.cached).toBe(2);
    now += 86400 + 1;
    const c = await s.sign(rrset);
    expect(c.rdata[0]!.inception).toBe(now - 3600);
  });

  it("rolls keys: the DNSKEY RRset is signed by active and retiring keys, data by active ones only", async () => {
    const oldKey = { ...key, role: "retiring" as const };
    const newKey = await zoneKey(await generateZoneKeyPair(), "active");
    const next = await zoneKey(await generateZoneKeyPair(), "published");
    const s = new ZoneSigner("example.com.", [oldKey, newKey, next]);
    const dnskeys = s.dnskeyRRset();
    expect(dnskeys.rdata.length).toBe(3);
    const ks = await s.sign(dnskeys);
    expect(ks.rdata.map((r) => r.keyTag).sort()).toEqual([oldKey.keyTag, newKey.keyTag].sort());
    for (const sig of ks.rdata) expect(await verifyRRsig(dnskeys, sig, sig.keyTag === oldKey.keyTag ? oldKey.dnskey : newKey.dnskey)).toBe(true);
    const data = await s.sign({ name: "www.example.com.", type: "A", ttl: 300, rdata: [{ address: "192.0.2.10" }] });
    expect(data.rdata.map((r) => r.keyTag)).toEqual([newKey.keyTag]);
    expect((await s.ds()).length).toBe(3);
  });

  it("computes RRSIG labels without a leading wildcard label (RFC 4034 §3.1.3)", async () => {
    const sig = await signRRset({ name: "*.apps.example.com.", type: "TXT", ttl: 60, rdata: [{ strings: ["x"] }] }, "example.com.", key, { inception: 0, expiration: 2 ** 32 - 1 });
    expect(sig.labels).toBe(3);
    // A validator sees the expansion at a.apps.example.com. and rebuilds the wildcard owner.
    expect(await verifyRRsig({ name: "a.apps.example.com.", type: "TXT", ttl: 60, rdata: [{ strings: ["x"] }] }, sig, key.dnskey)).toBe(true);
  });
});
