// Token buckets: a limit of `capacity` requests per `periodSeconds`, refilled continuously, so a
// client may burst up to capacity and then proceeds at capacity/period.

export interface LimitSpec {
  capacity: number;
  periodSeconds: number;
}

export interface BucketState {
  tokens: number;
  updatedMs: number;
}

export type TakeResult = { granted: number; retryAfterSeconds: 0 } | { granted: 0; retryAfterSeconds: number };

/**
 * Takes up to `want` tokens (at least one, or none). Retry-After is when one token will be back,
 * rounded up to whole seconds as HTTP's Retry-After needs (RFC 9110 §10.2.3).
 */
export function take(state: BucketState | undefined, spec: LimitSpec, want: number, nowMs: number): { state: BucketState; result: TakeResult } {
  const ratePerMs = spec.capacity / (spec.periodSeconds * 1000);
  const prior = state ?? { tokens: spec.capacity, updatedMs: nowMs };
  const tokens = Math.min(spec.capacity, prior.tokens + Math.max(0, nowMs - prior.updatedMs) * ratePerMs);
  if (tokens >= 1) {
    const granted = Math.max(1, Math.min(Math.floor(want), Math.floor(tokens)));
    return { state: { tokens: tokens - granted, updatedMs: nowMs }, result: { granted, retryAfterSeconds: 0 } };
  }
  const waitMs = (1 - tokens) / ratePerMs;
  return { state: { tokens, updatedMs: nowMs }, result: { granted: 0, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) } };
}

/** "<requests>/<seconds>", e.g. "300/60"; "", "off" or undefined: no limit. Throws on nonsense. */
export function parseLimit(text: string | undefined, setting: string): LimitSpec | null {
  if (text === undefined || text === "" || text === "off") return null;
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const capacity = Number(m?.[1]);
  const periodSeconds = Number(m?.[2]);
  if (!m || !(capacity >= 1) || !(periodSeconds >= 1) || capacity > 1e9 || periodSeconds > 86400 * 31) {
    throw new RangeError(`${setting} must be "<requests>/<seconds>" (e.g. "300/60") or "off", not ${JSON.stringify(text)}`);
  }
  return { capacity, periodSeconds };
}

/**
 * The key a client IP is limited under: the address itself for IPv4, its /64 for IPv6 (one
 * subscriber usually holds a whole /64, so per-address limits would not limit anyone).
 */
export function clientKey(ip: string | undefined | null): string {
  if (!ip) return "unknown";
  if (!ip.includes(":")) return ip;
  const [head = "", tail = ""] = ip.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...left, ...new Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}
