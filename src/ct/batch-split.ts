// How a CT batcher (durable-objects/ct-batcher.ts) cuts what it forwards to the log object into
// calls of bounded size.

import type { Submission } from "./log-sequencer.ts";

/**
 * The most certificate bytes one call to the log carries. An add-chain body may hold up to ten
 * certificates, so a full batch of large chains would pass the limit of a Durable Object call
 * (32 MiB) and fail every submission in it; such batches go as several calls.
 */
export const MAX_CALL_BYTES = 8 * 1024 * 1024;

function submissionBytes(sub: Submission): number {
  const entry = sub.entry.type === "x509" ? sub.entry.certificate.length : sub.entry.tbsCertificate.length;
  return entry + (sub.preCertificate?.length ?? 0) + sub.issuers.reduce((n, der) => n + der.length, 0);
}

/** Consecutive parts of `batch`, each under `max` bytes unless one submission alone is larger. */
export function splitBySize(batch: readonly Submission[], max: number): Submission[][] {
  const parts: Submission[][] = [];
  let part: Submission[] = [];
  let bytes = 0;
  for (const sub of batch) {
    const n = submissionBytes(sub);
    if (part.length > 0 && bytes + n > max) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(sub);
    bytes += n;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}
