import { Buffer } from "node:buffer";
import * as dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { respond } from "../../src/dns/answer.ts";
import { generateZoneKeyPair, zoneKey, ZoneSigner } from "../../src/dns/dnssec.ts";
import { buildQuery, decodeQuery, RCODE } from "../../src/dns/message.ts";
import { TYPE } from "../../src/dns/types.ts";
import { buildZone } from "../../src/dns/zone.ts";
import { parseZoneFile } from "../../src/dns/zonefile.ts";
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
