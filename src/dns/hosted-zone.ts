// One hosted zone as its Durable Object serves it: the content (validated with zone.ts on every
// change, SOA serial bumped), the DNSSEC keys and their rollover, and answering queries. The
// object is the only writer of its zone, so every operation here runs serialized.

import { type KekError } from "../ca/key-vault.ts";
import { type Problem, ProblemType, problem } from "../problem.ts";
import { answerQuery, negativeTtl } from "./answer.ts";
import { ZoneSigner } from "./dnssec.ts";
import { responseTtl } from "./doh.ts";
import { responseToJson, type DnsJson } from "./json.ts";
import { encodeResponse, type DnsQuery } from "./message.ts";
import { formatRdata } from "./rdata-text.ts";
import { rrsetToText, type RRsetText } from "./rrset-text.ts";
import { nextSerial } from "./serial.ts";
import { type RRset, type RRsetOf, type RRType } from "./types.ts";
import { buildZone, zoneRRsets, type Zone } from "./zone.ts";
import { DEFAULT_ZONE_LIMITS, zoneSizeProblem, type ZoneLimits } from "./zone-limits.ts";
import {
  applyRoleStep, generateStoredKey, openStoredKey, rolloverState, storedKeyTag,
  type RolloverState, type RolloverStep, type StoredZoneKey,
} from "./zone-keys.ts";
import { parseZoneFile, serializeZone } from "./zonefile.ts";
import type { ZoneStore } from "./zone-store.ts";

/** TTL of the DNSKEY RRset (and of the DS the parent should use). */
export const DNSKEY_TTL = 3600;
/** Allowance for edge caches and propagation in the rollover waits (RFC 6781 §4.1.1.1). */
export const ROLLOVER_PROPAGATION = 300;

export interface ZoneSummary {
  apex: string;
  serial: number;
  rrsets: number;
  dnssec: DnssecInfo;
}

export interface DnssecInfo {
  signed: boolean;
  /** Why the zone is unsigned, when it is. */
  reason?: string;
  algorithm: 13;
  dnskey_ttl: number;
  keys: { id: string; key_tag: number; role: StoredZoneKey["role"]; dnskey: string; created_at: string; changed_at: string }[];
  /** The DNSKEY RRset and the DS RRset for the parent, as master-file lines. */
  dnskey: string[];
  ds: string[];
  rollover: { next: RolloverStep; safe_after: string | null; auto: boolean };
}

export interface QueryAnswer {
  body: Uint8Array | DnsJson;
  /** HTTP freshness lifetime (RFC 8484 §5.1). */
  ttl: number;
  serial: number;
}

const key = (name: string, type: RRType): string => `${name}|${type}`;
const iso = (s: number): string => new Date(s * 1000).toISOString();
const malformed = (detail: string, subs?: string[]): Problem =>
  problem(ProblemType.malformed, 400, detail, subs?.length ? { subproblems: subs.map((d) => ({ type: ProblemType.malformed, detail: d })) } : undefined);
const notHosted = (): Problem => problem(ProblemType.about, 404, "this zone is not hosted here", { title: "Not Found" });

/** SOA and NS for a new zone that comes without content. */
export function defaultZoneContent(apex: string, nameservers: readonly string[], now: number): RRset[] {
  const soa: RRsetOf<"SOA"> = {
    name: apex, type: "SOA", ttl: 3600,
    // RFC 1912 §2.2 style timers; minimum (the negative TTL, RFC 2308 §4) kept short so a new
    // name becomes visible quickly.
    rdata: [{ mname: nameservers[0]!, rname: `hostmaster.${apex}`, serial: now >>> 0, refresh: 3600, retry: 600, expire: 1209600, minimum: 300 }],
  };
  return [soa, { name: apex, type: "NS", ttl: 3600, rdata: nameservers.map((host) => ({ host })) }];
}

/** Meta key: the SOA serial of the zone this object held before its last deletion. */
const RETIRED_SERIAL = "retired_serial";

export class HostedZone {
  readonly #store: ZoneStore;
  readonly #kek: CryptoKey | KekError;
  readonly #limits: ZoneLimits;
  #zone: Zone | null = null;
  #keys: StoredZoneKey[] = [];
  #signer: ZoneSigner | null = null;
  #unsigned: string | null = null;

  private constructor(store: ZoneStore, kek: CryptoKey | KekError, limits: ZoneLimits) {
    this.#store = store;
    this.#kek = kek;
    this.#limits = limits;
  }

  /** Loads the zone this object holds, if any. */
  static async open(store: ZoneStore, kek: CryptoKey | KekError, limits: ZoneLimits = DEFAULT_ZONE_LIMITS): Promise<HostedZone> {
    const hz = new HostedZone(store, kek, limits);
    const apex = store.apex();
    if (apex) {
      const built = buildZone(apex, store.loadRRsets(apex));
      if (!built.ok) throw new Error(`stored zone ${apex} is inconsistent: ${built.errors.map((e) => e.message).join("; ")}`);
      hz.#zone = built.zone;
      hz.#keys = store.loadKeys();
      await hz.#loadSigner();
    }
    return hz;
  }

  get apex(): string | null {
    return this.#zone?.apex ?? null;
  }

  get serial(): number {
    return this.#zone?.soa.rdata[0]!.serial ?? 0;
  }

  #kekKey(): CryptoKey | Problem {
    if (this.#kek instanceof CryptoKey) return this.#kek;
    const why = this.#kek.kind === "missing" ? "the CA_KEK secret is not set" : this.#kek.detail;
    return problem(ProblemType.serverInternal, 503, `DNSSEC keys cannot be sealed or opened: ${why}`);
  }

  async #loadSigner(): Promise<void> {
    const apex = this.#zone!.apex;
    const kek = this.#kekKey();
    if (!(kek instanceof CryptoKey)) {
      // Answers stay available, unsigned; the zone info says why (a validator with our DS will
      // call them bogus, which is the truth).
      this.#signer = null;
      this.#unsigned = kek.detail;
      return;
    }
    try {
      const keys = await Promise.all(this.#keys.map((k) => openStoredKey(kek, apex, k)));
      this.#signer = new ZoneSigner(apex, keys, { dnskeyTtl: DNSKEY_TTL });
      this.#unsigned = null;
    } catch {
      this.#signer = null;
      this.#unsigned = "the zone's DNSSEC keys do not open with this CA_KEK";
    }
  }

  /** Creates the zone with `content` (SOA and NS at least) and a fresh signing key. */
  async create(apex: string, content: readonly RRset[]): Promise<ZoneSummary | Problem> {
    if (this.#zone) return problem(ProblemType.malformed, 409, `the zone ${this.#zone.apex} already exists`, { title: "Conflict" });
    const kek = this.#kekKey();
    if (!(kek instanceof CryptoKey)) return kek;
    const now = Math.floor(Date.now() / 1000);
    const tooBig = zoneSizeProblem(this.#limits, content.length, 0, content);
    if (tooBig) return tooBig;
    const built = buildZone(apex, this.#afterRetiredSerial(content, now));
    if (!built.ok) return malformed("the zone content is not valid", built.errors.map((e) => `${e.name} ${e.type}: ${e.message}`));
    const { stored } = await generateStoredKey(kek, apex, "active", now);
    this.#store.create(apex, zoneRRsets(built.zone), [stored]);
    this.#zone = built.zone;
    this.#keys = [stored];
    await this.#loadSigner();
    return this.summary();
  }

  /**
   * A zone made again under an apex this object served before starts past the old zone's serial:
   * cached answers (the isolates' memory, the edge) are keyed on apex, serial and question, so a
   * reused serial (a zone file that says 1 again, or the same second) would serve the old zone's.
   */
  #afterRetiredSerial(content: readonly RRset[], now: number): readonly RRset[] {
    const retired = this.#store.getMeta(RETIRED_SERIAL);
    if (retired === null) return content;
    return content.map((rr) => {
      if (rr.type !== "SOA") return rr;
      const soa = rr as RRsetOf<"SOA">;
      return { ...soa, rdata: soa.rdata.map((d) => ({ ...d, serial: nextSerial(Number(retired), now, d.serial) })) };
    });
  }

  /** Deletes every record and key; the object is empty afterwards but for the last serial. */
  async destroy(): Promise<void> {
    const last = this.#zone ? this.serial : null;
    await this.#store.destroy();
    if (last !== null) this.#store.setMeta(RETIRED_SERIAL, String(last));
    this.#zone = null;
    this.#keys = [];
    this.#signer = null;
  }

  summary(): ZoneSummary | Problem {
    const zone = this.#zone;
    if (!zone) return notHosted();
    return { apex: zone.apex, serial: this.serial, rrsets: zoneRRsets(zone).length, dnssec: this.#dnssecInfo() };
  }

  #timing() {
    const zone = this.#zone!;
    let maxZoneTtl = negativeTtl(zone.soa);
    for (const rr of zoneRRsets(zone)) maxZoneTtl = Math.max(maxZoneTtl, rr.ttl);
    return { dnskeyTtl: DNSKEY_TTL, maxZoneTtl, propagation: ROLLOVER_PROPAGATION };
  }

  #dnssecInfo(): DnssecInfo {
    const apex = this.#zone!.apex;
    const state = rolloverState(this.#keys, this.#timing());
    return {
      signed: this.#signer !== null,
      ...(this.#unsigned ? { reason: this.#unsigned } : {}),
      algorithm: 13,
      dnskey_ttl: DNSKEY_TTL,
      keys: this.#keys.map((k) => ({ id: k.id, key_tag: storedKeyTag(k), role: k.role, dnskey: k.dnskey, created_at: iso(k.createdAt), changed_at: iso(k.changedAt) })),
      dnskey: this.#keys.map((k) => `${apex} ${DNSKEY_TTL} IN DNSKEY ${k.dnskey}`),
      ds: [],
      rollover: { next: state.next, safe_after: state.safeAfter ? iso(state.safeAfter) : null, auto: this.#store.getMeta("auto-rollover") === "1" },
    };
  }

  /** The DNSSEC state including the DS records for the parent (RFC 4034 §5). */
  async dnssec(): Promise<DnssecInfo | Problem> {
    if (!this.#zone) return notHosted();
    const info = this.#dnssecInfo();
    if (this.#signer) info.ds = (await this.#signer.ds()).map((ds) => `${this.#zone!.apex} ${DNSKEY_TTL} IN DS ${formatRdata("DS", ds)}`);
    return info;
  }

  list(): RRsetText[] | Problem {
    if (!this.#zone) return notHosted();
    return zoneRRsets(this.#zone).map(rrsetToText);
  }

  get(name: string, type: RRType): RRsetText | null | Problem {
    if (!this.#zone) return notHosted();
    const rr = this.#zone.nodes.get(name)?.get(type);
    return rr ? rrsetToText(rr) : null;
  }

  /**
   * Applies a change: validates the whole resulting zone (zone.ts), bumps the SOA serial
   * (RFC 1982; a serial in a supplied SOA wins when it is ahead), stores it atomically.
   */
  async #commit(next: Map<string, RRset>, opts: { removed?: { name: string; type: RRType }[]; replaceAll?: boolean; keys?: StoredZoneKey[] } = {}): Promise<{ serial: number } | Problem> {
    const zone = this.#zone!;
    const now = Math.floor(Date.now() / 1000);
    const supplied = next.get(key(zone.apex, "SOA")) as RRsetOf<"SOA"> | undefined;
    if (!supplied) return malformed("the zone apex needs an SOA RRset (RFC 1035 §5.2); replace it instead of deleting it");
    const requested = supplied === zone.soa ? undefined : supplied.rdata[0]!.serial;
    const soa: RRsetOf<"SOA"> = { ...supplied, rdata: [{ ...supplied.rdata[0]!, serial: nextSerial(this.serial, now, requested) }] };
    next.set(key(zone.apex, "SOA"), soa);
    // RRsets this change leaves alone are the current zone's own objects: only the others are
    // checked against the limits, validated again and written.
    const untouched = (rr: RRset): boolean => zone.nodes.get(rr.name)?.get(rr.type) === rr;
    const before = zoneRRsets(zone).length;
    const tooBig = zoneSizeProblem(this.#limits, next.size, before, [...next.values()].filter((rr) => !untouched(rr)));
    if (tooBig) return tooBig;
    const built = buildZone(zone.apex, [...next.values()], zone);
    if (!built.ok) return malformed("the change would leave the zone invalid", built.errors.map((e) => `${e.name} ${e.type}: ${e.message}`));
    const put = opts.replaceAll ? zoneRRsets(built.zone) : zoneRRsets(built.zone).filter((rr) => !untouched(rr));
    this.#store.write({ put, remove: opts.removed, replaceAll: opts.replaceAll, keys: opts.keys });
    this.#zone = built.zone;
    if (opts.keys) {
      this.#keys = opts.keys;
      await this.#loadSigner();
    }
    return { serial: this.serial };
  }

  #current(): Map<string, RRset> {
    return new Map(zoneRRsets(this.#zone!).map((rr) => [key(rr.name, rr.type), rr]));
  }

  async replace(rrset: RRset): Promise<{ serial: number } | Problem> {
    if (!this.#zone) return notHosted();
    const next = this.#current();
    next.set(key(rrset.name, rrset.type), rrset);
    return this.#commit(next);
  }

  async remove(name: string, type: RRType): Promise<{ serial: number; removed: boolean } | Problem> {
    if (!this.#zone) return notHosted();
    const next = this.#current();
    if (!next.delete(key(name, type))) return { serial: this.serial, removed: false };
    const r = await this.#commit(next, { removed: [{ name, type }] });
    return "serial" in r ? { ...r, removed: true } : r;
  }

  /** Replaces the whole content with RFC 1035 master-file text; errors carry line numbers. */
  async importText(text: string): Promise<{ serial: number; rrsets: number } | Problem> {
    if (!this.#zone) return notHosted();
    const apex = this.#zone.apex;
    const parsed = parseZoneFile(text, { origin: apex });
    if (!parsed.ok) return malformed("the zone file is not valid", parsed.errors.map((e) => `line ${e.line}: ${e.message}`));
    if (parsed.origin !== apex) return malformed(`the zone file's origin ${parsed.origin} is not the zone ${apex}`);
    const next = new Map(parsed.rrsets.map((rr) => [key(rr.name, rr.type), rr]));
    const r = await this.#commit(next, { replaceAll: true });
    return "serial" in r ? { serial: r.serial, rrsets: next.size } : r;
  }

  exportText(): string | Problem {
    if (!this.#zone) return notHosted();
    return serializeZone(this.#zone.apex, zoneRRsets(this.#zone));
  }

  /**
   * Adds one TXT value at `name`, keeping the values already there (RFC 8555 §8.4: an order for
   * a name and its wildcard puts two values at one `_acme-challenge` name at the same time).
   */
  async addTxt(name: string, value: string, ttl: number): Promise<{ serial: number } | Problem> {
    if (!this.#zone) return notHosted();
    const existing = this.#zone.nodes.get(name)?.get("TXT") as RRsetOf<"TXT"> | undefined;
    const strings = value.match(/[\s\S]{1,255}/g) ?? [""];
    if (existing?.rdata.some((rd) => rd.strings.join("") === value)) return { serial: this.serial };
    return this.replace({ name, type: "TXT", ttl: existing?.ttl ?? ttl, rdata: [...(existing?.rdata ?? []), { strings }] });
  }

  /** Removes one TXT value at `name`; the RRset goes when it was the last one. */
  async removeTxt(name: string, value: string): Promise<{ serial: number } | Problem> {
    if (!this.#zone) return notHosted();
    const existing = this.#zone.nodes.get(name)?.get("TXT") as RRsetOf<"TXT"> | undefined;
    if (!existing) return { serial: this.serial };
    const rest = existing.rdata.filter((rd) => rd.strings.join("") !== value);
    if (rest.length === existing.rdata.length) return { serial: this.serial };
    if (rest.length === 0) return this.remove(name, "TXT");
    return this.replace({ ...existing, rdata: rest });
  }

  /**
   * One rollover step (see zone-keys.ts). `step` defaults to the next one; a step taken before
   * it is safe is refused unless `force` (an operator who knows the zone is not yet cached or
   * delegated anywhere). `auto` hands the remaining steps to the alarm, each at its safe time.
   * Returns the state and when the alarm should next run.
   */
  async rollover(opts: { step?: RolloverStep; force?: boolean; auto?: boolean }): Promise<{ info: DnssecInfo; alarmAt: number | null } | Problem> {
    if (!this.#zone) return notHosted();
    const kek = this.#kekKey();
    if (!(kek instanceof CryptoKey)) return kek;
    if (!this.#signer) return problem(ProblemType.serverInternal, 503, this.#unsigned ?? "the zone is not signed");
    const now = Math.floor(Date.now() / 1000);
    const state = rolloverState(this.#keys, this.#timing());
    if (opts.auto) this.#store.setMeta("auto-rollover", "1");
    const step = opts.step ?? state.next;
    if (step !== state.next) {
      return problem(ProblemType.malformed, 409, `the next rollover step is "${state.next}", not "${step}"`, { title: "Conflict" });
    }
    const wait = opts.auto && step !== "publish";
    if (!wait) {
      if (now < state.safeAfter && !opts.force) {
        return problem(ProblemType.malformed, 409, `"${step}" is safe from ${iso(state.safeAfter)} (RFC 6781 §4.1.1.1: caches must first see the previous step); give "force": true to override`, { title: "Conflict" });
      }
      const r = await this.#applyStep(step, kek, now);
      if (!("serial" in r)) return r;
    }
    return { info: (await this.dnssec()) as DnssecInfo, alarmAt: this.#nextAlarm() };
  }

  async #applyStep(step: RolloverStep, kek: CryptoKey, now: number): Promise<{ serial: number } | Problem> {
    let keys: StoredZoneKey[];
    if (step === "publish") {
      const tags = this.#signer?.keys.map((k) => k.keyTag) ?? [];
      const { stored } = await generateStoredKey(kek, this.#zone!.apex, "published", now, tags);
      keys = [...this.#keys, stored];
    } else {
      keys = applyRoleStep(this.#keys, step, now);
    }
    // The DNSKEY RRset is zone content: the serial moves so caches keyed on it refresh.
    return this.#commit(this.#current(), { keys });
  }

  #nextAlarm(): number | null {
    if (this.#store.getMeta("auto-rollover") !== "1") return null;
    const state: RolloverState = rolloverState(this.#keys, this.#timing());
    if (state.next === "publish") {
      this.#store.setMeta("auto-rollover", null); // the rollover is complete
      return null;
    }
    return state.safeAfter;
  }

  /** The alarm: takes the automatic rollover's next step once it is safe. */
  async onAlarm(): Promise<number | null> {
    if (!this.#zone || this.#store.getMeta("auto-rollover") !== "1") return null;
    const kek = this.#kekKey();
    if (!(kek instanceof CryptoKey)) return null;
    const now = Math.floor(Date.now() / 1000);
    const state = rolloverState(this.#keys, this.#timing());
    if (state.next !== "publish" && now >= state.safeAfter) await this.#applyStep(state.next, kek, now);
    return this.#nextAlarm();
  }

  /** Answers a decoded query (the Worker has already chosen this zone for it). */
  async query(q: DnsQuery, format: "wire" | "json"): Promise<QueryAnswer | null> {
    const zone = this.#zone;
    if (!zone) return null;
    const resp = await answerQuery(q, zone, { signer: this.#signer });
    return { body: format === "wire" ? encodeResponse(resp) : responseToJson(resp), ttl: responseTtl(resp), serial: this.serial };
  }
}
