// The TLS presentation language (RFC 8446 §3, RFC 5246 §4) as RFC 6962 uses it: big-endian
// unsigned integers and length-prefixed opaque vectors. Encoding is a small builder; decoding is
// a cursor that throws TlsDecodeError on anything short, long or out of range, so a structure
// parser is a straight sequence of reads.
//
// Integers are JavaScript numbers. uint64 fields in CT are millisecond timestamps and tree sizes,
// which stay below 2^53; values above Number.MAX_SAFE_INTEGER are rejected rather than rounded.

import { concatBytes, type Bytes } from "../encoding/bytes.ts";

export class TlsDecodeError extends Error {
  override readonly name = "TlsDecodeError";
}

/** Number of length-prefix bytes of opaque<floor..2^(8·n)-1>. */
export type LengthBytes = 1 | 2 | 3;

function maxFor(lengthBytes: LengthBytes): number {
  return 2 ** (8 * lengthBytes) - 1;
}

function checkUint(value: number, bits: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > 2 ** bits - 1) {
    throw new RangeError(`${value} does not fit in uint${bits}`);
  }
}

/** Collects fields and concatenates them in finish(); byte fields are read then, not copied when added. */
export class TlsWriter {
  private readonly chunks: Uint8Array[] = [];

  /** Big-endian unsigned integer of `bytes` bytes (1..8); must be a safe integer. */
  uint(value: number, bytes: number): this {
    checkUint(value, Math.min(8 * bytes, 53));
    const out = new Uint8Array(bytes);
    let v = value;
    for (let i = bytes - 1; i >= 0; i--) {
      out[i] = v % 256;
      v = Math.floor(v / 256);
    }
    this.chunks.push(out);
    return this;
  }

  uint8(value: number): this {
    return this.uint(value, 1);
  }
  uint16(value: number): this {
    return this.uint(value, 2);
  }
  uint24(value: number): this {
    return this.uint(value, 3);
  }
  /** static-ct-api LeafIndex is a uint40 (uint8 uint40[5]). */
  uint40(value: number): this {
    return this.uint(value, 5);
  }
  uint64(value: number): this {
    return this.uint(value, 8);
  }

  /** A fixed-length field (opaque x[n]): written as is; the caller's type fixes n. */
  fixed(data: Uint8Array, length: number): this {
    if (data.length !== length) throw new RangeError(`fixed field must be ${length} bytes, got ${data.length}`);
    this.chunks.push(data);
    return this;
  }

  /** opaque<min..2^(8·lengthBytes)-1>: a length prefix and the bytes. */
  opaque(data: Uint8Array, lengthBytes: LengthBytes, min = 0): this {
    if (data.length < min || data.length > maxFor(lengthBytes)) {
      throw new RangeError(`vector of ${data.length} bytes is outside <${min}..${maxFor(lengthBytes)}>`);
    }
    this.uint(data.length, lengthBytes);
    this.chunks.push(data);
    return this;
  }

  /** A vector whose body is itself built with a writer (e.g. a list of structures). */
  vector(lengthBytes: LengthBytes, build: (w: TlsWriter) => void, min = 0): this {
    const inner = new TlsWriter();
    build(inner);
    return this.opaque(inner.finish(), lengthBytes, min);
  }

  finish(): Bytes {
    return concatBytes(this.chunks);
  }
}

export class TlsReader {
  private offset = 0;
  // A plain field, not a parameter property: Node loads this module directly (audit:verify).
  private readonly data: Uint8Array;

  constructor(data: Uint8Array) {
    this.data = data;
  }

  get remaining(): number {
    return this.data.length - this.offset;
  }

  private take(n: number): Uint8Array {
    if (n > this.remaining) throw new TlsDecodeError(`need ${n} bytes, ${this.remaining} left`);
    const out = this.data.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  uint(bytes: number): number {
    const b = this.take(bytes);
    let v = 0;
    for (const x of b) v = v * 256 + x;
    if (!Number.isSafeInteger(v)) throw new TlsDecodeError(`uint${8 * bytes} value exceeds 2^53-1`);
    return v;
  }

  uint8(): number {
    return this.uint(1);
  }
  uint16(): number {
    return this.uint(2);
  }
  uint24(): number {
    return this.uint(3);
  }
  uint40(): number {
    return this.uint(5);
  }
  uint64(): number {
    return this.uint(8);
  }

  /** opaque x[n]: a copy of the next n bytes. */
  fixed(length: number): Bytes {
    return this.take(length).slice();
  }

  /** opaque<min..2^(8·lengthBytes)-1>: a copy of the body. */
  opaque(lengthBytes: LengthBytes, min = 0): Bytes {
    const len = this.uint(lengthBytes);
    if (len < min) throw new TlsDecodeError(`vector of ${len} bytes is shorter than ${min}`);
    return this.take(len).slice();
  }

  /** A reader over the body of the next length-prefixed vector. */
  vector(lengthBytes: LengthBytes, min = 0): TlsReader {
    return new TlsReader(this.opaque(lengthBytes, min));
  }

  /** Fails unless everything was consumed: trailing bytes make an encoding ambiguous. */
  end(): void {
    if (this.remaining !== 0) throw new TlsDecodeError(`${this.remaining} trailing bytes`);
  }
}
