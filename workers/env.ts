import type { CaSigner } from "../durable-objects/ca-signer.ts";

/** The bindings and configuration every part of the Worker sees (wrangler.toml). */
export interface Env {
  CA_SIGNER: DurableObjectNamespace<CaSigner>;
  DB: D1Database;
  BLOBS: R2Bucket;
  /** Base64 AES-256 key that seals the CA private keys (secret binding; .dev.vars locally). */
  CA_KEK?: string;
  ENVIRONMENT: string;
  PUBLIC_URL: string;
  MAX_NAMES: string;
}

/** The one CaSigner instance for the classical hierarchy. */
export function caSigner(env: Env): DurableObjectStub<CaSigner> {
  return env.CA_SIGNER.get(env.CA_SIGNER.idFromName("classical"));
}
