// CAA rules (RFC 8659, RFC 8657) with lookups given as tables: the name-tree climb, issue vs
// issuewild, the critical flag, issuer-domain-name and parameter parsing, accounturi and
// validationmethods, and lookup failures.

import { describe, expect, it } from "vitest";
import { type CaaLookup, type CaaRecord, caaLookupNames, caaPermits, checkCaa, isSpecialUseName, parseCaaRecord, parseIssueValue } from "../../src/acme/caa.ts";
import { ProblemType, problem } from "../../src/problem.ts";

const CTX = { issuerDomain: "trustchain.test", accountUri: "https://ca.test/acme/account/abc", method: "dns-01" };
const rec = (text: string): CaaRecord => parseCaaRecord(text)!;

function table(rows: Record<string, string[]>, asked: string[] = []): CaaLookup {
  return async (fqdn) => {
    asked.push(fqdn);
    return (rows[fqdn] ?? []).map(rec);
  };
}

describe("CAA record and issue-value parsing", () => {
  it("reads presentation and RFC 3597 generic forms", () => {
    expect(parseCaaRecord('0 issue "trustchain.test"')).toEqual({ flags: 0, tag: "issue", value: "trustchain.test" });
    expect(parseCaaRecord('128 tbs "x"')).toEqual({ flags: 128, tag: "tbs", value: "x" });
    // 0 issue "ca.test"
    expect(parseCaaRecord("\\# 14 00 05 69 73 73 75 65 63 61 2e 74 65 73 74")).toEqual({ flags: 0, tag: "issue", value: "ca.test" });
    expect(parseCaaRecord("\\# 3 00 05 69")).toBeNull();
    expect(parseCaaRecord("issue")).toBeNull();
  });

  it("splits issuer domain and parameters (RFC 8659 §4.2)", () => {
    expect(parseIssueValue("TrustChain.test")).toEqual({ issuer: "trustchain.test", parameters: new Map() });
    expect(parseIssueValue(";")).toEqual({ issuer: "", parameters: new Map() });
    expect(parseIssueValue("")).toEqual({ issuer: "", parameters: new Map() });
    const v = parseIssueValue(" ca.test ; accounturi=https://ca.test/acme/account/1 ; validationmethods=dns-01,http-01");
    expect(v?.issuer).toBe("ca.test");
    expect(v?.parameters.get("accounturi")).toBe("https://ca.test/acme/account/1");
    expect(v?.parameters.get("validationmethods")).toBe("dns-01,http-01");
    expect(parseIssueValue("bad_name")).toBeNull();
    expect(parseIssueValue("ca.test; noequals")).toBeNull();
  });
});

describe("CAA decisions", () => {
  it("climbs from the name up to the TLD and stops at the first non-empty RRset", async () => {
    expect(caaLookupNames("a.b.example.com")).toEqual(["a.b.example.com.", "b.example.com.", "example.com.", "com."]);
    const asked: string[] = [];
    const lookup = table({ "example.com.": ['0 issue "other.example"'], "com.": ['0 issue "trustchain.test"'] }, asked);
    const r = await checkCaa(lookup, "a.b.example.com", CTX);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problem.type).toBe(ProblemType.caa);
    expect(asked).toEqual(["a.b.example.com.", "b.example.com.", "example.com."]);
    // No CAA anywhere: anyone may issue.
    expect(await checkCaa(table({}), "a.example.com", CTX)).toEqual({ ok: true });
  });

  it("lets issuewild rule wildcards, and issue when there is no issuewild", () => {
    const set = [rec('0 issue "trustchain.test"'), rec('0 issuewild ";"')];
    expect(caaPermits(set, false, CTX).ok).toBe(true);
    expect(caaPermits(set, true, CTX).ok).toBe(false);
    expect(caaPermits([rec('0 issue "trustchain.test"')], true, CTX).ok).toBe(true);
    expect(caaPermits([rec('0 issue "other.example"'), rec('0 issuewild "trustchain.test"')], true, CTX).ok).toBe(true);
    expect(caaPermits([rec('0 issue "other.example"'), rec('0 issuewild "trustchain.test"')], false, CTX).ok).toBe(false);
  });

  it("leaves issuance open without issue properties, and refuses an unknown critical tag", () => {
    expect(caaPermits([rec('0 iodef "mailto:sec@example.com"')], false, CTX).ok).toBe(true);
    expect(caaPermits([rec('0 tbs "x"'), rec('0 issue "trustchain.test"')], false, CTX).ok).toBe(true);
    expect(caaPermits([rec('128 tbs "x"'), rec('0 issue "trustchain.test"')], false, CTX).ok).toBe(false);
    expect(caaPermits([rec('128 issue "trustchain.test"')], false, CTX).ok).toBe(true);
  });

  it("checks accounturi and validationmethods (RFC 8657)", () => {
    const ok = (v: string) => caaPermits([rec(`0 issue "${v}"`)], false, CTX).ok;
    expect(ok(`trustchain.test; accounturi=${CTX.accountUri}`)).toBe(true);
    expect(ok("trustchain.test; accounturi=https://ca.test/acme/account/other")).toBe(false);
    expect(ok("trustchain.test; validationmethods=http-01,dns-01")).toBe(true);
    expect(ok("trustchain.test; validationmethods=http-01")).toBe(false);
    expect(ok(`trustchain.test; accounturi=${CTX.accountUri}; validationmethods=http-01`)).toBe(false);
    // Unknown parameters are ignored; one matching property among several is enough.
    expect(ok("trustchain.test; futureparam=1")).toBe(true);
    expect(caaPermits([rec('0 issue "trustchain.test; validationmethods=http-01"'), rec('0 issue "trustchain.test"')], false, CTX).ok).toBe(true);
    // An empty issuer domain name of our own (no CA_DOMAIN) never matches.
    expect(caaPermits([rec('0 issue ";"')], false, { ...CTX, issuerDomain: "" }).ok).toBe(false);
  });

  it("refuses when a lookup fails (dns problem), not only when it forbids", async () => {
    const failing: CaaLookup = async () => problem(ProblemType.dns, 403, "SERVFAIL");
    const r = await checkCaa(failing, "www.example.com", CTX);
    expect(!r.ok && r.problem.type).toBe(ProblemType.dns);
  });

  it("knows the RFC 6761 special-use TLDs", () => {
    expect(isSpecialUseName("a.b.test.")).toBe(true);
    expect(isSpecialUseName("example")).toBe(true);
    expect(isSpecialUseName("example.com")).toBe(false);
  });
});
