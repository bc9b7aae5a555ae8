// DNS end to end with real clients against a local server (wrangler dev): dig +http-plain and
// dig +https, kdig +https (HTTP/2 only, so through the nginx front in test/support/dns-front.ts),
// dnspython's dns.query.https straight to the Worker over HTTP/1.1, and curl for the JSON form.
// DNSSEC is checked by independent validators: dnspython's dns.dnssec.validate over DoH
// (test/e2e/dnssec_validate.py) and delv, which speaks classic DNS only and reaches the Worker
// through dnsdist forwarding over DoH; both must reject tampered records.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DnsFront, startDnsFront } from "../support/dns-front.ts";
import { type Background, PYTHON, normalizeRR, parseDigOutput, runTool, startBackground, startDnsdistForwarder, type ParsedAnswer } from "../support/dns-tools.ts";
import { E2E_APEX, E2E_ZONE } from "../support/dns-zone.ts";
import { type LocalTrustChain, freePort, startLocal } from "../support/e2e.ts";
import { ROOT } from "../../scripts/lib/wrangler.ts";

let tc: LocalTrustChain;
let front: DnsFront;
let dir: string;
let dnskey: string; // "257 3 13 <base64>" as the zone API publishes it
const helpers: Background[] = [];

const ZONE = E2E_APEX.replace(/\.$/, "");

beforeAll(async () => {
  tc = await startLocal("e2e-dns");
  dir = tc.persistTo;
  const admin = tc.token("admin");
  const created = await fetch(`${tc.url}/api/v1/zones`, {
    method: "POST",
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    body: JSON.stringify({ name: ZONE, zonefile: E2E_ZONE }),
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const info = (await (await fetch(`${tc.url}/api/v1/zones/${ZONE}/dnssec`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { dnskey: string[] };
  expect(info.dnskey).toHaveLength(1);
  dnskey = info.dnskey[0]!.split(/\s+/).slice(4).join(" ");
  front = await startDnsFront(tc.url, dir);
});

afterAll(async () => {
  for (const h of helpers) await h.stop();
  await front?.stop();
  await tc?.stop();
});

const SOA_HEAD = `${E2E_APEX} SOA ns1.${E2E_APEX} hostmaster.${E2E_APEX}`;

interface Case {
  name: string;
  type: string;
  rcode: "NOERROR" | "NXDOMAIN";
  answer: string[];
  /** Negative answers: the zone's SOA in the authority section (RFC 2308). */
  soa?: boolean;
}

const CASES: Case[] = [
  { name: `www.${ZONE}`, type: "A", rcode: "NOERROR", answer: [`www.${E2E_APEX} A 192.0.2.10`] },
  { name: `www.${ZONE}`, type: "AAAA", rcode: "NOERROR", answer: [`www.${E2E_APEX} AAAA 2001:db8::10`] },
  { name: `alias.${ZONE}`, type: "AAAA", rcode: "NOERROR", answer: [`alias.${E2E_APEX} CNAME www.${E2E_APEX}`, `www.${E2E_APEX} AAAA 2001:db8::10`] },
  { name: `x.apps.${ZONE}`, type: "AAAA", rcode: "NOERROR", answer: [`x.apps.${E2E_APEX} AAAA 2001:db8::80`] },
  { name: `deep.x.apps.${ZONE}`, type: "TXT", rcode: "NOERROR", answer: [`deep.x.apps.${E2E_APEX} TXT "wildcard"`] },
  { name: `nope.${ZONE}`, type: "A", rcode: "NXDOMAIN", answer: [], soa: true },
  { name: `www.${ZONE}`, type: "MX", rcode: "NOERROR", answer: [], soa: true },
  { name: `_doh._tcp.${ZONE}`, type: "SRV", rcode: "NOERROR", answer: [`_doh._tcp.${E2E_APEX} SRV 0 1 443 www.${E2E_APEX}`] },
  { name: ZONE, type: "CAA", rcode: "NOERROR", answer: [`${E2E_APEX} CAA 0 issue "trustchain.test"`] },
  { name: ZONE, type: "HTTPS", rcode: "NOERROR", answer: [`${E2E_APEX} HTTPS 1 . alpn=h3,h2 ipv6hint=2001:db8::10`] },
  { name: `txt.${ZONE}`, type: "TXT", rcode: "NOERROR", answer: [`txt.${E2E_APEX} TXT "hello world" "second string"`] },
];

function expectAnswer(got: ParsedAnswer, c: Case, raw: string): void {
  const what = `${c.name} ${c.type}:\n${raw}`;
  expect(got.rcode, what).toBe(c.rcode);
  expect(got.flags.map((f) => f.toLowerCase()), what).toContain("aa");
  expect(got.answer, what).toEqual(c.answer);
  if (c.soa) {
    expect(got.authority, what).toHaveLength(1);
    expect(got.authority[0]!.startsWith(SOA_HEAD), what).toBe(true);
  }
}

// Each client with the exact command line a user would type (server and port appended).
const CLIENTS: Record<string, () => string[]> = {
  "dig +http-plain (h2c, POST)": () => ["dig", "+http-plain", "@127.0.0.1", "-p", String(front.h2cPort)],
  "dig +http-plain-get (h2c, GET)": () => ["dig", "+http-plain-get", "@127.0.0.1", "-p", String(front.h2cPort)],
  "dig +https (h2 over TLS, POST, certificate verified)": () => ["dig", "+https", `+tls-ca=${front.certPath}`, "+tls-hostname=localhost", "@127.0.0.1", "-p", String(front.tlsPort)],
  "dig +https-get (h2 over TLS, GET, certificate verified)": () => ["dig", "+https-get", `+tls-ca=${front.certPath}`, "+tls-hostname=localhost", "@127.0.0.1", "-p", String(front.tlsPort)],
  "kdig +https (h2 over TLS, certificate verified)": () => ["kdig", "+https", `+tls-ca=${front.certPath}`, "+tls-hostname=localhost", "+timeout=20", "@127.0.0.1", "-p", String(front.tlsPort)],
};

describe.each(Object.keys(CLIENTS))("%s through the HTTP/2 front", (client) => {
  it.each(CASES.map((c) => [`${c.name} ${c.type}`, c] as const))("%s", (_label, c) => {
    const [cmd, ...args] = CLIENTS[client]!();
    const r = runTool(cmd!, [...args, c.name, c.type]);
    expect(r.status, `${cmd} ${args.join(" ")} ${c.name} ${c.type}:\n${r.out}${r.err}\nnginx:\n${front.log()}`).toBe(0);
    expectAnswer(parseDigOutput(r.out), c, r.out + r.err);
  });
});

describe("the TLS front's certificate is really checked", () => {
  const systemCAs = "/etc/ssl/certs/ca-certificates.crt";
  it("dig +https with a CA file that does not hold it gets no answer", () => {
    const r = runTool("dig", ["+https", `+tls-ca=${systemCAs}`, "+tls-hostname=localhost", "@127.0.0.1", "-p", String(front.tlsPort), `www.${ZONE}`, "A"]);
    // dig 9.18 exits 0 here; the message and the missing answer say it refused the peer.
    expect(r.out + r.err).toMatch(/TLS peer certificate verification .* failed/);
    expect(r.out).not.toMatch(/status: /);
  });
  it("kdig +https with a CA file that does not hold it fails", () => {
    const r = runTool("kdig", ["+https", `+tls-ca=${systemCAs}`, "+tls-hostname=localhost", "@127.0.0.1", "-p", String(front.tlsPort), `www.${ZONE}`, "A"]);
    expect(r.status).not.toBe(0);
    expect(r.out + r.err).toMatch(/certificate/i);
  });
});

describe("dnspython dns.query.https straight to the Worker (HTTP/1.1)", () => {
  it.each(["post", "get"])("%s", (method) => {
    const r = runTool(PYTHON, [join(ROOT, "test/support/doh_query.py"), `${tc.url}/dns-query`, method, JSON.stringify(CASES.map((c) => [c.name, c.type]))]);
    expect(r.status, r.out + r.err).toBe(0);
    const results = JSON.parse(r.out) as { name: string; type: string; rcode: string; flags: string[]; answer: string[]; authority: string[] }[];
    results.forEach((got, i) => {
      const c = CASES[i]!;
      expectAnswer({ rcode: got.rcode, flags: got.flags, answer: got.answer.map(normalizeRR), authority: got.authority.map(normalizeRR) }, c, JSON.stringify(got, null, 1));
    });
  });
});

describe("the JSON form answers curl", () => {
  interface Json {
    Status: number;
    AD: boolean;
    Question: { name: string; type: number }[];
    Answer?: { name: string; type: number; TTL: number; data: string }[];
    Authority?: { name: string; type: number; TTL: number; data: string }[];
  }
  const curl = (url: string, extra: string[] = []): { json: Json; headers: string } => {
    const r = runTool("curl", ["-sS", "-D", "-", "-H", "accept: application/dns-json", ...extra, url]);
    expect(r.status, r.out + r.err).toBe(0);
    const split = r.out.indexOf("\r\n\r\n");
    return { headers: r.out.slice(0, split), json: JSON.parse(r.out.slice(split + 4)) as Json };
  };

  it("answers ?name=&type= with Accept: application/dns-json", () => {
    const { json, headers } = curl(`${tc.url}/dns-query?name=www.${ZONE}&type=AAAA`);
    expect(headers).toMatch(/content-type: application\/dns-json/i);
    expect(headers).toMatch(/cache-control: max-age=300/i);
    expect(json.Status).toBe(0);
    expect(json.Question).toEqual([{ name: `www.${ZONE}`, type: 28 }]);
    expect(json.Answer).toEqual([{ name: `www.${ZONE}`, type: 28, TTL: 300, data: "2001:db8::10" }]);

    const cname = curl(`${tc.url}/dns-query?name=alias.${ZONE}&type=A`).json;
    expect(cname.Answer?.map((a) => [a.type, a.data])).toEqual([[5, `www.${ZONE}.`], [1, "192.0.2.10"]]);
    const nx = curl(`${tc.url}/dns-query?name=nope.${ZONE}&type=A`).json;
    expect(nx.Status).toBe(3);
    expect(nx.Authority?.map((a) => a.type)).toEqual([6]);
    const https = curl(`${tc.url}/dns-query?name=${ZONE}&type=HTTPS`).json;
    expect(https.Answer?.map((a) => a.data.replace(/"/g, ""))).toEqual(["1 . alpn=h3,h2 ipv6hint=2001:db8::10"]);
    const signed = curl(`${tc.url}/dns-query?name=${ZONE}&type=CAA&do=1`).json;
    expect(signed.Answer?.map((a) => a.type)).toEqual([257, 46]);
  });

  it("answers through the front over h2c too (curl --http2-prior-knowledge)", () => {
    const { json, headers } = curl(`http://127.0.0.1:${front.h2cPort}/dns-query?name=_doh._tcp.${ZONE}&type=SRV`, ["--http2-prior-knowledge"]);
    expect(headers).toMatch(/^HTTP\/2 200/);
    expect(json.Answer?.map((a) => a.data)).toEqual([`0 1 443 www.${ZONE}.`]);
  });
});

interface Validation {
  name: string;
  type: string;
  expect: string;
  tamper: boolean;
  ok: boolean;
  detail: string;
  rrsets?: string[];
  nsec_types?: string[];
}

describe("DNSSEC: dnspython's dns.dnssec.validate over DoH", () => {
  it("validates signed answers and compact denials under the API's DNSKEY, and rejects tampered records", () => {
    const cases = [
      ...CASES.filter((c) => !c.soa).map((c) => ({ name: `${c.name}.`, type: c.type, expect: "positive" })),
      { name: `nope.${E2E_APEX}`, type: "A", expect: "nxdomain" },
      { name: `a.b.nope.${E2E_APEX}`, type: "AAAA", expect: "nxdomain" },
      { name: `www.${E2E_APEX}`, type: "MX", expect: "nodata" },
      { name: `${E2E_APEX}`, type: "TLSA", expect: "nodata" },
      // Tampered: one RDATA changed before validating; each must FAIL validation.
      { name: `www.${E2E_APEX}`, type: "A", expect: "positive", tamper: true },
      { name: `x.apps.${E2E_APEX}`, type: "AAAA", expect: "positive", tamper: true },
      { name: `${E2E_APEX}`, type: "HTTPS", expect: "positive", tamper: true },
      { name: `_doh._tcp.${E2E_APEX}`, type: "SRV", expect: "positive", tamper: true },
      { name: `nope.${E2E_APEX}`, type: "A", expect: "nxdomain", tamper: true },
      { name: `www.${E2E_APEX}`, type: "MX", expect: "nodata", tamper: true },
    ];
    const r = runTool(PYTHON, [join(ROOT, "test/e2e/dnssec_validate.py"), `${tc.url}/dns-query`, E2E_APEX, dnskey, JSON.stringify(cases)]);
    expect(r.status, r.out + r.err).toBe(0);
    const results = JSON.parse(r.out) as Validation[];
    expect(results).toHaveLength(cases.length + 1); // + the DNSKEY RRset itself
    for (const v of results) expect(v.ok, `${v.tamper ? "tampered " : ""}${v.name} ${v.type} (${v.expect}): ${v.detail}`).toBe(true);
    // Denials are RFC 9824 compact answers: one NSEC at the name, NXNAME for names that do not exist.
    const nx = results.find((v) => v.name === `nope.${E2E_APEX}` && !v.tamper)!;
    expect(nx.rrsets).toEqual([`${E2E_APEX} SOA`, `nope.${E2E_APEX} NSEC`]);
    expect(nx.nsec_types).toEqual(["NSEC", "RRSIG", "TYPE128"]);
    expect(results.find((v) => v.type === "MX" && !v.tamper)!.nsec_types).toEqual(["A", "AAAA", "NSEC", "RRSIG"]);
    // A tampered answer failed on its signature, not for some other reason.
    for (const v of results.filter((x) => x.tamper)) expect(v.detail).toMatch(/RRSIG|signature|validat/i);
  });
});

describe("DNSSEC: delv with the zone's DNSKEY as a static trust anchor", () => {
  // delv speaks classic DNS (UDP/TCP) only and TrustChain serves DNS only over DoH, so delv asks
  // a local dnsdist that forwards each query unchanged (no cache) over DoH through the TLS front.
  let forwarderPort: number;
  let relayPort: number;
  let anchors: string;

  beforeAll(async () => {
    forwarderPort = await freePort();
    helpers.push(await startDnsdistForwarder({ dir, port: forwarderPort, dohPort: front.tlsPort, caFile: front.certPath, checkName: E2E_APEX }));
    relayPort = await freePort();
    helpers.push(await startBackground(PYTHON, [join(ROOT, "test/support/dns_tamper_relay.py"), String(relayPort), `${tc.url}/dns-query`, `www.${E2E_APEX}`], (log) => log.includes("ready"), "tampering relay"));
    anchors = join(dir, "delv-anchors.conf");
    const [flags, proto, alg, ...key] = dnskey.split(/\s+/);
    writeFileSync(anchors, `trust-anchors {\n  "${E2E_APEX}" static-key ${flags} ${proto} ${alg} "${key.join("")}";\n};\n`);
  });

  const delv = (port: number, name: string, type: string): string => {
    const r = runTool("delv", ["-a", anchors, `+root=${ZONE}`, "@127.0.0.1", "-p", String(port), name, type]);
    return r.out + r.err;
  };

  it.each(CASES.filter((c) => !c.soa).map((c) => [`${c.name} ${c.type}`, c] as const))("%s is fully validated", (_label, c) => {
    const out = delv(forwarderPort, c.name, c.type);
    expect(out, out).toContain("; fully validated");
    const rrs = out.split("\n").filter((l) => l.trim() && !l.startsWith(";")).map(normalizeRR).filter((l) => !l.includes(" RRSIG "));
    expect(rrs, out).toEqual(c.answer);
  });

  it.each(CASES.filter((c) => c.soa).map((c) => [`${c.name} ${c.type}`, c] as const))("the denial for %s is fully validated", (_label, c) => {
    const out = delv(forwarderPort, c.name, c.type);
    // delv 9.18 does not know RFC 9824's NXNAME, so it reports a compact NXDOMAIN as a validated NODATA.
    expect(out, out).toContain("; negative response, fully validated");
    expect(out, out).toMatch(new RegExp(`; ${c.name.replace(/\./g, "\\.")}\\. NSEC \\\\000\\.${c.name.replace(/\./g, "\\.")}\\. `));
  });

  it("rejects an A record tampered with on the way (and accepts the same relay's untouched answers)", () => {
    const tampered = delv(relayPort, `www.${ZONE}`, "A");
    expect(tampered, tampered).not.toContain("fully validated");
    expect(tampered, tampered).toMatch(/resolution failed|no valid signature|bogus|RRSIG failed to verify/i);
    expect(tampered).not.toMatch(/^www\.clients\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.254/m);
    const untouched = delv(relayPort, `www.${ZONE}`, "AAAA");
    expect(untouched, untouched).toContain("; fully validated");
  });
});
