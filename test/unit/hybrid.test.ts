import { describe, expect, it } from "vitest";
import { type HybridScheme, hybridFromEd25519, hybridKeygen, hybridSign, hybridSigner, hybridVerify } from "../../src/crypto/hybrid.ts";
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

describe("hybridFromEd25519 (a validator's existing Ed25519 key gains a post-quantum half)", () => {
  it("keeps the Ed25519 public key, is deterministic in the ML-DSA seed, and refuses a non-RFC 8410 key", async () => {
    const ed = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", ed.privateKey)) as ArrayBuffer);
    const raw = new Uint8Array((await crypto.subtle.exportKey("raw", ed.publicKey)) as ArrayBuffer);
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const pair = await hybridFromEd25519(pkcs8, "ed25519+ml-dsa-44", seed);
    expect(pair.publicKey[0]).toBe(0x01);
    expect(pair.publicKey.subarray(1, 33)).toEqual(raw);
    expect((await hybridFromEd25519(pkcs8, "ed25519+ml-dsa-44", seed)).publicKey).toEqual(pair.publicKey);
    const sig = await (await hybridSigner(pair)).sign(msg);
    expect(await hybridVerify(pair.publicKey, msg, sig)).toBe(true);
    // The Ed25519 half verifies with the original key over the labelled message.
    const labelled = new Uint8Array([...utf8("trustchain/hybrid-signature/v1\0"), 0x01, ...msg]);
    expect(await crypto.subtle.verify("Ed25519", ed.publicKey, sig.subarray(1, 65), labelled)).toBe(true);
    await expect(hybridFromEd25519(pkcs8.subarray(1))).rejects.toThrow(RangeError);
    await expect(hybridFromEd25519(new Uint8Array(48))).rejects.toThrow(RangeError);
  });

  it("pairs the same Ed25519 key with a FALCON-1024 half, reloaded from its stored secret and public key", async () => {
    const ed = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", ed.privateKey)) as ArrayBuffer);
    const raw = new Uint8Array((await crypto.subtle.exportKey("raw", ed.publicKey)) as ArrayBuffer);
    const pair = await hybridFromEd25519(pkcs8, "ed25519+falcon-1024");
    expect(pair.publicKey[0]).toBe(0x02);
    expect(pair.publicKey.subarray(1, 33)).toEqual(raw);
    const again = await hybridFromEd25519(pkcs8, "ed25519+falcon-1024", pair.secretKey.subarray(33), pair.publicKey.subarray(33));
    expect(again.publicKey).toEqual(pair.publicKey);
    expect(await hybridVerify(pair.publicKey, msg, await (await hybridSigner(again)).sign(msg))).toBe(true);
    // Without its public key a FALCON-1024 secret is refused (deriving it would cost a key generation).
    await expect(hybridFromEd25519(pkcs8, "ed25519+falcon-1024", pair.secretKey.subarray(33))).rejects.toThrow(RangeError);
  });
});
