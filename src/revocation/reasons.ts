// RFC 5280 §5.3.1 CRLReason codes accepted for revocation requests. 6 (certificateHold) and 8
// (removeFromCRL) are excluded: the Baseline Requirements §7.2.2 forbid certificate holds.

export const REVOCATION_REASONS: Record<number, string> = {
  0: "unspecified",
  1: "keyCompromise",
  3: "affiliationChanged",
  4: "superseded",
  5: "cessationOfOperation",
  9: "privilegeWithdrawn",
};

export function parseReason(value: unknown): number | null {
  if (value === undefined || value === null) return 0;
  if (typeof value === "number" && Number.isInteger(value) && value in REVOCATION_REASONS) return value;
  if (typeof value === "string") {
    const entry = Object.entries(REVOCATION_REASONS).find(([, name]) => name === value);
    if (entry) return Number(entry[0]);
  }
  return null;
}
