// Proof of work bound to a request (the "work" proof): a nonce such that
// SHA-256("trustchain/consensus/work/v1" || requestHash || nonce) starts with `bits` zero bits.
// The difficulty comes from policy (policy.ts workBits); a client that must pay it solves it here.

import { fromHex, sha256Sync, toHex, utf8 } from "../encoding/bytes.ts";

const DOMAIN = utf8("trustchain/consensus/work/v1");
/** More than this is not a difficulty any policy asks for (it would take a client hours). */
export const MAX_WORK_BITS = 32;

function leadingZeroBits(h: Uint8Array): number {
  let n = 0;
  for (const b of h) {
    if (b === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(b) - 24;
  }
  return n;
}

/** The work a nonce (hex) carries for a request hash (hex): its count of leading zero bits. */
export function workOf(requestHash: string, nonce: string): number {
  const h = fromHex(requestHash);
  const n = fromHex(nonce);
  if (!h || !n || n.length > 32) return 0;
  return leadingZeroBits(sha256Sync(DOMAIN, h, n));
}

export function verifyWork(requestHash: string, nonce: string, bits: number): boolean {
  return bits <= 0 || workOf(requestHash, nonce) >= bits;
}

/** Finds a nonce meeting `bits` (expected 2^bits hashes). */
export function solveWork(requestHash: string, bits: number): string {
  if (bits > MAX_WORK_BITS) throw new RangeError(`difficulty ${bits} is above ${MAX_WORK_BITS} bits`);
  const nonce = new Uint8Array(8);
  const view = new DataView(nonce.buffer);
  for (let i = 0; ; i++) {
    view.setUint32(0, Math.floor(i / 2 ** 32));
    view.setUint32(4, i >>> 0);
    const hex = toHex(nonce);
    if (verifyWork(requestHash, hex, bits)) return hex;
  }
}
