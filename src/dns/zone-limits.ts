// Size limits of one hosted zone (wrangler.toml [vars]). Every change rebuilds and validates the
// whole zone in its Durable Object, and a zone-file import parses all of it, so a zone editor
// could otherwise make each later change, and the object's start, as slow as the zone is large.

import { type Problem, ProblemType, problem } from "../problem.ts";
import { intSetting } from "../settings.ts";
import { encodeRdata } from "./rdata-wire.ts";
import type { RRset } from "./types.ts";

export interface ZoneLimits {
  /** RRsets (owner name and type pairs) one zone may hold. */
  readonly maxRRsets: number;
  /** Records one RRset may hold. */
  readonly maxRecordsPerRRset: number;
  /** Bytes of one zone-file import (PUT /zonefile). */
  readonly maxZoneFileBytes: number;
}

export interface ZoneLimitVars {
  ZONE_MAX_RRSETS?: string;
  ZONE_MAX_RECORDS_PER_RRSET?: string;
  ZONE_MAX_FILE_BYTES?: string;
}

/**
 * Defaults, and why:
 * - 10,000 RRsets: far above a typical organisation's zone. A change re-validates the zone-wide
 *   rules over every name (RRsets it leaves alone are not checked again), about 50 ms of CPU at
 *   10,000 RRsets; before that reuse a change cost about 0.2 s there, and 0.7 s at 40,000.
 * - 1,000 records per RRset: ten times the _acme-challenge values of a certificate for
 *   MAX_NAMES (100) names validated at one name, and far beyond any round-robin; 1,000 AAAA
 *   records are a 28 KB answer, inside one DNS message (65,535 octets).
 * - 1 MiB of zone file: 10,000 RRsets with room for comments and long TXT values; parsing that
 *   much takes about a second of CPU, which an import (a rare, audited change) may spend.
 */
export const DEFAULT_ZONE_LIMITS: ZoneLimits = { maxRRsets: 10_000, maxRecordsPerRRset: 1_000, maxZoneFileBytes: 1024 * 1024 };

export function zoneLimits(vars: ZoneLimitVars): ZoneLimits {
  const d = DEFAULT_ZONE_LIMITS;
  return {
    // At least the apex's SOA and NS; at most what the object's storage and memory hold easily.
    maxRRsets: intSetting(vars.ZONE_MAX_RRSETS, d.maxRRsets, 2, 1_000_000),
    maxRecordsPerRRset: intSetting(vars.ZONE_MAX_RECORDS_PER_RRSET, d.maxRecordsPerRRset, 1, 65_535),
    // Under the 32 MiB a Durable Object call may carry.
    maxZoneFileBytes: intSetting(vars.ZONE_MAX_FILE_BYTES, d.maxZoneFileBytes, 1024, 16 * 1024 * 1024),
  };
}

/**
 * Octets one RRset may take in an answer: each record's RDATA plus 12 (a compressed owner name,
 * type, class, TTL, RDLENGTH). Not a setting but the protocol's: a DNS message carries at most
 * 65,535 octets, and an answer also holds the header, the question (up to 259 octets), an OPT
 * record and, for DO queries, the RRSIG (about 360 octets with a long signer name).
 */
export const MAX_RRSET_WIRE_OCTETS = 64_000;

function rrsetWireOctets(rr: RRset): number | null {
  let n = 0;
  try {
    for (const rd of rr.rdata) n += encodeRdata(rr.type, rd).length + 12;
  } catch {
    return null; // not encodable: the zone's own validation names the problem
  }
  return n;
}

const tooBig = (detail: string): Problem => problem(ProblemType.about, 422, detail, { title: "Unprocessable Content" });

/**
 * Why a change is refused for its size, or null. `changed` are the RRsets the change writes;
 * `before` is the zone's RRset count now. A zone already above a lowered limit keeps working:
 * it may shrink or change in place, but not grow.
 */
export function zoneSizeProblem(limits: ZoneLimits, after: number, before: number, changed: Iterable<RRset>): Problem | null {
  if (after > limits.maxRRsets && after > before) {
    return tooBig(`the zone would hold ${after} RRsets; a zone here holds at most ${limits.maxRRsets}`);
  }
  for (const rr of changed) {
    if (rr.rdata.length > limits.maxRecordsPerRRset) {
      return tooBig(`the ${rr.type} RRset at ${rr.name} has ${rr.rdata.length} records; an RRset here holds at most ${limits.maxRecordsPerRRset}`);
    }
    const octets = rrsetWireOctets(rr);
    if (octets !== null && octets > MAX_RRSET_WIRE_OCTETS) {
      return tooBig(`the ${rr.type} RRset at ${rr.name} takes ${octets} octets in an answer; no DNS message (65,535 octets) could carry it with its header, question and signature, so an RRset here takes at most ${MAX_RRSET_WIRE_OCTETS}`);
    }
  }
  return null;
}
