// DoH at /dns-query (RFC 8484): GET, POST and JSON answers decoded with dns-packet, cache headers,
// DNSSEC signatures verified against the zone's DNSKEY, the edge cache following zone changes,
// identical queries in flight sharing one lookup of the zone, bad input, and a fuzz loop that must never see a 5xx.

import { Buffer } from "node:buffer";
import * as dnsPacket from "dns-packet";
import { env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { buildQuery } from "../../src/dns/message.ts";
import { decodeRdata } from "../../src/dns/rdata-wire.ts";
import { parseRdata, tokenize } from "../../src/dns/rdata-text.ts";
import { TYPE, type RData } from "../../src/dns/types.ts";
import { toBase64Url } from "../../src/encoding/bytes.ts";
import zones from "../vectors/dns-zones.json";
import { decoded, dohGet, dohPost, verifySection } from "../support/dns-helpers.ts";
import { scrape, sum } from "../support/metrics-helpers.ts";
import { call, mintToken } from "../support/worker-helpers.ts";
import { zoneObject } from "../../workers/env.ts";
import type { Zone } from "../../durable-objects/zone.ts";

let admin: string;
let dnskeys: RData<"DNSKEY">[];

beforeAll(async () => {
  admin = await mintToken("admin");
  const r = await call("/api/v1/zones", { method: "POST", token: admin, body: JSON.stringify({ name: "example.com", zonefile: zones.demo }), headers: { "content-type": "application/json" } });
  expect(r.status).toBe(201);
  const info = (await (await call("/api/v1/zones/example.com/dnssec", { token: admin })).json()) as { dnskey: string[] };
  dnskeys = info.dnskey.map((l) => {
    const t = tokenize(l.split(/\s+/).slice(4).join(" "));
    const p = t.ok ? parseRdata("DNSKEY", t.tokens) : null;
    if (!p?.ok) throw new Error(l);
    return p.rdata;
  });
});

const q = (name: string, type: number, opts: { id?: number; do?: boolean } = {}) => buildQuery(name, type, { id: opts.id ?? 0x1234, ...opts });
const data = (p: { answers: dnsPacket.Answer[] }, type: string) => p.answers.filter((a) => a.type === type).map((a) => (a as { data: unknown }).data);

describe("wire-format answers", () => {
  it("answers AAAA and A over GET and POST, echoing the ID", async () => {
    for (const send of [dohGet, dohPost]) {
      const res = await send(q("www.example.com.", TYPE.AAAA, { id: 0xbeef }));
      expect(res.headers.get("cache-control")).toBe("max-age=300");
      const p = await decoded(res);
      expect(p.id).toBe(0xbeef);
      expect(p.flag_aa).toBe(true);
      expect(p.rcode).toBe("NOERROR");
      expect(data(p, "AAAA")).toEqual(["2001:db8::10"]);
    }
    const a = await decoded(await dohGet(q("WWW.example.COM.", TYPE.A)));
    expect(a.questions![0]!.name).toBe("WWW.example.COM");
    expect(data(a, "A")).toEqual(["192.0.2.10"]);
  });

  it("answers a repeated GET with the same message every time, and HEAD with its headers only", async () => {
    const m = q("www.example.com.", TYPE.AAAA, { id: 0x0102 });
    const first = new Uint8Array(await (await dohGet(m)).arrayBuffer());
    expect(dnsPacket.decode(Buffer.from(first)).id).toBe(0x0102);
    for (let i = 0; i < 3; i++) {
      const again = await dohGet(m);
      expect(again.headers.get("cache-control")).toBe("max-age=300");
      expect(new Uint8Array(await again.arrayBuffer())).toEqual(first);
    }
    const head = await call(`/dns-query?dns=${toBase64Url(m)}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe("application/dns-message");
    expect(head.headers.get("cache-control")).toBe("max-age=300");
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const put = await call("/dns-query", { method: "PUT", body: "x" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, POST");
  });

  it("answers at /dns-query however the path is spelled, and nowhere beside it", async () => {
    const param = toBase64Url(q("www.example.com.", TYPE.AAAA, { id: 0x0203 }));
    // The Worker's own check takes the plain spelling; hono's router decodes the others.
    for (const path of ["/dns-query", "/dns%2Dquery", "/%64ns-query"]) {
      const res = await call(`${path}?dns=${param}`, { headers: { accept: "application/dns-message" } });
      expect(res.status, path).toBe(200);
      expect((await decoded(res)).id).toBe(0x0203);
    }
    for (const path of ["/dns-queryx", "/dns-query/x", "/dns-query/", "/x/dns-query"]) {
      expect((await call(`${path}?dns=${param}`)).status, path).toBe(404);
    }
  });

  it("follows CNAME chains inside the zone", async () => {
    const p = await decoded(await dohGet(q("chain.example.com.", TYPE.AAAA)));
    expect(data(p, "CNAME")).toEqual(["alias.example.com", "www.example.com"]);
    expect(data(p, "AAAA")).toEqual(["2001:db8::10"]);
  });

  it("expands wildcards (RFC 4592)", async () => {
    const p = await decoded(await dohGet(q("anything.apps.example.com.", TYPE.AAAA)));
    expect(p.answers[0]!.name).toBe("anything.apps.example.com");
    expect(data(p, "AAAA")).toEqual(["2001:db8::80"]);
  });

  it("answers NXDOMAIN and NODATA with the SOA and the negative TTL as max-age", async () => {
    const nx = await dohGet(q("nope.example.com.", TYPE.A));
    expect(nx.headers.get("cache-control")).toBe("max-age=300");
    const p = await decoded(nx);
    expect(p.rcode).toBe("NXDOMAIN");
    expect(p.answers).toHaveLength(0);
    expect(p.authorities.map((a) => a.type)).toEqual(["SOA"]);
    expect((p.authorities[0] as { ttl: number }).ttl).toBe(300);
    const nodata = await decoded(await dohGet(q("www.example.com.", TYPE.MX)));
    expect(nodata.rcode).toBe("NOERROR");
    expect(nodata.answers).toHaveLength(0);
    expect(nodata.authorities.map((a) => a.type)).toEqual(["SOA"]);
  });

  it("answers SRV, CAA and HTTPS", async () => {
    const srv = await decoded(await dohGet(q("_acme._tcp.example.com.", TYPE.SRV)));
    expect(data(srv, "SRV")).toEqual([{ priority: 0, weight: 1, port: 443, target: "www.example.com" }]);
    const caa = await decoded(await dohGet(q("example.com.", TYPE.CAA)));
    expect(data(caa, "CAA")).toEqual([{ flags: 0, tag: "issue", value: "trustchain.example", issuerCritical: false }]);
    const https = await decoded(await dohGet(q("example.com.", TYPE.HTTPS)));
    const raw = https.answers.find((a) => a.type === ("UNKNOWN_65" as string));
    const rd = decodeRdata("HTTPS", Uint8Array.from((raw as { data: Buffer }).data));
    expect(rd.ok && rd.rdata).toEqual({ priority: 1, target: ".", params: { alpn: ["h3", "h2"], ipv6hint: ["2001:db8::10"] } });
  });

  it("refuses names outside hosted zones", async () => {
    const res = await dohGet(q("www.example.org.", TYPE.A));
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect((await decoded(res)).rcode).toBe("REFUSED");
  });

  it("signs answers for DO queries; signatures verify with the zone's DNSKEY", async () => {
    for (const [name, type] of [["www.example.com.", TYPE.A], ["chain.example.com.", TYPE.AAAA], ["x.apps.example.com.", TYPE.AAAA],
      ["_ct._tcp.example.com.", TYPE.SRV], ["example.com.", TYPE.CAA], ["example.com.", TYPE.HTTPS], ["example.com.", TYPE.DNSKEY]] as const) {
      const p = await decoded(await dohGet(q(name, type, { do: true })));
      expect(p.rcode, name).toBe("NOERROR");
      const rrsets = new Set(p.answers.filter((a) => a.type !== "RRSIG").map((a) => `${a.name}|${a.type}`)).size;
      expect(await verifySection(p.answers, dnskeys), name).toBe(rrsets);
    }
    // Denial (RFC 9824 compact answers): SOA and NSEC signed.
    const nx = await decoded(await dohGet(q("nope.example.com.", TYPE.A, { do: true })));
    expect(await verifySection(nx.authorities, dnskeys)).toBe(2);
    // A tampered record no longer verifies.
    const p = await decoded(await dohGet(q("www.example.com.", TYPE.A, { do: true })));
    (p.answers.find((a) => a.type === "A") as { data: string }).data = "192.0.2.11";
    await expect(verifySection(p.answers, dnskeys)).rejects.toThrow();
  });

  it("serves a change at once: cached answers are keyed on the zone serial", async () => {
    const ask = async () => data(await decoded(await dohGet(q("fresh.example.com.", TYPE.AAAA))), "AAAA");
    expect(await ask()).toEqual([]);
    const put = await call("/api/v1/zones/example.com/rrsets/fresh/AAAA", { method: "PUT", token: admin, body: JSON.stringify({ ttl: 120, records: ["2001:db8::f"] }), headers: { "content-type": "application/json" } });
    expect(put.status).toBe(200);
    expect(await ask()).toEqual(["2001:db8::f"]);
    // A second identical question is served from the cache, with the asker's ID.
    const again = await decoded(await dohGet(q("fresh.example.com.", TYPE.AAAA, { id: 4321 })));
    expect(again.id).toBe(4321);
    expect(data(again, "AAAA")).toEqual(["2001:db8::f"]);
    await call("/api/v1/zones/example.com/rrsets/fresh/AAAA", { method: "DELETE", token: admin });
    expect(await ask()).toEqual([]);
  });
});

describe("the JSON form", () => {
  it("answers ?name=&type= with Accept: application/dns-json or ct=", async () => {
    for (const init of [{ headers: { accept: "application/dns-json" } }, {}]) {
      const res = await call(`/dns-query?name=www.example.com&type=AAAA${"headers" in init ? "" : "&ct=application/dns-json"}`, init);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/dns-json");
      expect(res.headers.get("cache-control")).toBe("max-age=300");
      const j = (await res.json()) as { Status: number; AD: boolean; Question: unknown[]; Answer: { name: string; type: number; TTL: number; data: string }[] };
      expect(j.Status).toBe(0);
      expect(j.Question).toEqual([{ name: "www.example.com", type: 28 }]);
      expect(j.Answer).toEqual([{ name: "www.example.com", type: 28, TTL: 300, data: "2001:db8::10" }]);
    }
    const nx = (await (await call("/dns-query?name=nope.example.com&type=A", { headers: { accept: "application/dns-json" } })).json()) as { Status: number; Authority: unknown[] };
    expect(nx.Status).toBe(3);
    expect(nx.Authority).toHaveLength(1);
    const signed = (await (await call("/dns-query?name=example.com&type=CAA&do=1", { headers: { accept: "application/dns-json" } })).json()) as { Answer: { type: number }[] };
    expect(signed.Answer.map((a) => a.type)).toEqual([257, 46]);
    expect((await call("/dns-query?name=bad..name&type=A", { headers: { accept: "application/dns-json" } })).status).toBe(400);
    expect((await call("/dns-query?name=example.com&type=NOPE", { headers: { accept: "application/dns-json" } })).status).toBe(400);
  });
});

describe("identical queries in flight", () => {
  const LOOKUPS = "trustchain_doh_zone_lookups_total";
  const lookups = async () => sum(await scrape(), LOOKUPS);
  const jsonBody = (body: unknown) => ({ body: JSON.stringify(body), headers: { "content-type": "application/json" } });

  it("share one lookup of the zone; each asker gets its own answer and message ID", async () => {
    const before = await lookups();
    // A change: every answer of the zone is cold in this isolate (its keys hold the new serial).
    const put = await call("/api/v1/zones/example.com/rrsets/burst/AAAA", { method: "PUT", token: admin, ...jsonBody({ ttl: 120, records: ["2001:db8::b"] }) });
    expect(put.status).toBe(200);
    const all = <T>(n: number, f: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => f(i)));
    const [posts, gets, signed, upper, jsons] = await Promise.all([
      all(8, (i) => dohPost(q("burst.example.com.", TYPE.AAAA, { id: 0x4000 + i }))),
      all(4, () => dohGet(q("burst.example.com.", TYPE.AAAA, { id: 0 }))), // RFC 8484 §4.1: ID 0 for GET
      all(4, (i) => dohPost(q("burst.example.com.", TYPE.AAAA, { id: 0x5000 + i, do: true }))),
      all(4, (i) => dohPost(q("BURST.example.com.", TYPE.AAAA, { id: 0x6000 + i }))),
      all(4, () => call("/dns-query?name=burst.example.com&type=AAAA", { headers: { accept: "application/dns-json" } })),
    ]);
    // Four questions (POST and GET ask the same one; DO, the name's case and JSON each differ).
    expect((await lookups()) - before).toBe(4);

    const plain = [...posts, ...gets];
    const bodies = await Promise.all(plain.map(async (r) => new Uint8Array(await r.clone().arrayBuffer())));
    for (const [i, r] of plain.entries()) {
      expect(r.headers.get("cache-control")).toBe("max-age=120");
      const p = await decoded(r);
      expect(p.id).toBe(i < posts.length ? 0x4000 + i : 0);
      expect(data(p, "AAAA")).toEqual(["2001:db8::b"]);
      expect(p.answers.some((a) => a.type === "RRSIG")).toBe(false);
      expect(bodies[i]!.subarray(2)).toEqual(bodies[0]!.subarray(2)); // the same message but for its ID
    }
    for (const [i, r] of signed.entries()) {
      const p = await decoded(r);
      expect(p.id).toBe(0x5000 + i);
      expect(await verifySection(p.answers, dnskeys)).toBe(1);
    }
    for (const [i, r] of upper.entries()) {
      const p = await decoded(r);
      expect(p.id).toBe(0x6000 + i);
      expect(p.questions![0]!.name).toBe("BURST.example.com");
      expect(data(p, "AAAA")).toEqual(["2001:db8::b"]);
    }
    for (const r of jsons) {
      const j = (await r.json()) as { Status: number; Answer: { data: string }[] };
      expect(j.Status).toBe(0);
      expect(j.Answer.map((a) => a.data)).toEqual(["2001:db8::b"]);
    }
    // Settled lookups are not waited for again: a repeat comes from the cache.
    expect(data(await decoded(await dohPost(q("burst.example.com.", TYPE.AAAA, { id: 7 }))), "AAAA")).toEqual(["2001:db8::b"]);
    expect((await lookups()) - before).toBe(4);
    await call("/api/v1/zones/example.com/rrsets/burst/AAAA", { method: "DELETE", token: admin });
  });

  it("answer a failed lookup to each asker with its own ID, and keep nothing of it", async () => {
    const apex = `gone-${crypto.randomUUID().slice(0, 8)}.test`;
    expect((await call("/api/v1/zones", { method: "POST", token: admin, ...jsonBody({ name: apex }) })).status).toBe(201);
    const rrset = () => call(`/api/v1/zones/${apex}/rrsets/www/AAAA`, { method: "PUT", token: admin, ...jsonBody({ ttl: 60, records: ["2001:db8::9"] }) });
    expect((await rrset()).status).toBe(200);
    // The zone is deleted from its object (the registry still naming it, as a deletion cut
    // short leaves it) while the first lookup waits for the object and the others wait for it.
    let release!: () => void, holding!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const held = new Promise<void>((r) => (holding = r));
    const deleted = runInDurableObject(zoneObject(env, `${apex}.`), (zone: Zone, state) => state.blockConcurrencyWhile(async () => {
      holding();
      await released;
      expect(await zone.destroy(`${apex}.`)).toBe(true);
    }));
    await held;
    const before = await lookups();
    const ids = Array.from({ length: 8 }, (_, i) => 0x7000 + i);
    const burst = Promise.all(ids.map((id) => dohPost(q(`www.${apex}.`, TYPE.AAAA, { id }))));
    await new Promise((r) => setTimeout(r, 1000)); // for all of them to reach the Worker, even on a loaded machine
    release();
    await deleted;
    const failed = await burst;
    expect((await lookups()) - before).toBe(1);
    for (const [i, r] of failed.entries()) {
      expect(r.headers.get("cache-control")).toBe("no-store");
      const p = await decoded(r);
      expect(p.id).toBe(ids[i]);
      expect(p.rcode).toBe("REFUSED");
    }
    // The zone made again (its registry row is taken over): the same question asks it again.
    expect((await call("/api/v1/zones", { method: "POST", token: admin, ...jsonBody({ name: apex }) })).status).toBe(201);
    expect((await rrset()).status).toBe(200);
    const p = await decoded(await dohPost(q(`www.${apex}.`, TYPE.AAAA, { id: 0x7fff })));
    expect(p.id).toBe(0x7fff);
    expect(p.rcode).toBe("NOERROR");
    expect(data(p, "AAAA")).toEqual(["2001:db8::9"]);
    expect((await lookups()) - before).toBe(2);
  });
});

describe("bad input", () => {
  it("refuses bad base64url with 400", async () => {
    const good = toBase64Url(q("www.example.com.", TYPE.A));
    for (const bad of [`${good}=`, good.replace(/-|_/g, "+") + "+/", "not base64!", "", "A"]) {
      const res = await call(`/dns-query?dns=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(400);
    }
    expect((await call("/dns-query")).status).toBe(400);
  });

  it("refuses other content types with 415 and oversized bodies with 413", async () => {
    expect((await dohPost(q("www.example.com.", TYPE.A), "application/octet-stream")).status).toBe(415);
    expect((await dohPost(q("www.example.com.", TYPE.A), "application/json")).status).toBe(415);
    expect((await dohPost(new Uint8Array(70_000))).status).toBe(413);
    expect((await call(`/dns-query?dns=${"A".repeat(90_000)}`)).status).toBe(414);
    expect((await call("/dns-query", { method: "PUT", body: "x" })).status).toBe(405);
  });

  it("answers malformed messages with FORMERR and short ones with 400", async () => {
    const msg = q("www.example.com.", TYPE.A, { id: 99 });
    const truncated = msg.slice(0, msg.length - 3);
    const p = await decoded(await dohPost(truncated));
    expect(p.id).toBe(99);
    expect(p.rcode).toBe("FORMERR");
    const trailing = new Uint8Array([...msg, 1, 2, 3]);
    expect((await decoded(await dohPost(trailing))).rcode).toBe("FORMERR");
    const twoQuestions = msg.slice();
    twoQuestions[5] = 2;
    expect((await decoded(await dohPost(twoQuestions))).rcode).toBe("FORMERR");
    expect((await dohPost(new Uint8Array([1, 2, 3]))).status).toBe(400);
  });
});

describe("fuzz", () => {
  it("never answers 5xx to random or mutated messages", async () => {
    let seed = 0x5eed;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const seeds = [
      q("www.example.com.", TYPE.A), q("x.apps.example.com.", TYPE.AAAA, { do: true }), q("example.com.", TYPE.ANY),
      q("child.example.com.", TYPE.DS, { do: true }), q("nope.example.com.", TYPE.TXT, { do: true }), q("loop1.example.com.", TYPE.A),
    ];
    const statuses = new Map<number, number>();
    const batch: Promise<void>[] = [];
    for (let i = 0; i < 3000; i++) {
      let m: Uint8Array;
      if (i % 5 === 0) {
        m = crypto.getRandomValues(new Uint8Array(rnd(300)));
      } else {
        m = seeds[rnd(seeds.length)]!.slice();
        for (let k = 0, n = 1 + rnd(4); k < n; k++) {
          const op = rnd(3);
          if (op === 0 && m.length) m[rnd(m.length)] = rnd(256);
          else if (op === 1) m = m.slice(0, rnd(m.length + 1));
          else m = new Uint8Array([...m, ...crypto.getRandomValues(new Uint8Array(rnd(16)))]);
        }
      }
      const send = i % 2 ? dohPost(m) : dohGet(m);
      batch.push(send.then(async (res) => {
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 200) dnsPacket.decode(Buffer.from(await res.arrayBuffer()));
        else await res.arrayBuffer();
      }));
      if (batch.length >= 50) await Promise.all(batch.splice(0));
    }
    await Promise.all(batch);
    expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
    expect(statuses.get(200)).toBeGreaterThan(1000);
  }, 120_000);
});
