import { Buffer } from "node:buffer";
import * as dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { respond } from "../../src/dns/answer.ts";
import { generateZoneKeyPair, zoneKey, ZoneSigner } from "../../src/dns/dnssec.ts";
import { buildQuery, decodeQuery, RCODE } from "../../src/dns/message.ts";
import { TYPE } from "../../src/dns/types.ts";
import { buildZone } from "../../src/dns/zone.ts";
import { jsonQuery } from "../../src/dns/json.ts";
import { parseName } from "../../src/dns/names.ts";
import { encodeRdata } from "../../src/dns/rdata-wire.ts";
import { rrsetFromText } from "../../src/dns/rrset-text.ts";
import { parseZoneFile, serializeZone } from "../../src/dns/zonefile.ts";
import zones from "../vectors/dns-zones.json";

/** A small deterministic PRNG (xorshift32) so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 0x100000000;
  };
}

describe("fuzzing the decode + answer path", async () => {
  const parsed = parseZoneFile(zones.demo, { origin: "example.com." });
  if (!parsed.ok) throw new Error("zone");
  const built = buildZone("example.com.", parsed.rrsets);
  if (!built.ok) throw new Error("zone");
  const zone = built.zone;
  const signer = new ZoneSigner("example.com.", [await zoneKey(await generateZoneKeyPair())]);
  const pick = () => ({ zone, signer });

  const seeds = ["www.example.com.", "nope.example.com.", "chain.example.com.", "x.apps.example.com.", "a.child.example.com.", "example.com."]
    .flatMap((n) => [TYPE.A, TYPE.AAAA, TYPE.ANY, TYPE.DS, TYPE.HTTPS].map((t) => buildQuery(n, t, { do: true, id: 9 })));

  async function check(msg: Uint8Array): Promise<void> {
    const out = await respond(msg, pick);
    if (msg.length < 12) {
      expect(out).toBeNull();
      return;
    }
    expect(out).not.toBeNull();
    // Every reply is a well-formed DNS response for the same ID, by an independent decoder.
    const p = dnsPacket.decode(Buffer.from(out!));
    expect(p.flag_qr).toBe(true);
    expect(p.id).toBe((msg[0]! << 8) | msg[1]!);
    const d = decodeQuery(msg);
    if (!d.ok) expect((out![3]! & 0xf) | ((p.additionals?.find((a) => a.type === "OPT") as { extendedRcode?: number } | undefined)?.extendedRcode ?? 0) << 4).toBe(d.rcode);
  }

  it("answers thousands of random messages with FORMERR-class replies and never throws", async () => {
    const r = rng(1);
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(r() * 80);
      const msg = new Uint8Array(len);
      for (let j = 0; j < len; j++) msg[j] = Math.floor(r() * 256);
      await check(msg);
    }
  });

  it("answers thousands of mutated valid queries and never throws", async () => {
    const r = rng(2);
    let answered = 0;
    for (let i = 0; i < 4000; i++) {
      const base = seeds[i % seeds.length]!;
      let msg = Uint8Array.from(base);
      const kind = Math.floor(r() * 4);
      if (kind === 0) msg[Math.floor(r() * msg.length)]! ^= 1 << Math.floor(r() * 8);
      else if (kind === 1) msg = msg.slice(0, Math.floor(r() * msg.length));
      else if (kind === 2) { const at = Math.floor(r() * msg.length); msg = Uint8Array.from([...msg.slice(0, at), Math.floor(r() * 256), ...msg.slice(at)]); }
      else for (let k = 0; k < 4; k++) msg[Math.floor(r() * msg.length)] = Math.floor(r() * 256);
      await check(msg);
      if (decodeQuery(msg).ok) answered++;
    }
    expect(answered).toBeGreaterThan(100);
  });

  it("maps specific malformations to the right RCODE", () => {
    const q = buildQuery("www.example.com.", TYPE.A, { edns: true });
    const withFlags = (f: (m: Uint8Array) => void) => { const m = Uint8Array.from(q); f(m); return decodeQuery(m); };
    expect(decodeQuery(q.slice(0, 11))).toMatchObject({ ok: false, id: null });
    expect(withFlags((m) => { m[5] = 2; })).toMatchObject({ ok: false, rcode: RCODE.FORMERR }); // QDCOUNT 2
    expect(withFlags((m) => { m[5] = 0; })).toMatchObject({ ok: false, rcode: RCODE.FORMERR }); // QDCOUNT 0
    expect(withFlags((m) => { m[2] = (m[2]! & 0x87) | (2 << 3); })).toMatchObject({ ok: false, rcode: RCODE.NOTIMP }); // STATUS opcode
    expect(withFlags((m) => { m[2] = m[2]! | 0x80; })).toMatchObject({ ok: false, rcode: RCODE.FORMERR }); // QR set
    expect(withFlags((m) => { m[m.length - 5] = 1; })).toMatchObject({ ok: false, rcode: RCODE.BADVERS }); // EDNS version 1
    expect(decodeQuery(Uint8Array.from([...q, 0]))).toMatchObject({ ok: false, rcode: RCODE.FORMERR }); // trailing octet
    expect(decodeQuery(buildQuery("x.example.", TYPE.NXNAME))).toMatchObject({ ok: false, rcode: RCODE.FORMERR });
    // A compression pointer loop in the question.
    const loop = Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(decodeQuery(loop)).toMatchObject({ ok: false, rcode: RCODE.FORMERR });
  });
});

// Zone-file import (PUT /api/v1/zones/:zone/zonefile, zone creation with `zonefile`) takes text
// from zone editors: mutated zone files must give errors with line numbers or RRsets the rest of
// the pipeline accepts, never an exception.
describe("fuzzing the zone-file parser", () => {
  const lines = zones.demo.split("\n");
  const SPECIAL = ["(", ")", ";", '"', "\\", "$ORIGIN", "$TTL", "$INCLUDE", "@", "*", ".", "..", " ", "\t", "\n", "\\# 4 0a000001", "\\065", "\\999", "\u00e9", "\u0000", "IN", "TYPE65534", "CLASS3", "2147483648", "-1", "1w2d", "65535", "0"];

  function mutate(r: () => number): string {
    const ls = [...lines];
    const at = () => Math.floor(r() * ls.length);
    for (let k = 1 + Math.floor(r() * 3); k > 0; k--) {
      const kind = Math.floor(r() * 6);
      if (kind === 0) ls.splice(at(), 1);
      else if (kind === 1) ls.splice(at(), 0, ls[at()]!);
      else if (kind === 2) {
        const i = at();
        const words = ls[i]!.split(/(\s+)/);
        words[Math.floor(r() * words.length)] = SPECIAL[Math.floor(r() * SPECIAL.length)]!;
        ls[i] = words.join("");
      } else if (kind === 3) {
        const i = at();
        const cut = Math.floor(r() * (ls[i]!.length + 1));
        ls[i] = ls[i]!.slice(0, cut) + SPECIAL[Math.floor(r() * SPECIAL.length)]! + ls[i]!.slice(cut);
      } else if (kind === 4) {
        const i = at();
        ls[i] = ls[i]!.slice(0, Math.floor(r() * (ls[i]!.length + 1)));
      } else {
        const i = at();
        ls[i] = Array.from({ length: Math.floor(r() * 40) }, () => String.fromCharCode(Math.floor(r() * 128))).join("");
      }
    }
    return ls.join("\n");
  }

  it("gives errors with line numbers or RRsets that encode, build and round-trip, for thousands of mutated zone files", () => {
    const r = rng(3);
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const text = mutate(r);
      const parsed = parseZoneFile(text, { origin: "example.com." });
      if (!parsed.ok) {
        refused++;
        expect(parsed.errors.length).toBeGreaterThan(0);
        for (const e of parsed.errors) {
          expect(typeof e.message).toBe("string");
          expect(e.line).toBeGreaterThanOrEqual(0);
        }
        continue;
      }
      accepted++;
      for (const rrset of parsed.rrsets) for (const d of rrset.rdata as never[]) encodeRdata(rrset.type, d);
      const built = buildZone("example.com.", parsed.rrsets);
      if (!built.ok) expect(built.errors.length).toBeGreaterThan(0);
      const again = parseZoneFile(serializeZone(parsed.origin, parsed.rrsets));
      expect(again.ok, `${text}\n${JSON.stringify(again)}`).toBe(true);
    }
    // Both outcomes are exercised.
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });
});

// The RRset API (PUT /api/v1/zones/:zone/rrsets/:name/:type) takes records in presentation
// format, and DoH's JSON form takes names and types from the query string.
describe("fuzzing the presentation-format parsers", () => {
  const PIECES = ["1", "0", "10", "13", "65535", "4294967296", "-1", " ", "\t", "\f", "\v", "\u00a0", '"', "\\", "\\#", "\\0", "\\255", "\\999", ".", "..", "@", "*", "a", "mail", "xn--", "-", "=", ",", "alpn=h2,h3", "mandatory=alpn", "port=443", "ipv4hint=1.2.3.4", "ipv6hint=::1", "ech=AAA", "key65535=", "no-default-alpn", "issue", "issuewild", "iodef", "letsencrypt.org;", "2001:db8::1", "::", "192.0.2.1", "AAAA", "A+B/", "(", ")", ";", "\n", "\u0000", "é", "😀", "ABCDEF0123", "20260101000000", "NSEC", "RRSIG"];
  const TYPES = ["A", "AAAA", "CNAME", "MX", "TXT", "NS", "SOA", "SRV", "CAA", "TLSA", "HTTPS", "SVCB", "PTR", "DS", "DNSKEY", "RRSIG", "NSEC", "HINFO"] as const;

  it("gives an error or RRsets that encode, for tens of thousands of random records, names and JSON queries", () => {
    const r = rng(4);
    const gen = () => Array.from({ length: Math.floor(r() * 12) }, () => PIECES[Math.floor(r() * PIECES.length)]!).join(r() < 0.5 ? " " : "");
    let accepted = 0;
    for (let i = 0; i < 30_000; i++) {
      const type = TYPES[Math.floor(r() * TYPES.length)]!;
      const res = rrsetFromText({ name: r() < 0.5 ? "www.example.com." : gen(), type, ttl: 300, records: [gen()] }, "example.com.");
      if (res.ok) {
        accepted++;
        for (const d of res.rrset.rdata as never[]) encodeRdata(res.rrset.type, d);
      } else expect(typeof res.error.message).toBe("string");
      const jq = jsonQuery({ name: gen(), type: gen(), do: gen(), cd: gen() });
      if (!jq.ok) expect(typeof jq.error).toBe("string");
      parseName(gen());
    }
    expect(accepted).toBeGreaterThan(500);
  });
});
