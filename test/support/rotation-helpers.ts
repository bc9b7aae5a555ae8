// Helpers for the issuing-CA rotation tests (test/worker/ca-rotation.test.ts and
// test/worker/rotation-due/): issuing and revoking through the API, reading who signed a CA
// certificate, and running the scheduled handler.

import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AuthorityKeyIdentifier, Certificate, id_ce_authorityKeyIdentifier } from "@peculiar/asn1-x509";
import { expect } from "vitest";
import worker from "../../workers/index.ts";
import { toHex } from "../../src/encoding/bytes.ts";
import { type CaJson, derOf } from "./ca-helpers.ts";
import { json } from "./consensus-helpers.ts";
import { mlDsaCsr, spkiDerOf, verifiesWith } from "./pq-helpers.ts";
import { call, makeCsr } from "./worker-helpers.ts";

export interface Issued {
  serial: string;
  issuer_id: string;
  certificate: string;
  chain: string;
}

/** A leaf for `name` from the hierarchy, through the native API with an issuer token. */
export async function issue(token: string, hierarchy: "classical" | "pq", name: string): Promise<Issued> {
  const csr = hierarchy === "pq" ? await mlDsaCsr("ML-DSA-65", [name]) : await makeCsr("p256", [name]);
  const r = await call("/api/v1/certificates", { method: "POST", token, ...json({ csr: csr.pem, hierarchy }) });
  const body = (await r.json()) as Issued;
  expect(r.status, JSON.stringify(body)).toBe(201);
  return body;
}

export async function revoke(adminToken: string, serial: string): Promise<void> {
  const r = await call(`/api/v1/certificates/${serial}/revoke`, { method: "POST", token: adminToken, ...json({ reason: "keyCompromise" }) });
  expect(r.status, await r.clone().text()).toBe(200);
}

/** The keyIdentifier of a certificate's AuthorityKeyIdentifier, hex: which CA key signed it. */
export function akiOf(der: Uint8Array): string {
  const ext = AsnConvert.parse(der, Certificate).tbsCertificate.extensions!.find((e) => e.extnID === id_ce_authorityKeyIdentifier)!;
  return toHex(new Uint8Array(AsnConvert.parse(ext.extnValue.buffer, AuthorityKeyIdentifier).keyIdentifier!.buffer));
}

export const subjectCn = (der: Uint8Array) => AsnConvert.parse(der, Certificate).tbsCertificate.subject.flatMap((r) => r).find((a) => a.type === "2.5.4.3")!.value.toString();
export const issuerIsSubjectOf = (child: Uint8Array, parent: Uint8Array) =>
  toHex(new Uint8Array(AsnConvert.serialize(AsnConvert.parse(child, Certificate).tbsCertificate.issuer))) ===
  toHex(new Uint8Array(AsnConvert.serialize(AsnConvert.parse(parent, Certificate).tbsCertificate.subject)));

/** The issuing CA is signed by `root`: its issuer name, its AKI (the root's id is its SKI) and its signature. */
export async function signedByRoot(issuingPem: string, root: { id: string; pem: string }): Promise<boolean> {
  const [i, r] = [derOf(issuingPem), derOf(root.pem)];
  return issuerIsSubjectOf(i, r) && akiOf(i) === root.id && (await verifiesWith(i, spkiDerOf(r)));
}

/** The scheduled handler, run to completion; `bindings` change what the Worker (not its Durable Objects) sees. */
export async function cron(bindings: Partial<typeof env> = {}): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "17 * * * *", scheduledTime: new Date() }), { ...env, ...bindings }, ctx);
  await waitOnExecutionContext(ctx);
}

/** What a rotation must not change when it is refused. */
export const state = (ca: CaJson) => ({ classical: ca.intermediates.map((i) => `${i.id}:${i.status}`), pq: ca.pq.intermediates.map((i) => `${i.id}:${i.status}`) });
