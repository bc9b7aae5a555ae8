import { type Bytes, fromBase64, toBase64 } from "./bytes.ts";

/** PEM with a trailing newline, so that concatenated chains stay valid for OpenSSL. */
export function toPem(label: string, der: Uint8Array): string {
  const b64 = toBase64(der);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

export interface PemBlock {
  label: string;
  der: Bytes;
}

const MARKER = /-----(BEGIN|END) ([A-Z0-9 ]+)-----/g;

/**
 * All PEM blocks in a text, in order (text between blocks is ignored, as RFC 7468 §5.2 allows);
 * null if a block's body is not base64, a block is not closed by the END line of its label, or
 * blocks nest. One pass over the markers: a lazy BEGIN…END pattern rescanned the rest of the
 * text from every unclosed BEGIN (100 ms of CPU for a 64 KiB CSR body of BEGIN lines).
 */
export function parsePem(text: string): PemBlock[] | null {
  const out: PemBlock[] = [];
  let open: { label: string; bodyStart: number } | null = null;
  for (const m of text.matchAll(MARKER)) {
    const [marker, kind, label] = m as unknown as [string, "BEGIN" | "END", string];
    if (kind === "BEGIN") {
      if (open) return null;
      open = { label, bodyStart: m.index + marker.length };
    } else {
      if (!open || label !== open.label) return null;
      const der = fromBase64(text.slice(open.bodyStart, m.index));
      if (!der || der.length === 0) return null;
      out.push({ label, der });
      open = null;
    }
  }
  return open ? null : out;
}
