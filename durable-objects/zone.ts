// Zone: one Durable Object per hosted DNS zone (named by its apex). It serializes every change to
// the zone and holds the zone's DNSSEC private keys in memory; the logic is in src/dns.

import { DurableObject } from "cloudflare:workers";
import { importKek } from "../src/ca/key-vault.ts";
import type { DnsQuery } from "../src/dns/message.ts";
import { HostedZone, type DnssecInfo, type QueryAnswer, type ZoneSummary } from "../src/dns/hosted-zone.ts";
import type { RRsetText } from "../src/dns/rrset-text.ts";
import type { RRset, RRType } from "../src/dns/types.ts";
import type { RolloverStep } from "../src/dns/zone-keys.ts";
import { zoneLimits } from "../src/dns/zone-limits.ts";
import { ZoneStore } from "../src/dns/zone-store.ts";
import { type Problem, ProblemType, problem } from "../src/problem.ts";
import type { Env } from "../workers/env.ts";

export class Zone extends DurableObject<Env> {
  #zone!: HostedZone;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.#zone = await HostedZone.open(new ZoneStore(ctx.storage), await importKek(env.CA_KEK), zoneLimits(env));
    });
  }

  /** Every call names the apex it means: an object reached under another name must not act. */
  #hosted(apex: string): Problem | null {
    return this.#zone.apex === apex ? null : problem(ProblemType.about, 404, `the zone ${apex} is not hosted here`, { title: "Not Found" });
  }

  async create(apex: string, content: RRset[]): Promise<ZoneSummary | Problem> {
    return this.#zone.create(apex, content);
  }

  async destroy(apex: string): Promise<boolean> {
    if (this.#hosted(apex)) return false;
    await this.#zone.destroy();
    return true;
  }

  async summary(apex: string): Promise<ZoneSummary | Problem> {
    return this.#hosted(apex) ?? this.#zone.summary();
  }

  async dnssec(apex: string): Promise<DnssecInfo | Problem> {
    return this.#hosted(apex) ?? this.#zone.dnssec();
  }

  async list(apex: string): Promise<RRsetText[] | Problem> {
    return this.#hosted(apex) ?? this.#zone.list();
  }

  async get(apex: string, name: string, type: RRType): Promise<RRsetText | null | Problem> {
    return this.#hosted(apex) ?? this.#zone.get(name, type);
  }

  async replace(apex: string, rrset: RRset): Promise<{ serial: number } | Problem> {
    return this.#hosted(apex) ?? this.#zone.replace(rrset);
  }

  async remove(apex: string, name: string, type: RRType): Promise<{ serial: number; removed: boolean } | Problem> {
    return this.#hosted(apex) ?? this.#zone.remove(name, type);
  }

  async importText(apex: string, text: string): Promise<{ serial: number; rrsets: number } | Problem> {
    return this.#hosted(apex) ?? this.#zone.importText(text);
  }

  async exportText(apex: string): Promise<string | Problem> {
    return this.#hosted(apex) ?? this.#zone.exportText();
  }

  async addTxt(apex: string, name: string, value: string, ttl: number): Promise<{ serial: number } | Problem> {
    return this.#hosted(apex) ?? this.#zone.addTxt(name, value, ttl);
  }

  async removeTxt(apex: string, name: string, value: string): Promise<{ serial: number } | Problem> {
    return this.#hosted(apex) ?? this.#zone.removeTxt(name, value);
  }

  async rollover(apex: string, opts: { step?: RolloverStep; force?: boolean; auto?: boolean }): Promise<DnssecInfo | Problem> {
    const missing = this.#hosted(apex);
    if (missing) return missing;
    const r = await this.#zone.rollover(opts);
    if ("status" in r) return r;
    await this.#schedule(r.alarmAt);
    return r.info;
  }

  /** null when this object holds no zone for `apex` (the registry is stale). */
  async query(apex: string, q: DnsQuery, format: "wire" | "json"): Promise<QueryAnswer | null> {
    if (this.#hosted(apex)) return null;
    return this.#zone.query(q, format);
  }

  override async alarm(): Promise<void> {
    await this.#schedule(await this.#zone.onAlarm());
  }

  async #schedule(at: number | null): Promise<void> {
    if (at === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(at * 1000, Date.now()));
  }
}
