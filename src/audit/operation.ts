// Audit entries for operations that are not consensus requests (zone, token, validator, backup
// and ACME account operations). Their request hash binds the entry to the operation's input:
// SHA-256 over the canonical JSON of {actor, operation, target, time, input}, so whoever holds
// the input (the operator who sent it, or the server's own records) can recompute the hash from
// the published entry and show which input the entry stands for. `time` is part of it, so two
// identical operations get two hashes and each can be looked up on its own.

import { type Canonical, canonicalHash } from "../consensus/canonical.ts";
import type { AuditEntry } from "./entry.ts";

export const OPERATION_HASH_DOMAIN = "trustchain-audit-operation-v1";

export interface AuditedOperation {
  /** Who asks: "token:<id>", "acme:<account id>", "acme-key:<thumbprint>". */
  actor: string;
  /** Dotted name, e.g. "zone.create", "token.revoke". */
  operation: string;
  /** What it acts on, e.g. "zone:example.test.", "token:3f9c0e1d2a4b5c6d". */
  target: string;
  /** The operation's input as the server understood it (integers only; never a secret). */
  input: Canonical;
}

export function operationRequestHash(op: AuditedOperation, time: number): Promise<string> {
  return canonicalHash(OPERATION_HASH_DOMAIN, { actor: op.actor, operation: op.operation, target: op.target, time, input: op.input });
}

export async function operationEntry(op: AuditedOperation, time: number): Promise<AuditEntry> {
  return { actor: op.actor, operation: op.operation, target: op.target, requestHash: await operationRequestHash(op, time), time };
}
