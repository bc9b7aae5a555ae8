// SOA serial numbers: RFC 1982 serial number arithmetic and the rule this server uses to bump
// the serial on every change.

/** RFC 1982 §3.2: s1 < s2 in 32-bit serial arithmetic. */
export function serialLess(s1: number, s2: number): boolean {
  const a = s1 >>> 0, b = s2 >>> 0;
  return (a < b && b - a < 0x80000000) || (a > b && a - b > 0x80000000);
}

/**
 * The serial after `current`: the current time in seconds when that is ahead (so serials also
 * say roughly when a zone last changed, as many online signers do), otherwise current + 1
 * (RFC 1982 §3.1 addition). A `requested` serial, e.g. from an imported zone file, wins when it
 * is ahead of both, so an operator's own numbering scheme is kept.
 */
export function nextSerial(current: number, nowSeconds: number, requested?: number): number {
  let next = (current + 1) >>> 0;
  const now = nowSeconds >>> 0;
  if (serialLess(next, now)) next = now;
  if (requested !== undefined && serialLess(next, requested >>> 0)) next = requested >>> 0;
  return next;
}
