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

/** All PEM blocks in a text, in order; null if a block's body is not base64. */
export function parsePem(text: string): PemBlock[] | null {
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  const out: PemBlock[] = [];
  for (const m of text.matchAll(re)) {
    const der = fromBase64(m[2]!);
    if (!der || der.length === 0) return null;
    out.push({ label: m[1]!, der });
  }
  return out;
}
