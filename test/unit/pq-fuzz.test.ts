// Random and mutated inputs to the post-quantum parsers and verifiers: they answer null/false or a
// typed failure, never throw.

import { describe, expect, it } from "vitest";
import { isOpenFailure, kemKeygen, openSealed, parseIdentity, parseRecipient, sealTo } from "../../src/ca/backup.ts";
import { compositeVerify } from "../../src/crypto/composite.ts";
import { hybridKeygen, hybridSign, hybridVerify } from "../../src/crypto/hybrid.ts";
import { mlDsaVerify } from "../../src/crypto/ml-dsa.ts";
import { utf8 } from "../../src/encoding/bytes.ts";
import { mlDsa44CosignatureVerifier } from "../../src/note/cosignature.ts";
import { mlDsaPkcs8, mlDsaSeedFromPkcs8 } from "../../src/x509/ml-dsa.ts";
import { mulberry32 } from "../support/prng.ts";

const rand = mulberry32(0x5eed);
const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
function mutate(b: Uint8Array): Uint8Array {
  const c = new Uint8Array(b);
  const k = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < k; i++) {
    const at = Math.floor(rand() * c.length);
    c[at] = c[at]! ^ (1 + Math.floor(rand() * 255)); // always a different byte
  }
  return rand() < 0.2 ? c.subarray(0, Math.floor(rand() * c.length)) : c;
}

describe("PQ parsers under random input", () => {
  it("mlDsaSeedFromPkcs8: random and mutated DER", () => {
    const good = mlDsaPkcs8("ML-DSA-65", bytes(32));
    expect(mlDsaSeedFromPkcs8(good)?.level).toBe("ML-DSA-65");
    for (let i = 0; i < 500; i++) {
      const r = mlDsaSeedFromPkcs8(i % 2 ? bytes(Math.floor(rand() * 80)) : mutate(good));
      expect(r === null || r.seed.length === 32).toBe(true);
    }
  });

  it("verifiers: random keys and signatures are false", async () => {
    const hy = await hybridKeygen("ed25519+ml-dsa-44");
    const sig = await hybridSign(hy, utf8("m"));
    const cos = mlDsa44CosignatureVerifier("w", bytes(1312));
    for (let i = 0; i < 60; i++) {
      expect(await mlDsaVerify("ML-DSA-44", bytes(1312), utf8("m"), bytes(2420))).toBe(false);
      expect(await compositeVerify(bytes(2017), utf8("m"), bytes(3380))).toBe(false);
      expect(await hybridVerify(hy.publicKey, utf8("m"), mutate(sig))).toBe(false);
      expect(await hybridVerify(mutate(hy.publicKey), utf8("m"), sig)).toBe(false);
      expect(await cos.verify(utf8("o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"), bytes(Math.floor(rand() * 3000)))).toBe(false);
    }
  });

  it("sealed envelopes: mutated fields are typed failures", async () => {
    const keys = kemKeygen();
    const env = await sealTo(keys.publicKey, "ca-keys", utf8("secret"));
    for (let i = 0; i < 100; i++) {
      const e: Record<string, unknown> = { ...env };
      const field = ["encapsulated", "iv", "ciphertext", "recipient", "purpose", "format"][i % 6]!;
      e[field] = rand() < 0.5 ? String(e[field]).slice(1) : `${String(e[field]).slice(0, -4)}AAA=`;
      const r = await openSealed(keys, "ca-keys", e);
      expect(isOpenFailure(r)).toBe(true);
    }
    for (const junk of [null, 1, "x", [], {}, { format: "trustchain-sealed/v1" }]) expect(isOpenFailure(await openSealed(keys, "ca-keys", junk))).toBe(true);
    for (const text of ["", "{", "[]", '{"type":"trustchain-backup-identity"}', '{"type":"trustchain-backup-recipient","public_key":"AAAA"}']) {
      expect(parseIdentity(text)).toBeNull();
      expect(parseRecipient(text)).toBeNull();
    }
  });
});
