// Helpers for audit trail tests inside workerd: an entry proven included in the published log.

import { SELF } from "cloudflare:test";
import { expect } from "vitest";
import { verifyAuditLog } from "../../src/audit/verify.ts";
import { call } from "./worker-helpers.ts";

export const fetchAudit = async (path: string): Promise<Uint8Array | null> => {
  const r = await SELF.fetch(`http://trustchain.test/audit/${path}`);
  return r.status === 404 ? null : new Uint8Array(await r.arrayBuffer());
};

/** The inclusion of the entry committing `hash`, once the independent verifier proves it (R2 publication follows the commit). */
export async function provenInclusion(hash: string) {
  const key = ((await (await call("/audit/key")).json()) as { verifier_key: string }).verifier_key;
  let result = await verifyAuditLog(fetchAudit, key, { requestHash: hash });
  for (let i = 0; i < 50 && !result.ok; i++) {
    await new Promise((r) => setTimeout(r, 20));
    result = await verifyAuditLog(fetchAudit, key, { requestHash: hash });
  }
  expect(result.ok, JSON.stringify(result)).toBe(true);
  if (!result.ok) throw new Error(result.error);
  return { ...result.value, key };
}

export async function provenEntry(hash: string) {
  return (await provenInclusion(hash)).entry;
}
