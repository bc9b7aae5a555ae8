// A minimal DER reader (X.690 §8.1, §10): splits an encoding into tag-length-value elements and
// keeps each element's exact bytes. Used where a structure must be taken apart and put back
// together without re-encoding the parts that do not change (RFC 6962 §3.2 precertificate
// TBSCertificate), which a schema (de)serializer cannot promise.

export class DerError extends Error {
  override readonly name = "DerError";
}

export interface DerElement {
  /** The identifier octet (single-byte tags only; X.509 uses no high tag numbers). */
  readonly tag: number;
  /** The whole element: identifier, length and contents. */
  readonly raw: Uint8Array;
  /** The contents octets. */
  readonly content: Uint8Array;
}

/** Reads the element at `offset`; throws DerError unless it is a well-formed definite-length DER element. */
export function readElement(data: Uint8Array, offset = 0): DerElement {
  if (offset + 2 > data.length) throw new DerError("truncated DER element");
  const tag = data[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError("high-tag-number form is not supported");
  let at = offset + 1;
  const first = data[at++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const n = first & 0x7f;
    // X.690 §10.1: DER uses the definite form with the minimum number of length octets.
    if (n === 0 || n > 4) throw new DerError("indefinite or oversized DER length");
    if (at + n > data.length) throw new DerError("truncated DER length");
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + data[at++]!;
    if (length < 0x80 || data[at - n] === 0) throw new DerError("non-minimal DER length");
  }
  const end = at + length;
  if (end > data.length) throw new DerError("DER element runs past its container");
  return { tag, raw: data.subarray(offset, end), content: data.subarray(at, end) };
}

/** The elements of a constructed value's contents, in order; throws on trailing garbage. */
export function readChildren(content: Uint8Array): DerElement[] {
  const out: DerElement[] = [];
  let at = 0;
  while (at < content.length) {
    const e = readElement(content, at);
    out.push(e);
    at += e.raw.length;
  }
  return out;
}

/** Reads exactly one element spanning all of `data`. */
export function readSingle(data: Uint8Array): DerElement {
  const e = readElement(data, 0);
  if (e.raw.length !== data.length) throw new DerError("trailing bytes after the DER element");
  return e;
}

/** The dotted form of an OBJECT IDENTIFIER's contents octets (X.690 §8.19). */
export function oidFromContents(body: Uint8Array): string {
  const arcs: number[] = [];
  let v = 0;
  for (const b of body) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join(".");
}
