// Shared by the ACME end-to-end tests (lego, certbot): a hosted zone whose names point at
// loopback, and the check every issued chain must pass: `openssl verify` against our root.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { type LocalTrustChain, openssl } from "./e2e.ts";

/** Creates a hosted zone and gives each name an A (or AAAA) record at loopback. */
export async function hostedZone(tc: LocalTrustChain, zone: string, records: { name: string; type: "A" | "AAAA"; value: string }[]): Promise<void> {
  const headers = { authorization: `Bearer ${tc.token("admin")}`, "content-type": "application/json" };
  const z = await fetch(`${tc.url}/api/v1/zones`, { method: "POST", headers, body: JSON.stringify({ name: zone }) });
  expect(z.status, await z.text()).toBe(201);
  for (const r of records) {
    const put = await fetch(`${tc.url}/api/v1/zones/${zone}/rrsets/${r.name}/${r.type}`, { method: "PUT", headers, body: JSON.stringify({ ttl: 60, records: [r.value] }) });
    expect(put.status, await put.text()).toBe(200);
  }
}

/**
 * Checks a PEM chain file (leaf + intermediate) with `openssl verify` against our root from
 * GET /api/v1/ca, and that the leaf names exactly `sans` (as openssl prints them: "DNS:x", "IP Address:y").
 */
export async function verifyChainAgainstRoot(tc: LocalTrustChain, dir: string, chainPath: string, sans: string[]): Promise<string> {
  const chain = readFileSync(chainPath, "utf8");
  expect(chain.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  const ca = (await (await fetch(`${tc.url}/api/v1/ca`)).json()) as { root: { pem: string } };
  const rootPath = join(dir, "root.pem");
  writeFileSync(rootPath, ca.root.pem);
  const [leaf, ...rest] = chain.split(/(?=-----BEGIN CERTIFICATE-----)/);
  const leafPath = join(dir, "leaf.pem");
  writeFileSync(leafPath, leaf!);
  const untrusted = join(dir, "intermediate.pem");
  writeFileSync(untrusted, rest.join(""));
  const v = openssl(["verify", "-CAfile", rootPath, "-untrusted", untrusted, leafPath]);
  expect(v.status, v.out).toBe(0);
  const text = openssl(["x509", "-in", leafPath, "-noout", "-ext", "subjectAltName"]).out;
  const got = text.split("\n").slice(1).join(",").split(",").map((s) => s.trim()).filter(Boolean).sort();
  expect(got).toEqual([...sans].sort());
  return leaf!;
}

/** The lower-case hex serial of a PEM certificate, as the native API names it. */
export function serialOf(pem: string): string {
  return openssl(["x509", "-noout", "-serial"], { input: pem }).out.trim().replace(/^serial=/, "").toLowerCase();
}
