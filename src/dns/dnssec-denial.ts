// Authenticated denial of existence with Compact Answers (RFC 9824): instead of proving a gap in
// a pre-signed NSEC chain, an online signer claims the query name exists, with one NSEC whose
// next name is the name's immediate successor and whose bitmap lists only what is there. One
// NSEC and one signature per negative answer, and nothing about the zone's other names leaks
// (no zone walking).

import { prependLabel } from "./names.ts";
import { TYPE, type RRsetOf } from "./types.ts";

/**
 * RFC 9824 §3: the immediate successor of a name in canonical order (RFC 4034 §6.1) is the
 * name with a leading label of one zero octet, "\000.<name>". The NSEC at <name> pointing to it
 * covers no other name.
 */
export function immediateSuccessor(name: string): string {
  return prependLabel("\\000", name);
}

/**
 * The NSEC for a NODATA answer (RFC 9824 §3): the bitmap lists the types present at the name
 * plus RRSIG and NSEC, which the signer is creating there.
 */
export function nodataNsec(name: string, presentTypes: readonly number[], ttl: number): RRsetOf<"NSEC"> {
  const types = [...new Set([...presentTypes, TYPE.RRSIG, TYPE.NSEC])].sort((a, b) => a - b);
  return { name, type: "NSEC", ttl, rdata: [{ next: immediateSuccessor(name), types }] };
}

/**
 * The NSEC for a nonexistent name (RFC 9824 §3): the name is answered as NOERROR/NODATA
 * with only RRSIG, NSEC and the NXNAME pseudo-type (128) in the bitmap; NXNAME lets a resolver
 * recover the real NXDOMAIN status (RFC 9824 §5).
 */
export function nxnameNsec(name: string, ttl: number): RRsetOf<"NSEC"> {
  return { name, type: "NSEC", ttl, rdata: [{ next: immediateSuccessor(name), types: [TYPE.RRSIG, TYPE.NSEC, TYPE.NXNAME] }] };
}
