// The measuring side of `npm run bench:pqc`: a Worker that runs N signatures or verifications of
// one algorithm inside workerd and answers when done. workerd freezes the clock during pure
// computation, so bench/pqc.ts times each request from outside. Keys are made once per isolate.

import { falconKeygen, falconSign, falconVerify } from "../src/crypto/falcon.ts";
import { type MlDsaLevel, mlDsaKeygen, mlDsaSigningKey, mlDsaVerify, nativeMlDsa } from "../src/crypto/ml-dsa.ts";

// About the size of a leaf TBSCertificate; fixed bytes (random values are not allowed at global scope).
const MESSAGE = new Uint8Array(1024).map((_, i) => (i * 131 + 7) & 0xff);

type Op = { sign(): Promise<unknown>; verify(): Promise<boolean> };
const ops = new Map<string, Promise<Op>>();

async function webCrypto(gen: SubtleCryptoGenerateKeyAlgorithm, sign: SubtleCryptoSignAlgorithm): Promise<Op> {
  const keys = (await crypto.subtle.generateKey(gen, false, ["sign", "verify"])) as CryptoKeyPair;
  const sig = await crypto.subtle.sign(sign, keys.privateKey, MESSAGE);
  return { sign: () => crypto.subtle.sign(sign, keys.privateKey, MESSAGE), verify: () => crypto.subtle.verify(sign, keys.publicKey, sig, MESSAGE) };
}

async function mlDsa(level: MlDsaLevel): Promise<Op> {
  const pair = mlDsaKeygen(level);
  const key = await mlDsaSigningKey(level, pair.seed);
  const sig = await key.sign(MESSAGE);
  return { sign: () => key.sign(MESSAGE), verify: () => mlDsaVerify(level, pair.publicKey, MESSAGE, sig) };
}

async function falcon(): Promise<Op> {
  const pair = falconKeygen();
  const sig = falconSign(pair.secretKey, MESSAGE);
  return { sign: async () => falconSign(pair.secretKey, MESSAGE), verify: async () => falconVerify(pair.publicKey, MESSAGE, sig) };
}

const MAKERS: Record<string, () => Promise<Op>> = {
  "ECDSA P-256": () => webCrypto({ name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" }),
  Ed25519: () => webCrypto({ name: "Ed25519" }, { name: "Ed25519" }),
  "ML-DSA-44": () => mlDsa("ML-DSA-44"),
  "ML-DSA-65": () => mlDsa("ML-DSA-65"),
  "ML-DSA-87": () => mlDsa("ML-DSA-87"),
  "FALCON-1024": falcon,
};

export default {
  async fetch(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === "/native") return Response.json({ nativeMlDsa: await nativeMlDsa() });
    const alg = url.searchParams.get("alg") ?? "";
    const op = url.searchParams.get("op");
    const n = Number(url.searchParams.get("n") ?? "1");
    const make = MAKERS[alg];
    if (!make || (op !== "sign" && op !== "verify" && op !== "setup") || !(n >= 0)) return new Response("bad request", { status: 400 });
    let o = ops.get(alg);
    if (!o) ops.set(alg, (o = make()));
    const impl = await o;
    if (op === "setup") return new Response("ok");
    for (let i = 0; i < n; i++) {
      if (op === "sign") await impl.sign();
      else if (!(await impl.verify())) return new Response("verification failed", { status: 500 });
    }
    return new Response("ok");
  },
};
