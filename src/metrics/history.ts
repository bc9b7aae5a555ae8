// Per-minute totals of a few counters over the last hour, for the dashboard's rate charts.

import type { MetricsDelta } from "./registry.ts";

export const HISTORY_MINUTES = 60;

/** minute (unix seconds / 60) -> family name -> increments in that minute */
export type History = Record<string, Record<string, number>>;

export function recordHistory(history: History, delta: MetricsDelta, nowMs: number, families: readonly string[]): void {
  const minute = Math.floor(nowMs / 60_000);
  for (const d of delta) {
    if (d.def.kind !== "counter" || !families.includes(d.def.name) || d.value === 0) continue;
    const m = (history[minute] ??= {});
    m[d.def.name] = (m[d.def.name] ?? 0) + d.value;
  }
  for (const k of Object.keys(history)) if (Number(k) <= minute - HISTORY_MINUTES) delete history[k];
}

/** One series per family: the count in each of the last HISTORY_MINUTES minutes, oldest first. */
export function historySeries(history: History, nowMs: number, families: readonly string[]): { minuteStart: string[]; series: Record<string, number[]> } {
  const minute = Math.floor(nowMs / 60_000);
  const minutes = Array.from({ length: HISTORY_MINUTES }, (_, i) => minute - HISTORY_MINUTES + 1 + i);
  const series: Record<string, number[]> = {};
  for (const f of families) series[f] = minutes.map((m) => history[m]?.[f] ?? 0);
  return { minuteStart: minutes.map((m) => new Date(m * 60_000).toISOString()), series };
}
