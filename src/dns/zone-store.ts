// Persistence of one hosted zone in its Durable Object's SQLite storage: the RRsets (one row per
// owner and type, RDATA in presentation format so the stored form is readable and independent of
// in-memory types), the sealed DNSSEC keys, and a few settings.

import type { SealedKey } from "../ca/key-vault.ts";
import { rrsetFromText, rrsetToText } from "./rrset-text.ts";
import { isRRType, type RRset, type RRType } from "./types.ts";
import type { StoredZoneKey } from "./zone-keys.ts";

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS rrsets (name TEXT NOT NULL, type TEXT NOT NULL, ttl INTEGER NOT NULL, records TEXT NOT NULL, PRIMARY KEY (name, type))",
  `CREATE TABLE IF NOT EXISTS dnssec_keys (id TEXT PRIMARY KEY, role TEXT NOT NULL, dnskey TEXT NOT NULL, sealed TEXT NOT NULL,
     created_at INTEGER NOT NULL, changed_at INTEGER NOT NULL)`,
];

type Row = Record<string, SqlStorageValue>;

export class ZoneStore {
  readonly #storage: DurableObjectStorage;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#migrate();
  }

  #migrate(): void {
    for (const sql of SCHEMA) this.#storage.sql.exec(sql);
  }

  #rows<T extends Row>(sql: string, ...bindings: SqlStorageValue[]): T[] {
    return this.#storage.sql.exec<T>(sql, ...bindings).toArray();
  }

  getMeta(key: string): string | null {
    return this.#rows<{ value: string }>("SELECT value FROM meta WHERE key = ?", key)[0]?.value ?? null;
  }

  setMeta(key: string, value: string | null): void {
    if (value === null) this.#storage.sql.exec("DELETE FROM meta WHERE key = ?", key);
    else this.#storage.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
  }

  /** The apex this object serves, or null before `create` (and after `destroy`). */
  apex(): string | null {
    return this.getMeta("apex");
  }

  /** Every stored RRset. A row that no longer parses means corrupted storage: that throws. */
  loadRRsets(apex: string): RRset[] {
    return this.#rows<{ name: string; type: string; ttl: number; records: string }>("SELECT name, type, ttl, records FROM rrsets").map((r) => {
      if (!isRRType(r.type)) throw new Error(`stored RRset ${r.name} has unknown type ${r.type}`);
      const parsed = rrsetFromText({ name: r.name, type: r.type, ttl: r.ttl, records: JSON.parse(r.records) as unknown }, apex);
      if (!parsed.ok) throw new Error(`stored RRset ${r.name} ${r.type} does not parse: ${parsed.error.message}`);
      return parsed.rrset;
    });
  }

  loadKeys(): StoredZoneKey[] {
    return this.#rows<{ id: string; role: string; dnskey: string; sealed: string; created_at: number; changed_at: number }>(
      "SELECT id, role, dnskey, sealed, created_at, changed_at FROM dnssec_keys ORDER BY created_at, id",
    ).map((r) => ({
      id: r.id,
      role: r.role as StoredZoneKey["role"],
      dnskey: r.dnskey,
      sealed: JSON.parse(r.sealed) as SealedKey,
      createdAt: r.created_at,
      changedAt: r.changed_at,
    }));
  }

  #putRRset(rr: RRset): void {
    const t = rrsetToText(rr);
    this.#storage.sql.exec(
      "INSERT INTO rrsets (name, type, ttl, records) VALUES (?, ?, ?, ?) ON CONFLICT (name, type) DO UPDATE SET ttl = excluded.ttl, records = excluded.records",
      t.name, t.type, t.ttl, JSON.stringify(t.records),
    );
  }

  #putKeys(keys: readonly StoredZoneKey[]): void {
    this.#storage.sql.exec("DELETE FROM dnssec_keys");
    for (const k of keys) {
      this.#storage.sql.exec(
        "INSERT INTO dnssec_keys (id, role, dnskey, sealed, created_at, changed_at) VALUES (?, ?, ?, ?, ?, ?)",
        k.id, k.role, k.dnskey, JSON.stringify(k.sealed), k.createdAt, k.changedAt,
      );
    }
  }

  /** Writes a new zone: apex, content and keys in one transaction. */
  create(apex: string, rrsets: readonly RRset[], keys: readonly StoredZoneKey[]): void {
    this.#storage.transactionSync(() => {
      this.setMeta("apex", apex);
      for (const rr of rrsets) this.#putRRset(rr);
      this.#putKeys(keys);
    });
  }

  /** Applies a change set atomically: RRsets written, RRsets removed, optionally the key set. */
  write(change: { put?: readonly RRset[]; remove?: readonly { name: string; type: RRType }[]; replaceAll?: boolean; keys?: readonly StoredZoneKey[] }): void {
    this.#storage.transactionSync(() => {
      if (change.replaceAll) this.#storage.sql.exec("DELETE FROM rrsets");
      for (const r of change.remove ?? []) this.#storage.sql.exec("DELETE FROM rrsets WHERE name = ? AND type = ?", r.name, r.type);
      for (const rr of change.put ?? []) this.#putRRset(rr);
      if (change.keys) this.#putKeys(change.keys);
    });
  }

  /** Removes everything this zone stored (its object becomes empty again). */
  async destroy(): Promise<void> {
    await this.#storage.deleteAlarm();
    await this.#storage.deleteAll();
    this.#migrate();
  }
}
