// Byte encodings used across the project. WebCrypto and the ASN.1 libraries want ArrayBuffer-backed
// views; everything here returns Uint8Array<ArrayBuffer> so results can be passed straight on.

import { createHash } from "node:crypto";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";

export type Bytes = Uint8Array<ArrayBuffer>;

// The TC39 base64/hex methods (Uint8Array.prototype.toBase64 / toHex, Uint8Array.fromBase64) are
// native in workerd and many times faster than building a binary string; Node 22, which runs
// the scripts, lacks them, hence the fallbacks.
interface NativeCodecs {
  toBase64?: (this: Uint8Array) => string;
  toHex?: (this: Uint8Array) => string;
}
interface NativeDecoders {
  fromBase64?: (text: string) => Uint8Array;
}
const nativeEncode = Uint8Array.prototype as unknown as NativeCodecs;
const nativeDecode = Uint8Array as unknown as NativeDecoders;

export function toBytes(data: ArrayBuffer | ArrayBufferView): Bytes {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  const copy = new Uint8Array(data.byteLength);
  copy.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return copy;
}

/**
 * Concatenates byte strings; an argument may be an array of them. Pass a list of unbounded
 * length as an array, never spread into arguments: a long spread (a TXT record of 100,000
 * strings) overflows the stack.
 */
export function concatBytes(...parts: readonly (Uint8Array | readonly Uint8Array[])[]): Bytes {
  let length = 0;
  for (const p of parts) {
    if (Array.isArray(p)) for (const q of p as readonly Uint8Array[]) length += q.length;
    else length += (p as Uint8Array).length;
  }
  const out = new Uint8Array(length);
  let off = 0;
  for (const p of parts) {
    for (const q of Array.isArray(p) ? (p as readonly Uint8Array[]) : [p as Uint8Array]) {
      out.set(q, off);
      off += q.length;
    }
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(data: Uint8Array | ArrayBuffer): string {
  const b = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (nativeEncode.toHex) return nativeEncode.toHex.call(b);
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!];
  return s;
}

export function fromHex(hex: string): Bytes | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toBase64(data: Uint8Array): string {
  if (nativeEncode.toBase64) return nativeEncode.toBase64.call(data);
  let s = "";
  for (let i = 0; i < data.length; i += 0x8000) s += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Strict standard base64 (padding optional); null when the text is not base64. */
export function fromBase64(text: string): Bytes | null {
  const clean = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.replace(/=+$/, "").length % 4 === 1) return null;
  try {
    if (nativeDecode.fromBase64) return nativeDecode.fromBase64(clean) as Bytes;
    const bin = atob(clean);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

export function toBase64Url(data: Uint8Array): string {
  return toBase64(data).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64Url(text: string): Bytes | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  return fromBase64(text.replace(/-/g, "+").replace(/_/g, "/"));
}

// SHA-256 without a Promise, for hashing inside a round (leaves, identities, tree nodes): native
// (node:crypto, BoringSSL in workerd) for inputs like certificates, @noble/hashes for short ones
// such as the 65-byte Merkle node inputs, where crossing into native costs more than it saves
// (workerd CPU measured per hash: about 540 bytes 5–6 µs native, 11–12 µs noble; 65 bytes 4 µs
// native, 3 µs noble).
const NATIVE_HASH_FROM = 256;

export function sha256Sync(...parts: Uint8Array[]): Bytes {
  let n = 0;
  for (const p of parts) n += p.length;
  if (n < NATIVE_HASH_FROM) {
    const h = nobleSha256.create();
    for (const p of parts) h.update(p);
    return h.digest() as Bytes;
  }
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export async function sha256(data: BufferSource): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

export async function sha1(data: BufferSource): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.digest("SHA-1", data));
}

export function utf8(text: string): Bytes {
  return new TextEncoder().encode(text) as Bytes;
}
