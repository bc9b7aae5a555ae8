// ECDSA-Sig-Value (RFC 5480 §2.2) conversions, checked against @peculiar/asn1-ecc's schema
// encoder/decoder (written independently of ours) and against WebCrypto round trips.

import { AsnConvert } from "@peculiar/asn1-schema";
import { ECDSASigValue } from "@peculiar/asn1-ecc";
import { describe, expect, it } from "vitest";
import { fromBase64, toBase64, toHex } from "../../src/encoding/bytes.ts";
import { ecdsaDerToP1363, ecdsaP1363ToDer } from "../../src/x509/signer.ts";

function schemaDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const t = b.subarray(i);
    const out = new Uint8Array(t.length + (t[0]! & 0x80 ? 1 : 0));
    out.set(t, out.length - t.length);
    return out.buffer;
  };
  return new Uint8Array(AsnConvert.serialize(new ECDSASigValue({ r: int(raw.subarray(0, half)), s: int(raw.subarray(half)) })));
}

describe("ECDSA signature encodings", () => {
  it("encodes r‖s exactly as the ASN.1 schema does, for P-256 and P-384, and decodes back", () => {
    for (const size of [32, 48]) {
      for (let i = 0; i < 300; i++) {
        const raw = crypto.getRandomValues(new Uint8Array(2 * size));
        // Leading zero octets and high bits: the cases where DER INTEGERs shrink or gain a 0x00.
        if (i % 3 === 0) raw.fill(0, 0, 1 + (i % 5));
        if (i % 4 === 0) raw[size] = 0x80 | raw[size]!;
        if (i % 7 === 0) raw.fill(0, size, size + 2);
        const der = ecdsaP1363ToDer(raw);
        expect(toHex(der)).toBe(toHex(schemaDer(raw)));
        expect(toHex(ecdsaDerToP1363(der, size)!)).toBe(toHex(raw));
      }
    }
  });

  it("verifies WebCrypto signatures after a DER round trip", async () => {
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])) as CryptoKeyPair;
    const data = new TextEncoder().encode("tbs");
    for (let i = 0; i < 20; i++) {
      const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, keys.privateKey, data));
      const back = ecdsaDerToP1363(ecdsaP1363ToDer(raw), 32)!;
      expect(await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, keys.publicKey, back, data)).toBe(true);
    }
  });

  it("refuses what is not one minimal DER ECDSA-Sig-Value of the curve's size", () => {
    const good = ecdsaP1363ToDer(Uint8Array.from({ length: 64 }, (_, i) => i + 1));
    const bad: Uint8Array[] = [
      new Uint8Array(0),
      good.subarray(0, good.length - 1), // truncated
      Uint8Array.of(...good, 0), // trailing byte
      Uint8Array.of(0x31, ...good.subarray(1)), // SET, not SEQUENCE
      Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01), // one INTEGER
      Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01), // negative r
      Uint8Array.of(0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01), // non-minimal r
      Uint8Array.of(0x30, 0x06, 0x04, 0x01, 0x01, 0x02, 0x01, 0x01), // OCTET STRING for r
      ecdsaP1363ToDer(Uint8Array.from({ length: 66 }, (_, i) => i + 1)), // 33-octet r, s for P-256
    ];
    for (const b of bad) expect(ecdsaDerToP1363(b, 32)).toBeNull();
  });
});

describe("base64", () => {
  it("round-trips every length and refuses malformed text", () => {
    for (let n = 0; n < 70; n++) {
      const b = crypto.getRandomValues(new Uint8Array(n));
      const text = toBase64(b);
      expect(text).toBe(btoa(String.fromCharCode(...b)));
      expect(toHex(fromBase64(text)!)).toBe(toHex(b));
      expect(toHex(fromBase64(text.replace(/=+$/, ""))!)).toBe(toHex(b));
    }
    for (const t of ["A", "AB=C", "A===", "AB*D", "ABCDE", "AB CD E"]) expect(fromBase64(t)).toBeNull();
    expect(toHex(fromBase64(" AQ ID\n")!)).toBe("010203");
  });
});
