// The sum of every isolate's metric deltas, and its Prometheus text exposition (format 0.0.4:
// https://prometheus.io/docs/instrumenting/exposition_formats/).

import { type Labels, type MetricDef, type MetricsDelta, type SeriesDelta, seriesKey } from "./registry.ts";

/** A series' running total: the shape of a delta (registry.ts), with every delta added in. */
export type Series = SeriesDelta;

export type MetricsState = Record<string, Series>;

/** Adds a delta into the state (counters and histograms add up; gauges take the latest value). */
export function applyDelta(state: MetricsState, delta: MetricsDelta): void {
  for (const d of delta) {
    const key = seriesKey(d.def.name, d.labels);
    const s = state[key];
    if (!s || s.def.kind !== d.def.kind || (d.def.kind === "histogram" && s.buckets?.length !== d.buckets?.length)) {
      state[key] = copy(d);
      continue;
    }
    s.def = d.def; // help text may have been improved by a newer deployment
    if (d.def.kind === "gauge") s.value = d.value;
    else if (d.def.kind === "counter") s.value += d.value;
    else {
      d.buckets!.forEach((n, i) => (s.buckets![i]! += n));
      s.sum! += d.sum!;
      s.count! += d.count!;
    }
  }
}

function copy(d: SeriesDelta): Series {
  return { def: d.def, labels: { ...d.labels }, value: d.value, ...(d.buckets ? { buckets: [...d.buckets], sum: d.sum, count: d.count } : {}) };
}

const escapeLabel = (v: string): string => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const escapeHelp = (v: string): string => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function num(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (Number.isNaN(v)) return "NaN";
  return String(v);
}

/** The text exposition of all series, one family per metric name, families sorted by name. */
export function exposition(series: Iterable<Series>): string {
  const families = new Map<string, Series[]>();
  for (const s of series) {
    const f = families.get(s.def.name);
    if (f) f.push(s);
    else families.set(s.def.name, [s]);
  }
  const out: string[] = [];
  for (const name of [...families.keys()].sort()) {
    const members = families.get(name)!;
    const def = members[0]!.def;
    out.push(`# HELP ${name} ${escapeHelp(def.help)}`, `# TYPE ${name} ${def.kind}`);
    for (const s of members) {
      if (def.kind !== "histogram") {
        out.push(`${name}${labelText(s.labels)} ${num(s.value)}`);
        continue;
      }
      const bounds = s.def.buckets ?? [];
      let cumulative = 0;
      s.buckets!.forEach((n, i) => {
        cumulative += n;
        out.push(`${name}_bucket${labelText(s.labels, ["le", i < bounds.length ? num(bounds[i]!) : "+Inf"])} ${cumulative}`);
      });
      out.push(`${name}_sum${labelText(s.labels)} ${num(s.sum!)}`, `${name}_count${labelText(s.labels)} ${s.count}`);
    }
  }
  return out.length ? out.join("\n") + "\n" : "";
}
