// A minimal DER writer (X.690 §10) for the hot issuance path. Building a leaf certificate through
// the reflective @peculiar/asn1-schema serializer costs about a millisecond; writing the few
// structures that change per certificate directly, around parts encoded once per issuer, costs
// a few microseconds. Everything else keeps using the schema classes.

import { type Bytes, concatBytes } from "./bytes.ts";

function lengthOctets(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function tlv(tag: number, ...content: Uint8Array[]): Bytes {
  const body = content.length === 1 ? content[0]! : concatBytes(content);
  return concatBytes(Uint8Array.of(tag), lengthOctets(body.length), body);
}

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

export const sequence = (...items: Uint8Array[]): Bytes => tlv(TAG.sequence, ...items);

/** A non-negative INTEGER from big-endian magnitude bytes (leading zeros trimmed, sign octet added). */
export function unsignedInteger(magnitude: Uint8Array): Bytes {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  return m[0]! & 0x80 ? tlv(TAG.integer, Uint8Array.of(0), m) : tlv(TAG.integer, m);
}

const oidCache = new Map<string, Bytes>();

export function oid(dotted: string): Bytes {
  const cached = oidCache.get(dotted);
  if (cached) return cached;
  const arcs = dotted.split(".").map(Number);
  const body: number[] = [];
  const first = arcs[0]! * 40 + arcs[1]!;
  for (const arc of [first, ...arcs.slice(2)]) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    body.push(...chunk);
  }
  const out = tlv(TAG.oid, Uint8Array.from(body));
  oidCache.set(dotted, out);
  return out;
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, always in whole seconds. */
export function time(d: Date): Bytes {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "");
  const year = d.getUTCFullYear();
  const text = year < 2050 ? `${digits.slice(2)}Z` : `${digits}Z`;
  return tlv(year < 2050 ? TAG.utcTime : TAG.generalizedTime, new TextEncoder().encode(text));
}

export function bitString(bytes: Uint8Array): Bytes {
  return tlv(TAG.bitString, Uint8Array.of(0), bytes);
}

export function octetString(bytes: Uint8Array): Bytes {
  return tlv(TAG.octetString, bytes);
}

export function utf8String(text: string): Bytes {
  return tlv(TAG.utf8String, new TextEncoder().encode(text));
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
export function extensionDer(extnID: string, critical: boolean, valueDer: Uint8Array): Bytes {
  return critical
    ? sequence(oid(extnID), tlv(TAG.boolean, Uint8Array.of(0xff)), octetString(valueDer))
    : sequence(oid(extnID), octetString(valueDer));
}
