// Recording helpers for operations timed end to end.

import { isProblem } from "../problem.ts";
import { profileByName } from "../ca/profiles.ts";
import { CT_SEQUENCING_SECONDS, CT_SUBMISSIONS, ISSUANCES, ISSUANCE_SECONDS } from "./catalog.ts";
import { metrics } from "./registry.ts";

/** The outcome label of a result: "ok", or the last segment of its problem type (badCSR, rateLimited, ...). */
export function outcomeOf(result: unknown): string {
  if (!isProblem(result)) return "ok";
  return result.type.split(":").pop() || "problem";
}

/** Times one issuance and counts it by profile (unknown profile names are one label value) and outcome. */
export async function measureIssuance<T>(profile: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const label = profileByName(profile) ? profile : "unknown";
  let result: T;
  try {
    result = await run();
  } catch (e) {
    metrics.inc(ISSUANCES, { profile: label, outcome: "exception" });
    throw e;
  }
  const outcome = outcomeOf(result) === "ok" ? "issued" : outcomeOf(result);
  metrics.inc(ISSUANCES, { profile: label, outcome });
  if (outcome === "issued") metrics.observe(ISSUANCE_SECONDS, { profile: label }, (Date.now() - started) / 1000);
  return result;
}

/** Times one CT submission from arrival at the log to its SCT. */
export async function measureSubmission<T>(kind: "x509" | "precert", run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await run();
  const outcome = outcomeOf(result);
  metrics.inc(CT_SUBMISSIONS, { kind, outcome });
  if (outcome === "ok") metrics.observe(CT_SEQUENCING_SECONDS, {}, (Date.now() - started) / 1000);
  return result;
}
