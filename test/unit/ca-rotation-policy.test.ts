// When the cron rotates an issuing CA (src/ca/rotation.ts): at the configured age, or once less of
// its lifetime remains than the longest leaf profile plus the margin, but never in a loop near the
// root's own end.

import { describe, expect, it } from "vitest";
import { rotationDue, rotationPolicy } from "../../src/ca/rotation.ts";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const FIVE_YEARS = 5 * 365 * DAY;
const issuing = (ageDays: number, lifetime = FIVE_YEARS) => ({ notBefore: new Date(T0 - ageDays * DAY), notAfter: new Date(T0 - ageDays * DAY + lifetime) });
const root = { notAfter: new Date(T0 + 20 * 365 * DAY) };

describe("rotation policy", () => {
  it("defaults: a year of age, or 90 + 30 days of lifetime left; bad values fall back, 'off' disables the age rule", () => {
    expect(rotationPolicy({})).toEqual({ maxAgeMs: 365 * DAY, minRemainingMs: 120 * DAY });
    expect(rotationPolicy({ CA_ROTATE_AFTER_DAYS: "30", CA_ROTATE_MARGIN_DAYS: "7" })).toEqual({ maxAgeMs: 30 * DAY, minRemainingMs: 97 * DAY });
    expect(rotationPolicy({ CA_ROTATE_AFTER_DAYS: "-1", CA_ROTATE_MARGIN_DAYS: "1.5" })).toEqual(rotationPolicy({}));
    expect(rotationPolicy({ CA_ROTATE_AFTER_DAYS: "off" }).maxAgeMs).toBeNull();
  });

  it("is due by age, and by remaining lifetime even with the age rule off", () => {
    const p = rotationPolicy({});
    expect(rotationDue({ root, issuing: issuing(364) }, T0, p)).toBeNull();
    expect(rotationDue({ root, issuing: issuing(365) }, T0, p)).toContain("365 days old");
    const off = rotationPolicy({ CA_ROTATE_AFTER_DAYS: "off" });
    expect(rotationDue({ root, issuing: issuing(1000) }, T0, off)).toBeNull();
    expect(rotationDue({ root, issuing: issuing(5 * 365 - 119) }, T0, off)).toContain("119 days of its lifetime remain");
  });

  it("does not rotate by remaining lifetime when a new issuing CA could not outlive the current one (the root ends first)", () => {
    const off = rotationPolicy({ CA_ROTATE_AFTER_DAYS: "off" });
    const late = issuing(5 * 365 - 100);
    expect(rotationDue({ root: { notAfter: late.notAfter }, issuing: late }, T0, off)).toBeNull();
  });
});
