// Thousands of random and mutated CSRs at the issuance endpoint: every answer is a 2xx or a 4xx
// problem document, never a 5xx or a crash.

import { describe, expect, it } from "vitest";
import { toBase64 } from "../../src/encoding/bytes.ts";
import { call, makeCsr, mintToken } from "../support/worker-helpers.ts";

// A small deterministic PRNG so a failure can be replayed from its seed.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const b = src.slice();
  const kind = Math.floor(r() * 5);
  const n = 1 + Math.floor(r() * 4);
  if (kind === 0) for (let i = 0; i < n; i++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
  if (kind === 1) return b.subarray(0, Math.floor(r() * b.length));
  if (kind === 2) {
    const at = Math.floor(r() * b.length);
    const extra = Uint8Array.from({ length: 1 + Math.floor(r() * 16) }, () => Math.floor(r() * 256));
    const out = new Uint8Array(b.length + extra.length);
    out.set(b.subarray(0, at));
    out.set(extra, at);
    out.set(b.subarray(at), at + extra.length);
    return out;
  }
  if (kind === 3) {
    // Length octets are where ASN.1 parsers break: hit bytes right after a tag.
    for (let i = 0; i < n; i++) {
      const at = 1 + Math.floor(r() * (b.length - 1));
      b[at] = [0x00, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xff][Math.floor(r() * 7)]!;
    }
  }
  if (kind === 4) for (let i = 0; i < n; i++) b[Math.floor(r() * b.length)]! ^= 1 << Math.floor(r() * 8);
  return b;
}

describe("CSR fuzzing", () => {
  it("never answers 5xx", async () => {
    const token = await mintToken("issuer");
    const seeds = [
      await makeCsr("p256", ["fuzz.example.com", "2001:db8::7"]),
      await makeCsr("rsa2048", ["fuzz.example.com"]),
      await makeCsr("ed25519", ["a.fuzz.example.com", "b.fuzz.example.com"]),
      await makeCsr("p384", ["*.fuzz.example.com"]),
    ];
    const r = rng(20261121);
    const bodies: { body: Uint8Array | string; type: string }[] = [];
    for (let i = 0; i < 3000; i++) {
      const seed = seeds[i % seeds.length]!;
      const pick = r();
      if (pick < 0.1) {
        bodies.push({ body: Uint8Array.from({ length: Math.floor(r() * 600) }, () => Math.floor(r() * 256)), type: "application/pkcs10" });
      } else if (pick < 0.8) {
        bodies.push({ body: mutate(seed.der, r), type: "application/pkcs10" });
      } else if (pick < 0.9) {
        const b64 = toBase64(mutate(seed.der, r));
        bodies.push({ body: `-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n-----END CERTIFICATE REQUEST-----\n`, type: "application/x-pem-file" });
      } else {
        bodies.push({ body: JSON.stringify({ csr: seed.pem.replace(/[A-Za-z]/, (c) => (c === "A" ? "B" : "A")), profile: r() < 0.5 ? "week" : 5 }), type: "application/json" });
      }
    }
    const statuses = new Map<number, number>();
    for (let i = 0; i < bodies.length; i += 50) {
      const batch = await Promise.all(
        bodies.slice(i, i + 50).map(async ({ body, type }, j) => {
          const res = await call("/api/v1/certificates", { method: "POST", body, token, headers: { "content-type": type } });
          const text = await res.text();
          if (res.status >= 500) throw new Error(`case ${i + j}: ${res.status} ${text}`);
          if (res.status >= 400) expect(res.headers.get("content-type"), text).toBe("application/problem+json");
          return res.status;
        }),
      );
      for (const s of batch) statuses.set(s, (statuses.get(s) ?? 0) + 1);
    }
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    // Most mutations must be refused; a few (e.g. in unsigned padding) still issue, which is fine.
    expect(statuses.get(400) ?? 0).toBeGreaterThan(2000);
  }, 240_000);
});
