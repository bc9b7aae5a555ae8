import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/encoding/bytes.ts";
import { TlsDecodeError, TlsReader, TlsWriter } from "../../src/ct/tls.ts";

const hex = (s: string) => fromHex(s)!;

describe("TLS presentation language", () => {
  it("writes big-endian integers of every CT width", () => {
    const out = new TlsWriter().uint8(0xab).uint16(0x0102).uint24(0x030405).uint40(0x060708090a).uint64(1588741228371).finish();
    expect(toHex(out)).toBe("ab" + "0102" + "030405" + "060708090a" + "00000171e85b4753");
  });

  it("reads what it writes", () => {
    const r = new TlsReader(hex("ab0102030405060708090a00000171e85b4753"));
    expect([r.uint8(), r.uint16(), r.uint24(), r.uint40(), r.uint64()]).toEqual([0xab, 0x0102, 0x030405, 0x060708090a, 1588741228371]);
    expect(() => r.end()).not.toThrow();
  });

  it("refuses values that do not fit", () => {
    expect(() => new TlsWriter().uint8(256)).toThrow(RangeError);
    expect(() => new TlsWriter().uint16(-1)).toThrow(RangeError);
    expect(() => new TlsWriter().uint24(2 ** 24)).toThrow(RangeError);
    expect(() => new TlsWriter().uint40(2 ** 40)).toThrow(RangeError);
    expect(() => new TlsWriter().uint64(2 ** 53)).toThrow(RangeError);
    expect(() => new TlsWriter().uint64(1.5)).toThrow(RangeError);
    expect(toHex(new TlsWriter().uint64(Number.MAX_SAFE_INTEGER).finish())).toBe("001fffffffffffff");
    expect(() => new TlsReader(hex("0020000000000000")).uint64()).toThrow(TlsDecodeError);
  });

  it("length-prefixes opaque vectors with 1, 2 or 3 bytes", () => {
    const body = hex("c0ffee");
    expect(toHex(new TlsWriter().opaque(body, 1).finish())).toBe("03c0ffee");
    expect(toHex(new TlsWriter().opaque(body, 2).finish())).toBe("0003c0ffee");
    expect(toHex(new TlsWriter().opaque(body, 3).finish())).toBe("000003c0ffee");
    expect(toHex(new TlsWriter().vector(2, (w) => w.uint8(1).uint8(2)).finish())).toBe("00020102");
    expect(() => new TlsWriter().opaque(new Uint8Array(256), 1)).toThrow(RangeError);
    expect(() => new TlsWriter().opaque(new Uint8Array(0), 3, 1)).toThrow(RangeError);
    expect(() => new TlsWriter().fixed(new Uint8Array(31), 32)).toThrow(RangeError);
  });

  it("fails on short, undersized and trailing input", () => {
    expect(() => new TlsReader(hex("0003c0ff")).opaque(2)).toThrow(TlsDecodeError);
    expect(() => new TlsReader(hex("0000")).opaque(2, 1)).toThrow(TlsDecodeError);
    expect(() => new TlsReader(hex("01")).uint16()).toThrow(TlsDecodeError);
    const r = new TlsReader(hex("000002"));
    expect(toHex(r.opaque(2))).toBe("");
    expect(r.remaining).toBe(1);
    expect(() => r.end()).toThrow(TlsDecodeError);
    const v = new TlsReader(hex("0002aabbcc")).vector(2);
    expect(v.uint16()).toBe(0xaabb);
  });

  it("copies what it reads, and what it writes when it finishes", () => {
    const data = hex("0002aabb");
    const got = new TlsReader(data).opaque(2);
    data[2] = 0;
    expect(toHex(got)).toBe("aabb");
    const src = hex("aabb");
    const out = new TlsWriter().fixed(src, 2).finish();
    src[0] = 0;
    expect(toHex(out)).toBe("aabb");
  });
});
