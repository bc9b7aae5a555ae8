// Audit log entries: who did what to what, under which consensus request hash, when. An entry's
// bytes are its canonical JSON; bundles of entries follow c2sp.org/tlog-tiles "Log entries"
// (each entry as a big-endian uint16 length and the bytes), at tile/entries/<N>[.p/<W>].

import { type Bytes, concatBytes, utf8 } from "../encoding/bytes.ts";
import { encodeTileIndex } from "../merkle/tiles.ts";
import { type Canonical, encodeCanonical } from "../consensus/canonical.ts";

export interface AuditEntry {
  actor: string;
  operation: string;
  target: string;
  /** Hex SHA-256 of the consensus request (empty when the operation had none). */
  requestHash: string;
  /** Milliseconds since the epoch. */
  time: number;
}

/** The bytes of an entry: the canonical JSON (without a domain line: the log is the domain). */
export function encodeEntry(e: AuditEntry): Bytes {
  return utf8(encodeCanonical(e as unknown as Canonical));
}

export function decodeEntry(bytes: Uint8Array): AuditEntry | null {
  try {
    const v = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes)) as Record<string, unknown>;
    if (typeof v.actor !== "string" || typeof v.operation !== "string" || typeof v.target !== "string" || typeof v.requestHash !== "string" || !Number.isSafeInteger(v.time)) return null;
    return { actor: v.actor, operation: v.operation, target: v.target, requestHash: v.requestHash, time: v.time as number };
  } catch {
    return null;
  }
}

export const MAX_ENTRY_BYTES = 0xffff;

export function bundleEntries(entries: readonly Uint8Array[]): Bytes {
  return concatBytes(entries.map((e) => concatBytes(new Uint8Array([e.length >> 8, e.length & 0xff]), e)));
}

/** Splits a bundle; null when it is not a well-formed sequence of length-prefixed entries. */
export function splitBundle(bundle: Uint8Array): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bundle.length; ) {
    if (at + 2 > bundle.length) return null;
    const n = (bundle[at]! << 8) | bundle[at + 1]!;
    if (at + 2 + n > bundle.length) return null;
    out.push(bundle.subarray(at + 2, at + 2 + n));
    at += 2 + n;
  }
  return out;
}

export function entriesTilePath(index: number, width: number): string {
  return `tile/entries/${encodeTileIndex(index)}${width === 256 ? "" : `.p/${width}`}`;
}
