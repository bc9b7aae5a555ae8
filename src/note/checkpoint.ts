// c2sp.org/tlog-checkpoint note text: origin, tree size, root hash, optional extension lines.
// This is only the body; it is signed and opened as a signed note (note.ts).

import { type Bytes, fromBase64, toBase64 } from "../encoding/bytes.ts";
import { HASH_SIZE } from "../merkle/hash.ts";

export interface Checkpoint {
  /** Unique log identity; for static-ct-api the submission prefix without scheme or trailing slash. */
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** Opaque, non-empty lines after the root hash (NOT RECOMMENDED by the spec; kept for round trips). */
  readonly extensions: readonly string[];
}

const TREE_SIZE = /^(0|[1-9][0-9]*)$/;

function validLine(line: string): boolean {
  // signed-note "Format": no ASCII control characters other than newline anywhere in a note.
  return line.length > 0 && !/[\u0000-\u001f]/.test(line);
}

/** Formats the note text: each line ends in a newline, including the last (signed-note "Format"). */
export function formatCheckpoint(c: Checkpoint): string {
  if (!validLine(c.origin)) throw new RangeError("checkpoint origin must be a non-empty line");
  if (!Number.isSafeInteger(c.size) || c.size < 0) throw new RangeError(`invalid tree size ${c.size}`);
  if (c.rootHash.length !== HASH_SIZE) throw new RangeError(`root hash must be ${HASH_SIZE} bytes`);
  for (const e of c.extensions) if (!validLine(e)) throw new RangeError("checkpoint extension lines must be non-empty lines");
  return [c.origin, String(c.size), toBase64(c.rootHash), ...c.extensions].map((l) => `${l}\n`).join("");
}

/**
 * Parses checkpoint note text strictly (tlog-checkpoint "Note text"): at least three non-empty
 * lines ending in newline; the size is decimal without leading zeroes; the root hash is
 * canonical standard base64 of exactly 32 bytes; extension lines are non-empty. Returns null for
 * anything else. Sizes above 2^53-1 are rejected (no CT log is near that).
 */
export function parseCheckpoint(text: string): Checkpoint | null {
  if (!text.endsWith("\n")) return null;
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3 || !lines.every(validLine)) return null;
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  if (!TREE_SIZE.test(sizeLine)) return null;
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) return null;
  const rootHash: Bytes | null = fromBase64(rootLine);
  if (rootHash === null || rootHash.length !== HASH_SIZE || toBase64(rootHash) !== rootLine) return null;
  return { origin, size, rootHash, extensions };
}
