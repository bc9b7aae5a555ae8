// The newOrder payload (RFC 8555 §7.4): identifiers of type "dns" (§9.7.7) and "ip" (RFC 8738),
// checked with the same name rules as CSRs and returned in canonical form, without duplicates.

import { checkDnsName, ipIdentifierFromText } from "../names/identifiers.ts";
import { type Problem, ProblemType, type Result, fail, ok, problem } from "../problem.ts";
import type { OrderIdentifier } from "./store.ts";

export function parseOrderIdentifiers(payload: Record<string, unknown>, maxNames: number): Result<OrderIdentifier[]> {
  const list = payload.identifiers;
  if (!Array.isArray(list) || list.length === 0) return fail(problem(ProblemType.malformed, 400, '"identifiers" must be a non-empty array'));
  if (list.length > maxNames) return fail(problem(ProblemType.rejectedIdentifier, 400, `an order may name at most ${maxNames} identifiers`));
  // §7.4: notBefore/notAfter are optional; we issue with our profile's validity and say so.
  if (payload.notBefore !== undefined || payload.notAfter !== undefined) {
    return fail(problem(ProblemType.malformed, 400, "notBefore and notAfter are not supported; the validity comes from the issuance profile"));
  }
  const out: OrderIdentifier[] = [];
  const seen = new Set<string>();
  const subproblems: NonNullable<Problem["subproblems"]> = [];
  for (const item of list) {
    if (typeof item !== "object" || item === null || typeof (item as { type?: unknown }).type !== "string" || typeof (item as { value?: unknown }).value !== "string") {
      return fail(problem(ProblemType.malformed, 400, 'each identifier must be {"type": string, "value": string}'));
    }
    const { type, value } = item as { type: string; value: string };
    let id: OrderIdentifier | null = null;
    // An IP address sent as a "dns" identifier (lego 4.9 sends every --domains value as "dns")
    // cannot be a domain name: an LDH name never contains ":" and never ends in a numeric label
    // (RFC 1123 §2.1, RFC 3696 §2). It is read as the RFC 8738 "ip" identifier it can only mean,
    // and the order, its authorization and the certificate (an iPAddress SAN) all say "ip".
    const ipSentAsDns = type === "dns" ? ipIdentifierFromText(value) : null;
    if (ipSentAsDns) {
      id = { type: "ip", value: ipSentAsDns.value };
    } else if (type === "dns") {
      const c = checkDnsName(value);
      if (c.ok) id = { type: "dns", value: c.value };
      else subproblems.push({ type: ProblemType.rejectedIdentifier, detail: c.reason, identifier: { type, value: value.slice(0, 260) } });
    } else if (type === "ip") {
      const ip = ipIdentifierFromText(value);
      if (ip) id = { type: "ip", value: ip.value };
      else subproblems.push({ type: ProblemType.rejectedIdentifier, detail: "not a certifiable IP address", identifier: { type, value: value.slice(0, 60) } });
    } else {
      subproblems.push({ type: ProblemType.unsupportedIdentifier, detail: `identifier type "${type.slice(0, 20)}" is not supported`, identifier: { type: type.slice(0, 20), value: value.slice(0, 60) } });
    }
    if (id && !seen.has(`${id.type}:${id.value}`)) {
      seen.add(`${id.type}:${id.value}`);
      out.push(id);
    }
  }
  if (subproblems.length > 0) {
    const only = subproblems.length === 1 ? subproblems[0]! : null;
    // §6.7.1: one failing identifier may be reported directly, several as subproblems.
    return fail(problem(only ? only.type : ProblemType.rejectedIdentifier, 400, only ? `${only.identifier?.value}: ${only.detail}` : "some identifiers cannot be certified", { subproblems }));
  }
  return ok(out);
}
