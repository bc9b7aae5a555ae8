// The post-quantum hierarchy checked by implementations we did not write: Node 24's node:crypto
// (OpenSSL 3.5) verifies every certificate of the ML-DSA chain and the ML-DSA CRLs, and liboqs
// (Open Quantum Safe, compiled to WebAssembly) verifies our ML-DSA and FALCON-1024 signatures.

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createFalcon1024, createMLDSA44, createMLDSA65, createMLDSA87 } from "@oqs/liboqs-js";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate } from "@peculiar/asn1-x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { falconKeygen, falconSign } from "../../src/crypto/falcon.ts";
import { mlDsaKeygen, mlDsaSigningKey } from "../../src/crypto/ml-dsa.ts";
import { parsePem } from "../../src/encoding/pem.ts";
import { type LocalTrustChain, startLocal } from "../support/e2e.ts";
import { node24 } from "../support/node24.ts";
import { mlDsaCsr, signedParts } from "../support/pq-helpers.ts";

let tc: LocalTrustChain;
let node: string;
let token: string;
let dir: string;
let pq: { root: { id: string; pem: string }; intermediates: { id: string; pem: string }[] };
const leaves: { file: string; pem: string; serial: string }[] = [];

const der = (pem: string) => parsePem(pem)![0]!.der;

async function issuePq(body: string, contentType: string, query: string, file: string) {
  const res = await fetch(`${tc.url}/api/v1/certificates${query}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": contentType }, body });
  const json = (await res.json()) as { certificate: string; serial: string };
  expect(res.status, JSON.stringify(json)).toBe(201);
  writeFileSync(join(dir, file), json.certificate);
  leaves.push({ file: join(dir, file), pem: json.certificate, serial: json.serial });
}

beforeAll(async () => {
  node = node24();
  tc = await startLocal("e2e-pq");
  dir = tc.persistTo;
  token = tc.token("admin");
  pq = ((await (await fetch(`${tc.url}/api/v1/ca`)).json()) as { pq: typeof pq }).pq;
  writeFileSync(join(dir, "pq-root.pem"), pq.root.pem);
  writeFileSync(join(dir, "pq-issuing.pem"), pq.intermediates[0]!.pem);
  const ml = await mlDsaCsr("ML-DSA-65", ["pq-e2e.example.com"]);
  await issuePq(JSON.stringify({ csr: ml.pem, hierarchy: "pq" }), "application/json", "", "leaf-mldsa.pem");
  const ml44 = await mlDsaCsr("ML-DSA-44", ["pq44-e2e.example.com"]);
  await issuePq(ml44.pem, "application/x-pem-file", "?hierarchy=pq", "leaf-mldsa44.pem");
  const ec = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const { x509 } = await import("../../src/x509/peculiar.ts");
  const ecCsr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: "CN=ec-pq-e2e.example.com",
    keys: ec,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "ec-pq-e2e.example.com" }])],
  });
  await issuePq(JSON.stringify({ csr: ecCsr.toString("pem"), hierarchy: "pq" }), "application/json", "", "leaf-ec.pem");
  // A revocation, so the issuing CA's CRL has an entry.
  const rev = await fetch(`${tc.url}/api/v1/certificates/${leaves[0]!.serial}/revoke`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: '{"reason":1}' });
  expect(rev.status).toBe(200);
  for (const ca of [pq.root, pq.intermediates[0]!]) {
    const crl = await fetch(`${tc.url}/crl/${ca.id}.crl`);
    expect(crl.status).toBe(200);
    writeFileSync(join(dir, `${ca.id}.crl`), new Uint8Array(await crl.arrayBuffer()));
  }
});

afterAll(async () => {
  await tc?.stop();
});

describe("Node 24 node:crypto (OpenSSL 3.5)", () => {
  it("verifies every certificate of the ML-DSA chain and both ML-DSA CRLs", () => {
    const out = execFileSync(node, [
      join(import.meta.dirname, "pq-verify.node24.mjs"),
      join(dir, "pq-root.pem"),
      join(dir, "pq-issuing.pem"),
      ...leaves.map((l) => l.file),
      "--crl", join(dir, `${pq.root.id}.crl`), join(dir, "pq-root.pem"),
      "--crl", join(dir, `${pq.intermediates[0]!.id}.crl`), join(dir, "pq-issuing.pem"),
    ], { encoding: "utf8" });
    const report = JSON.parse(out) as { openssl: string; results: { what: string; ok: boolean; detail: string }[] };
    expect(report.openssl.startsWith("3.5")).toBe(true);
    expect(report.results).toHaveLength(2 + leaves.length + 2);
    for (const r of report.results) expect(r.ok, `${r.what} (${r.detail})`).toBe(true);
    expect(report.results.map((r) => r.detail)).toEqual(["ml-dsa-87", "ml-dsa-65", "ml-dsa-65", "ml-dsa-44", "ec", "ml-dsa-87", "ml-dsa-65"]);
  });

  it("rejects a leaf whose signature was altered", () => {
    const leafDer = new Uint8Array(der(leaves[2]!.pem));
    leafDer[signedParts(leafDer).sigOffset + 100]! ^= 1;
    const bad = join(dir, "leaf-tampered.pem");
    writeFileSync(bad, `-----BEGIN CERTIFICATE-----\n${Buffer.from(leafDer).toString("base64")}\n-----END CERTIFICATE-----\n`);
    const out = execFileSync(node, [join(import.meta.dirname, "pq-verify.node24.mjs"), join(dir, "pq-root.pem"), join(dir, "pq-issuing.pem"), bad], { encoding: "utf8" });
    const report = JSON.parse(out) as { results: { ok: boolean }[] };
    expect(report.results.map((r) => r.ok)).toEqual([true, true, false]);
  });
});

describe("native ML-DSA (src/crypto/ml-dsa.ts under Node 24's WebCrypto)", () => {
  it("takes the native path where the runtime has ML-DSA, interoperable with @noble/post-quantum", () => {
    const out = execFileSync(node, [join(import.meta.dirname, "pq-native.node24.ts")], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    expect(JSON.parse(out)).toEqual({ native: true, nobleVerifiesNative: true, nobleVerifiesNativeCtx: true, nativeVerifiesNoble: true, nativeRejectsTampered: true });
  });
});

describe("liboqs (@oqs/liboqs-js)", () => {
  it("verifies the ML-DSA-87 and ML-DSA-65 signatures of the issued chain", async () => {
    const spkiKey = (pem: string) => new Uint8Array(AsnConvert.parse(der(pem), Certificate).tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
    const mldsa87 = await createMLDSA87();
    const mldsa65 = await createMLDSA65();
    const root = signedParts(der(pq.root.pem));
    const issuing = signedParts(der(pq.intermediates[0]!.pem));
    expect(mldsa87.verify(root.tbs, root.signature, spkiKey(pq.root.pem))).toBe(true);
    expect(mldsa87.verify(issuing.tbs, issuing.signature, spkiKey(pq.root.pem))).toBe(true);
    for (const leaf of leaves) {
      const p = signedParts(der(leaf.pem));
      expect(mldsa65.verify(p.tbs, p.signature, spkiKey(pq.intermediates[0]!.pem))).toBe(true);
      const bad = new Uint8Array(p.tbs);
      bad[bad.length - 3]! ^= 1;
      expect(mldsa65.verify(bad, p.signature, spkiKey(pq.intermediates[0]!.pem))).toBe(false);
    }
    mldsa87.destroy?.();
    mldsa65.destroy?.();
  });

  it("verifies ML-DSA-44/65/87 and FALCON-1024 signatures made by src/crypto", async () => {
    const msg = new TextEncoder().encode("signed by TrustChain, checked by liboqs");
    for (const [level, create] of [["ML-DSA-44", createMLDSA44], ["ML-DSA-65", createMLDSA65], ["ML-DSA-87", createMLDSA87]] as const) {
      const pair = mlDsaKeygen(level);
      const sig = await (await mlDsaSigningKey(level, pair.seed)).sign(msg);
      const oqs = await create();
      expect(oqs.verify(msg, sig, pair.publicKey), level).toBe(true);
      expect(oqs.verify(msg.subarray(1), sig, pair.publicKey), level).toBe(false);
    }
    const falcon = falconKeygen();
    const fsig = falconSign(falcon.secretKey, msg);
    const oqsFalcon = await createFalcon1024();
    expect(oqsFalcon.verify(msg, fsig, falcon.publicKey)).toBe(true);
    expect(oqsFalcon.verify(msg.subarray(1), fsig, falcon.publicKey)).toBe(false);
  });
});
