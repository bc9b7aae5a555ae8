// The demo zone the first start creates: TrustChain's own names. Services are found by name over
// IPv6 first (AAAA before A), through SRV records for discovery (RFC 2782), and the zone says with
// CAA (RFC 8659) that only this CA may issue for it.

import { defaultZoneContent } from "./hosted-zone.ts";
import { parseName } from "./names.ts";
import type { RRset } from "./types.ts";

export interface DemoZoneConfig {
  apex: string;
  /** Where the services listen: IPv6 and IPv4 addresses, and the HTTP port. */
  ipv6: string[];
  ipv4: string[];
  port: number;
  /** The CA's issuer domain for CAA "issue" (RFC 8659 §4.2). */
  caDomain: string;
}

/** Service host names and the SRV service labels that point at them. */
const SERVICES = [
  { host: "acme", srv: "_acme._tcp" },
  { host: "ct", srv: "_ct._tcp" },
  { host: "doh", srv: "_doh._tcp" },
  { host: "api", srv: null },
  { host: "ns1", srv: null },
] as const;

const TTL = 300;

export function demoZoneContent(c: DemoZoneConfig, now: number): RRset[] {
  const apex = c.apex;
  const at = (label: string): string => `${label}.${apex}`;
  const out: RRset[] = defaultZoneContent(apex, [at("ns1")], now);
  const addresses = (name: string): RRset[] => [
    ...(c.ipv6.length ? [{ name, type: "AAAA" as const, ttl: TTL, rdata: c.ipv6.map((address) => ({ address })) }] : []),
    ...(c.ipv4.length ? [{ name, type: "A" as const, ttl: TTL, rdata: c.ipv4.map((address) => ({ address })) }] : []),
  ];
  out.push(...addresses(apex));
  for (const s of SERVICES) {
    out.push(...addresses(at(s.host)));
    if (s.srv) out.push({ name: at(s.srv), type: "SRV", ttl: TTL, rdata: [{ priority: 0, weight: 0, port: c.port, target: at(s.host) }] });
  }
  // RFC 8659 §4.2: "issue" names the CA; "iodef" would need a reporting URL, which we do not run.
  out.push({ name: apex, type: "CAA", ttl: TTL, rdata: [{ flags: 0, tag: "issue", value: c.caDomain }] });
  return out;
}

/** Reads the demo zone settings from configuration strings; null when DEMO_ZONE is unset. */
export function demoZoneConfig(vars: { DEMO_ZONE?: string; DEMO_ZONE_AAAA?: string; DEMO_ZONE_A?: string; CA_DOMAIN?: string; PUBLIC_URL: string }): DemoZoneConfig | null {
  if (!vars.DEMO_ZONE) return null;
  const apex = parseName(vars.DEMO_ZONE.endsWith(".") ? vars.DEMO_ZONE : `${vars.DEMO_ZONE}.`);
  if (!apex.ok) return null;
  const list = (s: string | undefined): string[] => (s ?? "").split(/[\s,]+/).filter(Boolean);
  let port = 443;
  try {
    const u = new URL(vars.PUBLIC_URL);
    port = u.port ? Number(u.port) : u.protocol === "http:" ? 80 : 443;
  } catch {
    // A PUBLIC_URL that does not parse leaves the HTTPS default.
  }
  return {
    apex: apex.name,
    ipv6: list(vars.DEMO_ZONE_AAAA ?? "::1"),
    ipv4: list(vars.DEMO_ZONE_A ?? "127.0.0.1"),
    port,
    caDomain: vars.CA_DOMAIN || apex.name.replace(/\.$/, ""),
  };
}
