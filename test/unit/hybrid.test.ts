import { describe, expect, it } from "vitest";
import { type HybridScheme, hybridKeygen, hybridSign, hybridSigner, hybridVerify } from "../../src/crypto/hybrid.ts";
import { utf8 } from "../../src/encoding/bytes.ts";

const msg = utf8('{"vote":"approve","request":"abc"}');

function flip(b: Uint8Array, i: number): Uint8Array {
  const c = new Uint8Array(b);
  c[i] = c[i]! ^ 0x01;
  return c;
}

describe.each<HybridScheme>(["ed25519+ml-dsa-44", "ed25519+falcon-1024"])("hybrid %s", (scheme) => {
  it("signs and verifies; both halves must verify", async () => {
    const pair = await hybridKeygen(scheme);
    const signer = await hybridSigner(pair);
    expect(signer.publicKey).toEqual(pair.publicKey);
    const sig = await signer.sign(msg);
    expect(await hybridVerify(pair.publicKey, msg, sig)).toBe(true);
    expect(await hybridVerify(pair.publicKey, msg, await hybridSign(pair, msg))).toBe(true);

    expect(await hybridVerify(pair.publicKey, flip(msg, 3), sig)).toBe(false);
    expect(await hybridVerify(pair.publicKey, msg, flip(sig, 10)), "Ed25519 half altered").toBe(false);
    expect(await hybridVerify(pair.publicKey, msg, flip(sig, 200)), "PQ half altered").toBe(false);
    expect(await hybridVerify(pair.publicKey, msg, flip(sig, 0)), "scheme byte altered").toBe(false);
    expect(await hybridVerify(pair.publicKey, msg, sig.subarray(0, sig.length - 1))).toBe(false);
    expect(await hybridVerify(flip(pair.publicKey, 5), msg, sig), "Ed25519 key altered").toBe(false);
    expect(await hybridVerify(flip(pair.publicKey, 100), msg, sig), "PQ key altered").toBe(false);
    expect(await hybridVerify(new Uint8Array(0), msg, sig)).toBe(false);
  });

  it("a half taken from another signature does not verify", async () => {
    const a = await hybridKeygen(scheme);
    const sigA = await hybridSign(a, msg);
    const sigB = await hybridSign(a, utf8("another message"));
    const mixed = new Uint8Array(sigA);
    mixed.set(sigB.subarray(1, 65), 1); // Ed25519 half of B with the PQ half of A
    expect(await hybridVerify(a.publicKey, msg, mixed)).toBe(false);
  });
});

it("keys of one scheme are refused by the other", async () => {
  const ml = await hybridKeygen("ed25519+ml-dsa-44");
  const sig = await hybridSign(ml, msg);
  const forged = new Uint8Array(sig);
  forged[0] = 0x02;
  expect(await hybridVerify(ml.publicKey, msg, forged)).toBe(false);
  await expect(hybridSigner({ ...ml, scheme: "ed25519+falcon-1024" })).rejects.toThrow(RangeError);
});
