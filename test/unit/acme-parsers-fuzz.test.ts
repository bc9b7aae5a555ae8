// Fuzzing the parsers added for CAA, ARI and External Account Binding: random and mutated inputs
// never throw; they parse or answer null / a malformed problem.

import { describe, expect, it } from "vitest";
import { parseCaaRecord, parseIssueValue } from "../../src/acme/caa.ts";
import { parseExternalAccountBinding } from "../../src/acme/eab.ts";
import { parseCertId, renewalAdvice } from "../../src/acme/renewal-info.ts";
import { dohTxtLookup, txtRecordText, validateDns01 } from "../../src/acme/validation.ts";
import { mulberry32 } from "../support/prng.ts";

const rand = mulberry32(0xacafe);
const ALPHABET = ' \t"\\;=.,:#0123456789abcdefABCDEF-_*issuewildiodef\u0000é';
const randomText = (max = 80) => Array.from({ length: Math.floor(rand() * max) }, () => ALPHABET[Math.floor(rand() * ALPHABET.length)]).join("");
const b64u = (s: string) => btoa(unescape(encodeURIComponent(s))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

describe("parsers under fuzzing", () => {
  it("CAA records and issue values", () => {
    const seeds = ['0 issue "ca.test; accounturi=https://x/acme/account/1"', "\\# 10 00 05 69 73 73 75 65 61 2e 62", '128 issuewild ";"'];
    for (let i = 0; i < 3000; i++) {
      const base = seeds[i % seeds.length]!;
      const cut = Math.floor(rand() * base.length);
      const text = i % 2 ? randomText() : base.slice(0, cut) + randomText(6) + base.slice(cut + 1);
      const r = parseCaaRecord(text);
      if (r) {
        expect(r.flags).toBeGreaterThanOrEqual(0);
        expect(r.flags).toBeLessThanOrEqual(255);
        expect(() => parseIssueValue(r.value)).not.toThrow();
      }
      expect(() => parseIssueValue(text)).not.toThrow();
    }
  });

  it("ARI certIDs", () => {
    for (let i = 0; i < 3000; i++) {
      const text = i % 2 ? randomText() : `${b64u(randomText(24))}.${b64u(randomText(20))}`;
      const id = parseCertId(text);
      if (id) expect(id.serial).toMatch(/^[0-9a-f]+$/);
    }
    const advice = renewalAdvice({ notBefore: 0, notAfter: 0, revoked: false }, 10);
    expect(Date.parse(advice.info.suggestedWindow.start)).toBeLessThanOrEqual(Date.parse(advice.info.suggestedWindow.end));
  });

  it("external account bindings", () => {
    for (let i = 0; i < 2000; i++) {
      const header = rand() < 0.5 ? randomText() : JSON.stringify({ alg: ["HS256", "HS512", "none", 1][i % 4], kid: rand() < 0.8 ? randomText(20) : 7, url: randomText(30), ...(rand() < 0.2 ? { nonce: "x" } : {}) });
      const value = rand() < 0.2 ? randomText() : { protected: rand() < 0.9 ? b64u(header) : randomText(), payload: b64u(rand() < 0.5 ? randomText() : JSON.stringify({ kty: "EC", x: randomText(10) })), signature: rand() < 0.9 ? b64u(randomText(40)) : "" };
      const r = parseExternalAccountBinding(value);
      if (!r.ok) expect(r.problem.type).toBe("urn:ietf:params:acme:error:malformed");
    }
  });

  // Regular expressions that backtracked quadratically on 64 KiB of text: each took seconds.
  const timed = async <T>(f: () => T | Promise<T>): Promise<{ value: T; ms: number }> => {
    const start = performance.now();
    const value = await f();
    return { value, ms: performance.now() - start };
  };

  it("refuses a 64 KiB generic CAA record of digits in one pass", async () => {
    // The length and the hex ran together: "\# 1111…1x" was split in every possible way (6 s).
    const { value, ms } = await timed(() => parseCaaRecord(`\\# ${"1".repeat(64 * 1024)}x`));
    expect(value).toBeNull();
    expect(ms).toBeLessThan(500);
    expect(parseCaaRecord("\\# 7 00 05 69 73 73 75 65")).toEqual({ flags: 0, tag: "issue", value: "" });
    expect(parseCaaRecord("\\# 8 0005697373756565")).toEqual({ flags: 0, tag: "issue", value: "e" });
    // RFC 3597 §5: white space separates the length from the data.
    expect(parseCaaRecord("\\# 80005697373756565")).toBeNull();
  });

  it("reads 64 KiB of unterminated quoted TXT text in one pass", async () => {
    // A global regex restarted at every escaped quote of an unterminated string (1.3 s).
    const { value, ms } = await timed(() => txtRecordText(`"${'\\"'.repeat(32 * 1024)}`));
    expect(value.length).toBe(64 * 1024 + 1);
    expect(ms).toBeLessThan(500);
    expect(txtRecordText('"a" "b\\"c" "unterminated')).toBe('ab"c');
  });

  it("a resolver's TXT answer full of unterminated quotes fails dns-01 with incorrectResponse", async () => {
    // As large as the 64 KiB the resolver's JSON may be: each \" takes four characters in JSON.
    const data = `"${'\\"'.repeat(15 * 1024)}`;
    const resolver = async () => new Response(JSON.stringify({ Status: 0, Answer: [{ type: 16, data }] }), { headers: { "content-type": "application/dns-json" } });
    // The one-pass reader is timed above; here the answer is what matters.
    const value = await validateDns01(dohTxtLookup(resolver, "https://doh.test/dns-query"), "example.com", "tok.thumb");
    expect(!value.ok && value.problem.type).toBe("urn:ietf:params:acme:error:incorrectResponse");
  });
});
