// Strict IP address text parsing and RFC 5952 canonical formatting for iPAddress SANs.

export function parseIPv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    out[i] = v;
  }
  return out;
}

export function parseIPv6(text: string): Uint8Array | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return null;
  let head = text, tail = "";
  const dbl = text.indexOf("::");
  if (dbl >= 0) {
    if (text.indexOf("::", dbl + 1) >= 0) return null;
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const groups = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIPv4(p);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const h = groups(head), t = groups(tail);
  if (!h || !t) return null;
  // An embedded IPv4 address may only end the address.
  if (dbl >= 0 && head.includes(".")) return null;
  const total = h.length + t.length;
  if (dbl >= 0 ? total > 7 : total !== 8) return null;
  const all = [...h, ...new Array<number>(8 - total).fill(0), ...t];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

export function formatIP(bytes: Uint8Array): string | null {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (bytes.length !== 16) return null;
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  // RFC 5952 §4.2: compress the longest run (first one on ties) of two or more zero groups.
  let bestStart = -1, bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

export function parseIP(text: string): Uint8Array | null {
  return text.includes(":") ? parseIPv6(text) : parseIPv4(text);
}
