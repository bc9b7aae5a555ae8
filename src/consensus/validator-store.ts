// A validator's own durable state in its Durable Object's SQLite storage: its sealed key, the one
// vote it cast per request hash (it never signs a second verdict for a hash), its own signed
// domain-control confirmations, and whether an operator suspended it.

import type { SealedKey } from "../ca/key-vault.ts";
import type { KeyRollover, SignedVote } from "./vote.ts";

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS validator_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS validator_votes (request_hash TEXT PRIMARY KEY, verdict TEXT NOT NULL, vote TEXT NOT NULL, cast_at INTEGER NOT NULL)",
  "CREATE INDEX IF NOT EXISTS validator_votes_cast ON validator_votes (cast_at)",
  // One row per (account, name): the latest confirmation this validator made itself.
  "CREATE TABLE IF NOT EXISTS validator_confirmations (account TEXT NOT NULL, identifier TEXT NOT NULL, method TEXT NOT NULL, confirmed_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, signed TEXT NOT NULL, PRIMARY KEY (account, identifier))",
];

export interface StoredValidatorKey {
  version: 1;
  id: string;
  /** base64url raw Ed25519 public key. */
  publicKey: string;
  key: SealedKey;
  /**
   * The hybrid vote key (base64url public key, its endorsement statement, and its rollovers), whose
   * Ed25519 half is `key` and whose post-quantum half is sealed here: the ML-DSA-44 32-byte seed
   * or the FALCON-1024 2305-byte secret key, whichever the public key's scheme byte names. Added on
   * the first start after the upgrade to hybrid votes, replaced (with a rollover) when
   * VALIDATOR_PQ_ALGORITHMS gives the validator another algorithm.
   */
  hybrid?: { publicKey: string; mlDsaSeed?: SealedKey; falconKey?: SealedKey; statement: string; rollovers?: KeyRollover[] };
}

export class ValidatorStore {
  constructor(private readonly storage: DurableObjectStorage) {
    for (const s of SCHEMA) storage.sql.exec(s);
  }

  #get(key: string): string | null {
    return this.storage.sql.exec<{ value: string }>("SELECT value FROM validator_meta WHERE key = ?", key).toArray()[0]?.value ?? null;
  }

  #put(key: string, value: string): void {
    this.storage.sql.exec("INSERT OR REPLACE INTO validator_meta (key, value) VALUES (?, ?)", key, value);
  }

  key(): StoredValidatorKey | null {
    const v = this.#get("key");
    return v ? (JSON.parse(v) as StoredValidatorKey) : null;
  }

  putKey(k: StoredValidatorKey): void {
    this.#put("key", JSON.stringify(k));
  }

  suspended(): { since: number; reason: string } | null {
    const v = this.#get("suspended");
    return v ? (JSON.parse(v) as { since: number; reason: string }) : null;
  }

  setSuspended(s: { since: number; reason: string } | null): void {
    if (s) this.#put("suspended", JSON.stringify(s));
    else this.storage.sql.exec("DELETE FROM validator_meta WHERE key = 'suspended'");
  }

  vote(requestHash: string): SignedVote | null {
    const v = this.storage.sql.exec<{ vote: string }>("SELECT vote FROM validator_votes WHERE request_hash = ?", requestHash).toArray()[0];
    return v ? (JSON.parse(v.vote) as SignedVote) : null;
  }

  /** Records the vote unless one exists for the hash; returns the vote that stands. */
  recordVote(vote: SignedVote): SignedVote {
    const prior = this.vote(vote.body.requestHash);
    if (prior) return prior;
    this.storage.sql.exec("INSERT INTO validator_votes (request_hash, verdict, vote, cast_at) VALUES (?, ?, ?, ?)", vote.body.requestHash, vote.body.verdict, JSON.stringify(vote), vote.body.issuedAt);
    return vote;
  }

  counts(): { approve: number; reject: number } {
    const rows = this.storage.sql.exec<{ verdict: string; n: number }>("SELECT verdict, COUNT(*) AS n FROM validator_votes GROUP BY verdict").toArray();
    return { approve: rows.find((r) => r.verdict === "approve")?.n ?? 0, reject: rows.find((r) => r.verdict === "reject")?.n ?? 0 };
  }

  confirmation(account: string, identifier: string, now: number): { method: string; confirmedAt: number; expiresAt: number } | null {
    const r = this.storage.sql
      .exec<{ method: string; confirmed_at: number; expires_at: number }>(
        "SELECT method, confirmed_at, expires_at FROM validator_confirmations WHERE account = ? AND identifier = ? AND expires_at > ?",
        account,
        identifier,
        now,
      )
      .toArray()[0];
    return r ? { method: r.method, confirmedAt: r.confirmed_at, expiresAt: r.expires_at } : null;
  }

  putConfirmation(c: { account: string; identifier: string; method: string; confirmedAt: number; expiresAt: number; signed: string }): void {
    this.storage.sql.exec(
      "INSERT OR REPLACE INTO validator_confirmations (account, identifier, method, confirmed_at, expires_at, signed) VALUES (?, ?, ?, ?, ?, ?)",
      c.account,
      c.identifier,
      c.method,
      c.confirmedAt,
      c.expiresAt,
      c.signed,
    );
  }
}
