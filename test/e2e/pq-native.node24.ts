// Run by Node 24, whose WebCrypto has ML-DSA: src/crypto/ml-dsa.ts must take its native path there,
// and what it signs natively must verify with @noble/post-quantum (and the reverse).
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";
import { mlDsaKeygen, mlDsaSigningKey, mlDsaVerify, nativeMlDsa } from "../../src/crypto/ml-dsa.ts";

const msg = new TextEncoder().encode("native ML-DSA in Node 24");
const native = await nativeMlDsa();
const pair = mlDsaKeygen("ML-DSA-65");
const key = await mlDsaSigningKey("ML-DSA-65", pair.seed);
const sig = await key.sign(msg);
const ctxSig = await key.sign(msg, new TextEncoder().encode("ctx"));
const nobleSig = ml_dsa65.sign(msg, ml_dsa65.keygen(pair.seed).secretKey);
console.log(JSON.stringify({
  native,
  nobleVerifiesNative: ml_dsa65.verify(sig, msg, pair.publicKey),
  nobleVerifiesNativeCtx: ml_dsa65.verify(ctxSig, msg, pair.publicKey, { context: new TextEncoder().encode("ctx") }),
  nativeVerifiesNoble: await mlDsaVerify("ML-DSA-65", pair.publicKey, msg, nobleSig),
  nativeRejectsTampered: !(await mlDsaVerify("ML-DSA-65", pair.publicKey, msg.subarray(1), nobleSig)),
}));
