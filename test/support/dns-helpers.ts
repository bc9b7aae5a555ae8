// Helpers for the DNS Worker tests: DoH calls, decoding with dns-packet (an independent decoder),
// grouping answers back into RRsets, and DNSSEC verification of a response's signatures.

import { Buffer } from "node:buffer";
import * as dnsPacket from "dns-packet";
import { expect } from "vitest";
import { verifyRRsig } from "../../src/dns/dnssec.ts";
import { fromPacketAnswer } from "../../src/dns/records.ts";
import { TYPE, type RData, type RRset } from "../../src/dns/types.ts";
import { toBase64Url } from "../../src/encoding/bytes.ts";
import { call } from "./worker-helpers.ts";

export function dohGet(message: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return call(`/dns-query?dns=${toBase64Url(message)}`, { headers: { accept: "application/dns-message", ...headers } });
}

export function dohPost(message: Uint8Array, type = "application/dns-message"): Promise<Response> {
  return call("/dns-query", { method: "POST", body: message, headers: { "content-type": type, accept: "application/dns-message" } });
}

export type Decoded = dnsPacket.Packet & { rcode?: string; flag_aa?: boolean; answers: dnsPacket.Answer[]; authorities: dnsPacket.Answer[]; additionals: dnsPacket.Answer[] };

export async function decoded(res: Response): Promise<Decoded> {
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/dns-message");
  return dnsPacket.decode(Buffer.from(await res.arrayBuffer())) as Decoded;
}

/** Merges single-record RRsets (as dns-packet yields them) into RRsets; OPT is skipped. */
export function rrsets(answers: readonly dnsPacket.Answer[]): RRset[] {
  const byKey = new Map<string, RRset>();
  for (const a of answers) {
    if (a.type === "OPT") continue;
    const r = fromPacketAnswer(a);
    if (!r.ok) throw new Error(`${a.name} ${a.type}: ${r.error.message}`);
    const rr = r.value;
    // RRSIGs are grouped by the type they cover, so each can be matched to its RRset.
    const k = rr.type === "RRSIG" ? `${rr.name}|RRSIG|${(rr.rdata[0] as RData<"RRSIG">).typeCovered}` : `${rr.name}|${rr.type}`;
    const prev = byKey.get(k);
    if (prev) (prev.rdata as RData[]).push(...(rr.rdata as RData[]));
    else byKey.set(k, rr);
  }
  return [...byKey.values()];
}

/**
 * Verifies every RRSIG in `section` against the RRset it covers and the given DNSKEYs; returns
 * how many RRsets were verified. Fails when an RRset has no valid signature.
 */
export async function verifySection(section: readonly dnsPacket.Answer[], dnskeys: RData<"DNSKEY">[]): Promise<number> {
  const sets = rrsets(section);
  let verified = 0;
  for (const rr of sets) {
    if (rr.type === "RRSIG") continue;
    const sigs = sets.find((s) => s.type === "RRSIG" && s.name === rr.name && (s.rdata[0] as RData<"RRSIG">).typeCovered === TYPE[rr.type]);
    if (!sigs) continue;
    let ok = false;
    for (const sig of sigs.rdata as RData<"RRSIG">[]) {
      for (const k of dnskeys) if (await verifyRRsig(rr, sig, k)) ok = true;
    }
    expect(ok, `RRSIG over ${rr.name} ${rr.type}`).toBe(true);
    verified++;
  }
  return verified;
}
