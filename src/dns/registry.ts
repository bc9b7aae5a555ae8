// The registry of hosted zones (D1 `zones`) and the isolate's cached view of it: which apex
// answers a query name (longest suffix, zone.ts findZone) and the last SOA serial seen for each
// zone, which the DoH answer cache puts in its keys.
//
// The apex list is read from D1 at most every APEX_MAX_AGE_MS per isolate, at once after this
// isolate creates or deletes a zone, and again (at most once a second) when a name matches no
// zone — so a zone created through another isolate is found within a second of its first query.

import { serialLess } from "./serial.ts";
import { findZone } from "./zone.ts";

const APEX_MAX_AGE_MS = 10_000;
const MISS_RELOAD_MS = 1_000;
/** How long a serial learned from the zone's object is trusted for cache keys. */
export const SERIAL_MAX_AGE_MS = 5_000;

export async function registerZone(db: D1Database, apex: string, now: number): Promise<boolean> {
  const r = await db.prepare("INSERT INTO zones (apex, created_at) VALUES (?, ?) ON CONFLICT (apex) DO NOTHING").bind(apex, now).run();
  return (r.meta.changes ?? 0) > 0;
}

export async function unregisterZone(db: D1Database, apex: string): Promise<void> {
  await db.prepare("DELETE FROM zones WHERE apex = ?").bind(apex).run();
}

export async function listZones(db: D1Database): Promise<{ apex: string; createdAt: number }[]> {
  const r = await db.prepare("SELECT apex, created_at FROM zones ORDER BY apex").all<{ apex: string; created_at: number }>();
  return r.results.map((x) => ({ apex: x.apex, createdAt: x.created_at }));
}

/** Marks a system-created zone as made, once; false when it was made before. */
export async function markBootstrapped(db: D1Database, apex: string, now: number): Promise<boolean> {
  const r = await db.prepare("INSERT INTO zone_bootstrap (apex, created_at) VALUES (?, ?) ON CONFLICT (apex) DO NOTHING").bind(apex, now).run();
  return (r.meta.changes ?? 0) > 0;
}

export async function wasBootstrapped(db: D1Database, apex: string): Promise<boolean> {
  return (await db.prepare("SELECT 1 AS x FROM zone_bootstrap WHERE apex = ?").bind(apex).first()) !== null;
}

export class ZoneRegistry {
  #apexes: string[] | null = null;
  #loadedAt = 0;
  #loading: Promise<string[]> | null = null;
  readonly #serials = new Map<string, { serial: number; at: number }>();
  /** Per zone, how often this isolate forgot its serial: see `forgotten`. */
  readonly #forgets = new Map<string, number>();

  async #load(db: D1Database): Promise<string[]> {
    // Concurrent requests share one D1 read.
    this.#loading ??= listZones(db)
      .then((zs) => {
        this.#apexes = zs.map((z) => z.apex);
        this.#loadedAt = Date.now();
        return this.#apexes;
      })
      .finally(() => {
        this.#loading = null;
      });
    return this.#loading;
  }

  async apexes(db: D1Database): Promise<string[]> {
    if (this.#apexes && Date.now() - this.#loadedAt < APEX_MAX_AGE_MS) return this.#apexes;
    return this.#load(db);
  }

  /** The hosted zone for a canonical query name (and type: DS goes to the parent side). */
  async lookup(db: D1Database, qname: string, qtype?: number): Promise<string | null> {
    const found = findZone(await this.apexes(db), qname, qtype);
    if (found !== null || Date.now() - this.#loadedAt < MISS_RELOAD_MS) return found;
    return findZone(await this.#load(db), qname, qtype);
  }

  invalidate(apex?: string): void {
    this.#apexes = null;
    if (apex) {
      this.#serials.delete(apex);
      this.#forgets.set(apex, (this.#forgets.get(apex) ?? 0) + 1);
    }
  }

  /**
   * A serial learned from the zone's object. One older than the serial still trusted is ignored:
   * it comes from a lookup that began before a change this isolate already knows of (its own
   * write, say), and trusting it again would serve answers from before that change.
   */
  noteSerial(apex: string, serial: number): void {
    const known = this.#serials.get(apex);
    const now = Date.now();
    if (known && now - known.at < SERIAL_MAX_AGE_MS && serialLess(serial, known.serial)) return;
    this.#serials.set(apex, { serial, at: now });
  }

  /**
   * Changes each time this isolate forgets the zone's serial (a change whose serial it was not
   * told, such as a key rollover): what was learned or begun before then may predate the change.
   */
  forgotten(apex: string): number {
    return this.#forgets.get(apex) ?? 0;
  }

  /** The zone's serial if learned recently enough to key cached answers on it. */
  serialHint(apex: string, nowMs: number = Date.now()): number | null {
    const s = this.#serials.get(apex);
    return s && nowMs - s.at < SERIAL_MAX_AGE_MS ? s.serial : null;
  }
}

/** This isolate's view of the registry. */
export const zoneRegistry = new ZoneRegistry();
