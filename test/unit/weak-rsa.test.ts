import { describe, expect, it } from "vitest";
import { fermatFactor, hasSmallFactor, isRocaVulnerable, isqrt, rsaModulusWeakness } from "../../src/x509/weak-rsa.ts";
import { nextPrime } from "../support/weak-rsa-keys.ts";

const big = (bits: number) => {
  let n = 1n;
  for (const b of crypto.getRandomValues(new Uint8Array(bits / 8))) n = (n << 8n) | BigInt(b);
  return n;
};

describe("weak RSA moduli (BR §6.1.1.3)", () => {
  it("isqrt is exact", () => {
    for (const n of [0n, 1n, 15n, 16n, 17n, (1n << 200n) + 12345n]) {
      const r = isqrt(n);
      expect(r * r <= n && (r + 1n) * (r + 1n) > n).toBe(true);
    }
  });

  it("finds small prime factors below 752", () => {
    const q = nextPrime(big(1024));
    expect(hasSmallFactor(751n * q)).toBe(true);
    expect(hasSmallFactor(2n * q)).toBe(true);
    expect(rsaModulusWeakness(751n * q)).toContain("small prime factor");
  });

  it("factors close primes by Fermat's method within 100 rounds", () => {
    const p = nextPrime(big(1024) | (1n << 1023n));
    const q = nextPrime(p + (1n << 400n));
    const f = fermatFactor(p * q);
    expect(f).not.toBeNull();
    expect(f![0] * f![1]).toBe(p * q);
    expect(rsaModulusWeakness(p * q)).toContain("Fermat");
  });

  it("detects the ROCA fingerprint and passes ordinary moduli", () => {
    const primes = [3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n, 43n, 47n, 53n, 59n, 61n, 67n, 71n, 73n, 79n, 83n, 89n, 97n, 101n, 103n, 107n, 109n, 113n, 127n, 131n, 137n, 139n, 149n, 151n, 157n, 163n, 167n];
    const M = primes.reduce((a, b) => a * b, 1n);
    let g = 1n;
    for (let i = 0; i < 1234; i++) g = (g * 65537n) % M;
    // Any n ≡ 65537^k (mod M) has the fingerprint, whatever its other factors.
    const n = M * big(1024) + g;
    expect(isRocaVulnerable(n)).toBe(true);
    expect(isRocaVulnerable(nextPrime(big(1024)) * nextPrime(big(1024)))).toBe(false);
    let flagged = 0;
    for (let i = 0; i < 2000; i++) if (isRocaVulnerable(big(2048) | 1n)) flagged++;
    expect(flagged).toBe(0);
  });
});
