import { describe, expect, it } from "vitest";
import vector from "../vectors/composite-mldsa65-p256.json";
import { compositeKeygen, compositeSigningKey, compositeVerify, messageRepresentative } from "../../src/crypto/composite.ts";
import { falconKeygen, falconSign, falconVerify } from "../../src/crypto/falcon.ts";
import { ML_DSA_LEVELS, mlDsaKeygen, mlDsaSigningKey, mlDsaVerify, nativeMlDsa } from "../../src/crypto/ml-dsa.ts";
import { fromBase64, fromHex, toHex, utf8 } from "../../src/encoding/bytes.ts";

const msg = utf8("TrustChain post-quantum");

function flip(b: Uint8Array, i: number): Uint8Array {
  const c = new Uint8Array(b);
  c[i] = c[i]! ^ 1;
  return c;
}

describe("ML-DSA", () => {
  it("workerd's WebCrypto has no ML-DSA: the noble path is used", async () => {
    expect(await nativeMlDsa()).toBe(false);
  });

  for (const level of ML_DSA_LEVELS) {
    it(`${level}: sign/verify, context binding, tamper`, async () => {
      const pair = mlDsaKeygen(level);
      const key = await mlDsaSigningKey(level, pair.seed);
      expect(key.publicKey).toEqual(pair.publicKey);
      const sig = await key.sign(msg);
      expect(await mlDsaVerify(level, pair.publicKey, msg, sig)).toBe(true);
      expect(await mlDsaVerify(level, pair.publicKey, flip(msg, 0), sig)).toBe(false);
      expect(await mlDsaVerify(level, pair.publicKey, msg, flip(sig, 100))).toBe(false);
      expect(await mlDsaVerify(level, pair.publicKey, msg, sig.subarray(1))).toBe(false);
      const ctxSig = await key.sign(msg, utf8("ctx"));
      expect(await mlDsaVerify(level, pair.publicKey, msg, ctxSig, utf8("ctx"))).toBe(true);
      expect(await mlDsaVerify(level, pair.publicKey, msg, ctxSig)).toBe(false);
    });
  }

  it("keygen from a seed is deterministic", () => {
    const seed = new Uint8Array(32).fill(7);
    expect(mlDsaKeygen("ML-DSA-44", seed).publicKey).toEqual(mlDsaKeygen("ML-DSA-44", seed).publicKey);
  });
});

describe("FALCON-1024", () => {
  it("sign/verify and tamper", () => {
    const kp = falconKeygen();
    const sig = falconSign(kp.secretKey, msg);
    expect(sig[0]).toBe(0x3a); // compressed format header, logn = 10
    expect(falconVerify(kp.publicKey, msg, sig)).toBe(true);
    expect(falconVerify(kp.publicKey, flip(msg, 1), sig)).toBe(false);
    expect(falconVerify(kp.publicKey, msg, flip(sig, 50))).toBe(false);
  });
});

describe("composite id-MLDSA65-ECDSA-P256-SHA512", () => {
  const m = fromBase64(vector.m)!;
  const pk = fromBase64(vector.pk)!;
  const s = fromBase64(vector.s)!;
  const sk = fromBase64(vector.sk)!;

  it("builds M' = Prefix || Label || len(ctx) || ctx || SHA-512(M) (draft example, src/messageFormatSample_noctx.md)", async () => {
    const hex = toHex(await messageRepresentative(fromHex("00010203040506070809")!));
    expect(hex.startsWith("436f6d706f73697465416c676f726974686d5369676e61747572657332303235" + toHex(utf8("COMPSIG-MLDSA65-ECDSA-P256-SHA512")) + "00")).toBe(true);
    expect(hex.endsWith("0f89ee1fcb7b0a4f7809d1267a029719004c5a5e5ec323a7c3523a20974f9a3f202f56fadba4cd9e8d654ab9f2e96dc5c795ea176fa20ede8d854c342f903533")).toBe(true);
  });

  it("verifies the draft's published test vector", async () => {
    expect(await compositeVerify(pk, m, s)).toBe(true);
  });

  it("fails when either component is altered", async () => {
    expect(await compositeVerify(pk, m, flip(s, 10))).toBe(false); // ML-DSA part
    expect(await compositeVerify(pk, m, flip(s, s.length - 5))).toBe(false); // ECDSA part
    expect(await compositeVerify(flip(pk, 3), m, s)).toBe(false);
    expect(await compositeVerify(flip(pk, pk.length - 2), m, s)).toBe(false);
    expect(await compositeVerify(pk, flip(m, 0), s)).toBe(false);
  });

  it("signs with the vector's private key, verifiable with the vector's public key", async () => {
    const key = await compositeSigningKey(sk);
    expect(key.publicKey).toEqual(pk);
    expect(await compositeVerify(pk, m, await key.sign(m))).toBe(true);
  });

  it("fresh keys: sign/verify, context", async () => {
    const kp = await compositeKeygen();
    const key = await compositeSigningKey(kp.privateKey);
    expect(key.publicKey).toEqual(kp.publicKey);
    const sig = await key.sign(msg, utf8("c"));
    expect(await compositeVerify(kp.publicKey, msg, sig, utf8("c"))).toBe(true);
    expect(await compositeVerify(kp.publicKey, msg, sig)).toBe(false);
  });
});

describe("a composite-signed certificate", () => {
  it("is built by the CA's certificate code and verifies only with both components intact", async () => {
    const { compositeSigner, compositeSpki } = await import("../../src/x509/composite.ts");
    const { createRootCertificate } = await import("../../src/ca/hierarchy.ts");
    const { buildName, parseSpki } = await import("../../src/x509/build.ts");
    const { verifiesWith, signedParts } = await import("../support/pq-helpers.ts");
    const kp = await compositeKeygen();
    const spki = compositeSpki(kp.publicKey);
    const der = await createRootCertificate({
      name: buildName([["CN", "TrustChain composite test root"]]),
      publicKey: parseSpki(spki),
      signer: compositeSigner(await compositeSigningKey(kp.privateKey)),
      now: new Date(),
    });
    const parts = signedParts(der);
    expect(parts.alg.algorithm).toBe("1.3.6.1.5.5.7.6.45");
    expect(parts.alg.parameters).toBeUndefined();
    expect(await verifiesWith(der, spki)).toBe(true);
    expect(await verifiesWith(flip(der, parts.sigOffset + 5), spki)).toBe(false); // ML-DSA-65 component
    expect(await verifiesWith(flip(der, der.length - 3), spki)).toBe(false); // ECDSA component
    expect(await verifiesWith(flip(der, 40), spki)).toBe(false); // TBS
  });
});
