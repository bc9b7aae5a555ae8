// Metrics as each isolate records them: counters, gauges and histograms by name and labels.
// An isolate holds only what happened since its last flush (a delta); the Metrics Durable Object
// adds the deltas of every isolate up (src/metrics/aggregate.ts), so /metrics is the same
// whichever isolate answers it. Anything that runs in the Worker or a Durable Object records here:
//
//   import { metrics } from "../src/metrics/registry.ts";
//   import { VALIDATOR_HEALTHY } from "../src/metrics/catalog.ts";
//   metrics.set(VALIDATOR_HEALTHY, { validator: "v1" }, 1);
//
// and the caller's runtime flushes (workers/metrics.ts flushMetrics, from ctx.waitUntil).

export type MetricKind = "counter" | "gauge" | "histogram";
export type Labels = Readonly<Record<string, string>>;

export interface MetricDef {
  /** Prometheus metric name: [a-zA-Z_:][a-zA-Z0-9_:]*; counters end in _total. */
  readonly name: string;
  readonly kind: MetricKind;
  readonly help: string;
  /** Histogram upper bounds, ascending (the +Inf bucket is implicit). */
  readonly buckets?: readonly number[];
}

export { NO_LABELS };

export const counter = (name: string, help: string): MetricDef => ({ name, kind: "counter", help });
export const gauge = (name: string, help: string): MetricDef => ({ name, kind: "gauge", help });
export const histogram = (name: string, help: string, buckets: readonly number[]): MetricDef => ({ name, kind: "histogram", help, buckets });

/** One series' change since the last flush. */
export interface SeriesDelta {
  def: MetricDef;
  labels: Labels;
  /** counter: the increment; gauge: the latest value. */
  value: number;
  /** histogram only: observations per bucket (not cumulative; the last is +Inf), sum and count. */
  buckets?: number[];
  sum?: number;
  count?: number;
}

export type MetricsDelta = SeriesDelta[];

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function seriesKey(name: string, labels: Labels): string {
  return name + JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function checkDef(def: MetricDef, labels: Labels): void {
  if (!NAME.test(def.name)) throw new RangeError(`invalid metric name ${def.name}`);
  for (const k of Object.keys(labels)) if (!LABEL.test(k) || k.startsWith("__") || k === "le") throw new RangeError(`invalid label name ${k} on ${def.name}`);
}

/** Shared by every unlabelled recording, so its series key is computed once. */
const NO_LABELS: Labels = Object.freeze({});

export class Registry {
  #pending = new Map<string, SeriesDelta>();
  // Series keys by label object: hot paths (a DoH query records two series) pass the same frozen
  // label objects every time, so recording costs a map lookup, not a sort and a JSON.stringify.
  readonly #keys = new WeakMap<Labels, Map<string, string>>();

  #key(name: string, labels: Labels): string {
    if (!Object.isFrozen(labels)) return seriesKey(name, labels);
    let byName = this.#keys.get(labels);
    if (!byName) this.#keys.set(labels, (byName = new Map()));
    let key = byName.get(name);
    if (key === undefined) byName.set(name, (key = seriesKey(name, labels)));
    return key;
  }

  #series(def: MetricDef, labels: Labels): SeriesDelta {
    const key = this.#key(def.name, labels);
    let s = this.#pending.get(key);
    if (!s) {
      checkDef(def, labels);
      s = { def, labels: { ...labels }, value: 0 };
      if (def.kind === "histogram") Object.assign(s, { buckets: new Array<number>((def.buckets?.length ?? 0) + 1).fill(0), sum: 0, count: 0 });
      this.#pending.set(key, s);
    }
    return s;
  }

  inc(def: MetricDef, labels: Labels = NO_LABELS, by = 1): void {
    if (def.kind !== "counter" || !(by >= 0)) throw new RangeError(`${def.name}: counters only go up`);
    this.#series(def, labels).value += by;
  }

  set(def: MetricDef, labels: Labels, value: number): void {
    if (def.kind !== "gauge") throw new RangeError(`${def.name} is not a gauge`);
    this.#series(def, labels).value = value;
  }

  observe(def: MetricDef, labels: Labels, value: number): void {
    if (def.kind !== "histogram" || !Number.isFinite(value)) throw new RangeError(`${def.name}: not a histogram or not a finite value`);
    const s = this.#series(def, labels);
    const bounds = def.buckets ?? [];
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    s.buckets![i]! += 1;
    s.sum! += value;
    s.count! += 1;
  }

  get pending(): boolean {
    return this.#pending.size > 0;
  }

  /** Everything recorded since the last take; the registry starts over empty. */
  take(): MetricsDelta | null {
    if (this.#pending.size === 0) return null;
    const delta = [...this.#pending.values()];
    this.#pending = new Map();
    return delta;
  }

  /** Puts back a delta that could not be delivered (later recordings of a gauge win). */
  restore(delta: MetricsDelta): void {
    for (const d of delta) {
      const key = seriesKey(d.def.name, d.labels);
      const now = this.#pending.get(key);
      if (!now) {
        this.#pending.set(key, d);
      } else if (d.def.kind === "counter") {
        now.value += d.value;
      } else if (d.def.kind === "histogram") {
        d.buckets!.forEach((n, i) => (now.buckets![i]! += n));
        now.sum! += d.sum!;
        now.count! += d.count!;
      }
    }
  }
}

/** This isolate's registry. */
export const metrics = new Registry();
