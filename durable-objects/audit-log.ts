// AuditLog: the one append-only, tamper-evident audit log (tiles and signed checkpoints in R2
// under audit/). It serializes appends; the logic lives in src/audit/log.ts.

import { DurableObject } from "cloudflare:workers";
import { type AuditEntry } from "../src/audit/entry.ts";
import { AuditLogCore, type AuditLogInfo } from "../src/audit/log.ts";
import { importKek, kekUnavailable } from "../src/ca/key-vault.ts";
import { LogStore } from "../src/ct/log-store.ts";
import { type Problem, ProblemType, problem } from "../src/problem.ts";
import { type Env, auditOrigin } from "../workers/env.ts";

export const AUDIT_PREFIX = "audit/";

export class AuditLog extends DurableObject<Env> {
  #log: AuditLogCore | null = null;
  #unavailable: Problem | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(() => this.#start());
  }

  async #start(): Promise<void> {
    const kek = await importKek(this.env.CA_KEK);
    if (!(kek instanceof CryptoKey)) {
      this.#unavailable = kekUnavailable(kek, "the audit log");
      return;
    }
    const bucket = this.env.BLOBS;
    const sink = {
      async put(path: string, data: Uint8Array, contentType: string) {
        await bucket.put(AUDIT_PREFIX + path, data, { httpMetadata: { contentType } });
      },
    };
    try {
      this.#log = await AuditLogCore.open(this.ctx.storage, new LogStore(this.ctx.storage), kek, auditOrigin(this.env), sink, () => void this.ctx.storage.setAlarm(Date.now() + 1000));
    } catch (e) {
      console.error("audit log failed to start", e);
      this.#unavailable = problem(ProblemType.serverInternal, 503, "the audit log is not available: its keys or state cannot be opened");
    }
  }

  #loaded(): AuditLogCore | Problem {
    return this.#log ?? this.#unavailable ?? problem(ProblemType.serverInternal, 503, "the audit log is starting");
  }

  async append(entry: AuditEntry): Promise<number | Problem> {
    const log = this.#loaded();
    return log instanceof AuditLogCore ? log.append(entry) : log;
  }

  async has(index: number, requestHash: string): Promise<boolean> {
    const log = this.#loaded();
    return log instanceof AuditLogCore && log.has(index, requestHash);
  }

  /** The index committing `requestHash`, waiting up to `timeoutMs` for it (null: not committed). */
  async committedIndex(requestHash: string, timeoutMs: number): Promise<number | null> {
    const log = this.#loaded();
    return log instanceof AuditLogCore ? log.committedIndex(requestHash, Math.min(Math.max(timeoutMs, 0), 10_000)) : null;
  }

  async indexOf(requestHash: string): Promise<{ index: number | null } | Problem> {
    const log = this.#loaded();
    return log instanceof AuditLogCore ? { index: log.indexOf(requestHash) } : log;
  }

  async info(): Promise<AuditLogInfo | Problem> {
    const log = this.#loaded();
    return log instanceof AuditLogCore ? log.info() : log;
  }

  override async alarm(): Promise<void> {
    if (this.#log) await this.#log.publish();
  }
}
