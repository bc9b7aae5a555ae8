// Deliberately weak RSA keys for tests: real primes with the structure a weak-key check must
// catch, assembled into WebCrypto keys so they can sign CSRs.

import { toBase64Url } from "../../src/encoding/bytes.ts";

function randomBigInt(bits: number): bigint {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(bits / 8)));
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n & ((1n << BigInt(bits)) - 1n);
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let r = 1n;
  base %= mod;
  while (exp > 0n) {
    if (exp & 1n) r = (r * base) % mod;
    base = (base * base) % mod;
    exp >>= 1n;
  }
  return r;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}

const TRIAL = Array.from({ length: 400 }, (_, i) => BigInt(i + 3)).filter((n) => {
  for (let d = 2n; d * d <= n; d++) if (n % d === 0n) return false;
  return true;
});

export function isProbablePrime(n: bigint, rounds = 12): boolean {
  if (n < 2n) return false;
  for (const p of TRIAL) if (n % p === 0n) return n === p;
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  outer: for (let i = 0; i < rounds; i++) {
    const a = 2n + (randomBigInt(64) % (n - 4n));
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    for (let j = 1; j < s; j++) {
      x = (x * x) % n;
      if (x === n - 1n) continue outer;
    }
    return false;
  }
  return true;
}

export function nextPrime(from: bigint): bigint {
  let n = from | 1n;
  while (!isProbablePrime(n)) n += 2n;
  return n;
}

function toB64u(n: bigint): string {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return toBase64Url(bytes);
}

/** A WebCrypto RSASSA-PKCS1-v1_5 key pair from two primes, e = 65537. */
export async function rsaKeyFromPrimes(p: bigint, q: bigint): Promise<CryptoKeyPair> {
  const e = 65537n;
  const n = p * q;
  const d = modInverse(e, (p - 1n) * (q - 1n));
  const jwk: JsonWebKey = {
    kty: "RSA",
    n: toB64u(n),
    e: toB64u(e),
    d: toB64u(d),
    p: toB64u(p),
    q: toB64u(q),
    dp: toB64u(d % (p - 1n)),
    dq: toB64u(d % (q - 1n)),
    qi: toB64u(modInverse(q, p)),
    alg: "RS256",
    ext: true,
  };
  const alg = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const privateKey = await crypto.subtle.importKey("jwk", jwk, alg, true, ["sign"]);
  const publicKey = await crypto.subtle.importKey("jwk", { kty: "RSA", n: jwk.n, e: jwk.e, alg: "RS256", ext: true }, alg, true, ["verify"]);
  return { privateKey, publicKey };
}

/** p and q close enough that Fermat's method factors n = pq in a few rounds. */
export async function fermatWeakKey(): Promise<CryptoKeyPair> {
  const p = nextPrime(randomBigInt(1024) | (3n << 1022n));
  const q = nextPrime(p + (1n << 400n));
  return rsaKeyFromPrimes(p, q);
}

/** The ROCA construction (Nemec et al.): primes k·M + (65537^a mod M). */
export async function rocaKey(): Promise<CryptoKeyPair> {
  const rocaPrimes = [3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n, 43n, 47n, 53n, 59n, 61n, 67n, 71n, 73n, 79n, 83n, 89n, 97n, 101n, 103n, 107n, 109n, 113n, 127n, 131n, 137n, 139n, 149n, 151n, 157n, 163n, 167n];
  const M = 2n * rocaPrimes.reduce((a, b) => a * b, 1n);
  // k just below 2^1024 / M, so both primes are close to 2^1024 and their product has 2048 bits.
  const kMax = (1n << 1024n) / M;
  const prime = (): bigint => {
    for (;;) {
      const candidate = (kMax - 1n - randomBigInt(700)) * M + modPow(65537n, randomBigInt(64), M);
      if (isProbablePrime(candidate)) return candidate;
    }
  };
  for (;;) {
    const p = prime();
    const q = prime();
    if ((p * q).toString(2).length === 2048) return rsaKeyFromPrimes(p, q);
  }
}
