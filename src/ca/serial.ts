import { toHex } from "../encoding/bytes.ts";

/**
 * A certificate serial number: 16 octets from the CSPRNG with the top octet forced into
 * 0x40–0x7f, so it is positive, needs no leading zero in DER, always has the same length, and
 * carries 126 random bits (the Baseline Requirements ask for at least 64).
 */
export function newSerial(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0]! & 0x3f) | 0x40;
  return toHex(b);
}

/** Serials in URLs and the index are lowercase hex without separators; accept common spellings. */
export function normalizeSerial(text: string): string | null {
  const s = text.replace(/:/g, "").toLowerCase().replace(/^(00)+(?=[0-9a-f]{2})/, "");
  if (!/^[0-9a-f]{2,40}$/.test(s) || s.length % 2 !== 0) return null;
  return s;
}
