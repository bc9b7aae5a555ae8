import { describe, expect, it } from "vitest";
import { parsePem, toPem } from "../../src/encoding/pem.ts";

describe("PEM (RFC 7468)", () => {
  const cert = toPem("CERTIFICATE", Uint8Array.of(1, 2, 3));
  const key = toPem("PRIVATE KEY", Uint8Array.of(4));

  it("reads every block in order, ignoring text between them", () => {
    expect(parsePem(`explanatory text\n${cert}more text\n${key}`)).toEqual([
      { label: "CERTIFICATE", der: Uint8Array.of(1, 2, 3) },
      { label: "PRIVATE KEY", der: Uint8Array.of(4) },
    ]);
    expect(parsePem("no blocks at all")).toEqual([]);
  });

  it("refuses unclosed, mismatched, nested and non-base64 blocks", () => {
    expect(parsePem("-----BEGIN CERTIFICATE-----\nAQID\n")).toBeNull();
    expect(parsePem("-----BEGIN CERTIFICATE-----\nAQID\n-----END PRIVATE KEY-----\n")).toBeNull();
    expect(parsePem(`-----BEGIN CERTIFICATE-----\n${key}-----END CERTIFICATE-----\n`)).toBeNull();
    expect(parsePem("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")).toBeNull();
    expect(parsePem(`${cert}-----END CERTIFICATE-----\n`)).toBeNull();
  });

  it("refuses a body made of thousands of BEGIN lines in one pass", () => {
    // A lazy BEGIN…END pattern rescanned the rest of the text from each of these.
    expect(parsePem("-----BEGIN A-----".repeat(4000))).toBeNull();
    expect(parsePem("-----BEGIN A-----\n-----END B-----\n".repeat(2000))).toBeNull();
  });
});
