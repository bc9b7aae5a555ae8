// Reading /metrics in Worker tests, through a real Prometheus text-format parser.

import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { expect } from "vitest";
import { call } from "./worker-helpers.ts";

export type Families = ReturnType<typeof parsePrometheusTextFormat>;

export async function scrape(): Promise<Families> {
  const res = await call("/metrics");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
  return parsePrometheusTextFormat(await res.text());
}

/** The sum of a family's series whose labels include `match`. */
export function sum(fams: Families, name: string, match: Record<string, string> = {}): number {
  const f = fams.find((x) => x.name === name);
  if (!f) return 0;
  return f.metrics
    .filter((m) => Object.entries(match).every(([k, v]) => m.labels?.[k] === v))
    // Histograms: the +Inf bucket is the count (this parser keeps only the buckets of labelled histograms).
    .reduce((acc, m) => acc + Number(m.value ?? m.buckets?.["+Inf"] ?? m.count ?? 0), 0);
}
