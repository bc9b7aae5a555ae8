// The pure ACME rules in src/acme: the RFC 7638 thumbprint vector, JWS shape checks, TXT
// presentation text, and http-01's redirect and response rules driven through a local fetch
// function (the network is a parameter of validateHttp01).

import { describe, expect, it } from "vitest";
import { jwkThumbprint, parseJws } from "../../src/acme/jws.ts";
import { parseOrderIdentifiers } from "../../src/acme/order-request.ts";
import { MAX_REDIRECTS, publicAddressesOnly, txtRecordText, validateDns01, validateHttp01 } from "../../src/acme/validation.ts";
import { dns01Value } from "../../src/dns/acme-challenge.ts";

const E = (t: string) => `urn:ietf:params:acme:error:${t}`;

describe("JWS", () => {
  it("computes the RFC 7638 §3.1 thumbprint", async () => {
    const jwk = {
      kty: "RSA",
      n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
      e: "AQAB",
      alg: "RS256",
      kid: "2011-04-29",
    };
    expect(await jwkThumbprint(jwk)).toBe("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  });

  const enc = (o: unknown) => btoa(JSON.stringify(o)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const body = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

  it("refuses unsupported algorithms, both or neither of jwk/kid, and unprotected headers", () => {
    const base = { nonce: "n", url: "http://x/acme/new-order", kid: "k" };
    const none = parseJws(body({ protected: enc({ ...base, alg: "none" }), payload: "", signature: "" }));
    expect(!none.ok && none.problem.type).toBe(E("badSignatureAlgorithm"));
    expect(!none.ok && none.problem.algorithms).toContain("ES256");
    const both = parseJws(body({ protected: enc({ ...base, alg: "ES256", jwk: { kty: "EC" } }), payload: "", signature: "" }));
    expect(!both.ok && both.problem.type).toBe(E("malformed"));
    const unprotected = parseJws(body({ protected: enc({ ...base, alg: "ES256" }), header: {}, payload: "", signature: "" }));
    expect(!unprotected.ok && unprotected.problem.type).toBe(E("malformed"));
    const privateKey = parseJws(body({ protected: enc({ nonce: "n", url: "u", alg: "ES256", jwk: { kty: "EC", d: "secret" } }), payload: "", signature: "" }));
    expect(!privateKey.ok && privateKey.problem.type).toBe(E("badPublicKey"));
    const noNonce = parseJws(body({ protected: enc({ url: "u", alg: "ES256", kid: "k" }), payload: "", signature: "" }));
    expect(!noNonce.ok && noNonce.problem.type).toBe(E("badNonce"));
  });
});

describe("newOrder identifiers", () => {
  it("canonicalizes, deduplicates and rejects with subproblems", () => {
    const r = parseOrderIdentifiers({ identifiers: [{ type: "dns", value: "WWW.Example.test" }, { type: "dns", value: "www.example.test" }, { type: "ip", value: "2001:DB8:0:0::1" }] }, 100);
    expect(r.ok && r.value).toEqual([{ type: "dns", value: "www.example.test" }, { type: "ip", value: "2001:db8::1" }]);
    const bad = parseOrderIdentifiers({ identifiers: [{ type: "dns", value: "a..b" }, { type: "ip", value: "224.0.0.1" }] }, 100);
    expect(!bad.ok && bad.problem.subproblems).toHaveLength(2);
    expect(parseOrderIdentifiers({ identifiers: [{ type: "dns", value: "a.test" }, { type: "dns", value: "b.test" }] }, 1).ok).toBe(false);
    // An IP literal sent as "dns" (lego 4.9) can only mean the RFC 8738 "ip" identifier.
    const lego = parseOrderIdentifiers({ identifiers: [{ type: "dns", value: "::1" }, { type: "dns", value: "192.0.2.7" }, { type: "ip", value: "0:0::1" }] }, 100);
    expect(lego.ok && lego.value).toEqual([{ type: "ip", value: "::1" }, { type: "ip", value: "192.0.2.7" }]);
  });
});

describe("dns-01", () => {
  it("reads TXT presentation text and matches the digest", async () => {
    expect(txtRecordText('"abc" "def"')).toBe("abcdef");
    expect(txtRecordText('"a\\"b\\065"')).toBe('a"bA');
    const digest = await dns01Value("tok.thumb");
    const seen: string[] = [];
    const lookup = async (fqdn: string) => {
      seen.push(fqdn);
      return ["other", digest];
    };
    expect(await validateDns01(lookup, "*.example.test", "tok.thumb")).toEqual({ ok: true });
    expect(seen).toEqual(["_acme-challenge.example.test."]);
    const wrong = await validateDns01(async () => [], "example.test", "tok.thumb");
    expect(!wrong.ok && wrong.problem.type).toBe(E("incorrectResponse"));
  });
});

describe("http-01", () => {
  const noHosted = async () => null;

  it("follows redirects up to the limit and compares the trimmed body", async () => {
    const urls: string[] = [];
    const fetcher = async (url: string) => {
      urls.push(url);
      if (urls.length < 3) return new Response(null, { status: 302, headers: { location: `/hop/${urls.length}` } });
      return new Response("tok.thumb\n");
    };
    expect(await validateHttp01(fetcher, noHosted, "www.example.test", 5002, "tok", "tok.thumb")).toEqual({ ok: true });
    expect(urls[0]).toBe("http://www.example.test:5002/.well-known/acme-challenge/tok");
    expect(urls[2]).toBe("http://www.example.test:5002/hop/2");

    const loop = async (url: string) => new Response(null, { status: 301, headers: { location: url } });
    const looped = await validateHttp01(loop, noHosted, "www.example.test", 80, "tok", "tok.thumb");
    expect(!looped.ok && looped.problem.type).toBe(E("connection"));
    let calls = 0;
    await validateHttp01(async (u) => (calls++, loop(u)), noHosted, "www.example.test", 80, "tok", "tok.thumb");
    expect(calls).toBe(MAX_REDIRECTS + 1);
  });

  it("maps failures to connection, unauthorized and incorrectResponse", async () => {
    const refused = await validateHttp01(async () => { throw new Error("refused"); }, noHosted, "a.test", 80, "t", "t.k");
    expect(!refused.ok && refused.problem.type).toBe(E("connection"));
    const missing = await validateHttp01(async () => new Response("no", { status: 404 }), noHosted, "a.test", 80, "t", "t.k");
    expect(!missing.ok && missing.problem.type).toBe(E("unauthorized"));
    const wrong = await validateHttp01(async () => new Response("t.other"), noHosted, "a.test", 80, "t", "t.k");
    expect(!wrong.ok && wrong.problem.type).toBe(E("incorrectResponse"));
    const ftp = await validateHttp01(async () => new Response(null, { status: 302, headers: { location: "ftp://a.test/x" } }), noHosted, "a.test", 80, "t", "t.k");
    expect(!ftp.ok && ftp.problem.type).toBe(E("connection"));
  });

  it("connects to a hosted name's address and names it in the forwarding headers; brackets IPv6", async () => {
    const seen: { url: string; headers: Headers }[] = [];
    const fetcher = async (url: string, init: RequestInit) => {
      seen.push({ url, headers: new Headers(init.headers) });
      return new Response("t.k");
    };
    expect(await validateHttp01(fetcher, async () => "::1", "www.example.test", 5002, "t", "t.k", { privateAddresses: "allow" })).toEqual({ ok: true });
    expect(seen[0]!.url).toBe("http://[::1]:5002/.well-known/acme-challenge/t");
    expect(seen[0]!.headers.get("x-forwarded-host")).toBe("www.example.test:5002");
    expect(await validateHttp01(fetcher, noHosted, "2606:4700::1111", 80, "t", "t.k")).toEqual({ ok: true });
    expect(seen[1]!.url).toBe("http://[2606:4700::1111]/.well-known/acme-challenge/t");
  });

  it("refuses non-public addresses unless told to allow them (SSRF guard), and redirects off ports 80/443", async () => {
    const fetched: string[] = [];
    const ok = async (url: string) => (fetched.push(url), new Response("t.k"));
    const type = (o: { ok: boolean; problem?: { type: string } }) => (o.ok ? "ok" : o.problem!.type);
    for (const ip of ["::1", "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "100.64.0.1", "0.0.0.0"]) {
      expect(type(await validateHttp01(ok, noHosted, ip, 80, "t", "t.k")), ip).toBe(E("connection"));
    }
    expect(fetched).toEqual([]);
    expect(type(await validateHttp01(ok, noHosted, "::1", 80, "t", "t.k", { privateAddresses: "allow" }))).toBe("ok");
    // A name whose zone publishes a private address.
    expect(type(await validateHttp01(ok, async () => "10.0.0.7", "www.example.test", 80, "t", "t.k"))).toBe(E("connection"));
    // Resolver mode: the guard looks the name up first.
    const guard = publicAddressesOnly(async (h) => (h === "evil.example" ? ["203.0.114.1", "192.168.0.1"] : ["203.0.114.1"]));
    expect(type(await validateHttp01(ok, guard, "evil.example", 80, "t", "t.k"))).toBe(E("connection"));
    expect(type(await validateHttp01(ok, guard, "good.example", 80, "t", "t.k"))).toBe("ok");
    // Redirects: to a private literal, to another port, to https on 443.
    const redirect = (location: string) => async (url: string) => (url.includes("acme-challenge") ? new Response(null, { status: 302, headers: { location } }) : new Response("t.k"));
    expect(type(await validateHttp01(redirect("http://127.0.0.1/x"), guard, "good.example", 80, "t", "t.k"))).toBe(E("connection"));
    expect(type(await validateHttp01(redirect("http://good.example:8080/x"), guard, "good.example", 80, "t", "t.k"))).toBe(E("connection"));
    expect(type(await validateHttp01(redirect("https://good.example/x"), guard, "good.example", 80, "t", "t.k"))).toBe("ok");
    expect(type(await validateHttp01(redirect("http://evil.example/x"), guard, "good.example", 80, "t", "t.k"))).toBe(E("connection"));
    // The configured validation port stays allowed on redirects (local runs).
    expect(type(await validateHttp01(redirect("http://good.example:5002/x"), guard, "good.example", 5002, "t", "t.k"))).toBe("ok");
  });
});
