// CA private keys at rest: PKCS#8 sealed with AES-256-GCM under the key-encryption key (KEK) from
// a secret binding. The additional data binds each ciphertext to its key's name, so sealed keys
// cannot be swapped between slots.

import { type Bytes, fromBase64, toBase64, utf8 } from "../encoding/bytes.ts";
import { type Problem, ProblemType, problem } from "../problem.ts";

export interface SealedKey {
  iv: string;
  ciphertext: string;
}

export type KekError = { kind: "missing" } | { kind: "invalid"; detail: string };

/** Imports the base64 KEK secret (32 bytes). */
export async function importKek(secret: string | undefined): Promise<CryptoKey | KekError> {
  if (!secret) return { kind: "missing" };
  const raw = fromBase64(secret.trim());
  if (!raw || raw.length !== 32) return { kind: "invalid", detail: "CA_KEK must be 32 bytes, base64-encoded" };
  return crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
}

/** Why a service that needs the KEK cannot run, as the problem its callers get (503). */
export function kekUnavailable(error: KekError, service: string): Problem {
  const why = error.kind === "missing" ? "the CA_KEK secret is not set" : error.detail;
  return problem(ProblemType.serverInternal, 503, `${service} is not available: ${why}`);
}

export async function sealKey(kek: CryptoKey, slot: string, pkcs8: Uint8Array<ArrayBuffer>): Promise<SealedKey> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8(`trustchain/ca-key/v1/${slot}`) }, kek, pkcs8);
  return { iv: toBase64(iv), ciphertext: toBase64(new Uint8Array(ct)) };
}

/** Throws if the KEK is wrong or the sealed key was altered (AES-GCM authentication). */
export async function unsealKey(kek: CryptoKey, slot: string, sealed: SealedKey): Promise<Bytes> {
  const iv = fromBase64(sealed.iv);
  const ct = fromBase64(sealed.ciphertext);
  if (!iv || !ct) throw new Error(`sealed key ${slot} is not base64`);
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: utf8(`trustchain/ca-key/v1/${slot}`) }, kek, ct);
  return new Uint8Array(pt);
}
