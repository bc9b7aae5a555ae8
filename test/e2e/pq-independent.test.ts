// The post-quantum hierarchy checked by implementations we did not write: Node 24's node:crypto
// (OpenSSL 3.5) verifies every certificate of the ML-DSA chain and the ML-DSA CRLs, and liboqs
// (Open Quantum Safe, compiled to WebAssembly) verifies our ML-DSA and FALCON-1024 signatures:
// raw ones, a real validator's FALCON-1024 vote half from a served quorum certificate, and the
// FALCON-1024 lines of the CT log's and the audit log's checkpoints with their published keys.

import { execFileSync } from "node:child_process";
import { createHash, createPublicKey, verify as nodeVerify } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createFalcon1024, createMLDSA44, createMLDSA65, createMLDSA87 } from "@oqs/liboqs-js";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate } from "@peculiar/asn1-x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { falconKeygen, falconSign } from "../../src/crypto/falcon.ts";
import { mlDsaKeygen, mlDsaSigningKey } from "../../src/crypto/ml-dsa.ts";
import { type SignedVote, type ValidatorIdentity, voteBatchStatement, voteBytes } from "../../src/consensus/vote.ts";
import { parsePem } from "../../src/encoding/pem.ts";
import { type LocalTrustChain, startLocal } from "../support/e2e.ts";
import { node24 } from "../support/node24.ts";
import { mlDsaCsr, signedParts } from "../support/pq-helpers.ts";
import { LOG_NAME } from "../support/ct-e2e.ts";

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

describe("liboqs on FALCON-1024 signatures TrustChain publishes", () => {
  it("verifies a real validator's FALCON-1024 vote half from a served quorum certificate (and node:crypto its Ed25519 half)", async () => {
    const res = await fetch(`${tc.url}/api/v1/certificates/${leaves[1]!.serial}/quorum`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const got = (await res.json()) as { quorum_certificate: { votes: SignedVote[] }; validator_keys: ValidatorIdentity[] };
    const falconVotes = got.quorum_certificate.votes.filter((v) => v.signatures[0]!.alg === "Ed25519+FALCON-1024");
    // Validators 1 and 3 sign with FALCON-1024 by default; any three voters include one of them.
    expect(falconVotes.length).toBeGreaterThanOrEqual(1);
    const oqs = await createFalcon1024();
    for (const vote of falconVotes) {
      const key = got.validator_keys.find((k) => k.id === vote.body.validator)!.hybrid!;
      expect(key.alg).toBe("Ed25519+FALCON-1024");
      // Hybrid encoding (README "Post-quantum"): key = 0x02 ‖ Ed25519 (32) ‖ FALCON-1024 (1793);
      // signature = 0x02 ‖ Ed25519 (64) ‖ FALCON-1024; both sign "trustchain/hybrid-signature/v1\0" ‖ 0x02 ‖ the signed statement.
      // liboqs takes plain Uint8Arrays, not Buffers.
      const pub = new Uint8Array(Buffer.from(key.publicKey, "base64url"));
      const sig = new Uint8Array(Buffer.from(vote.signatures[0]!.sig, "base64url"));
      expect([pub[0], sig[0], pub.length]).toEqual([0x02, 0x02, 1 + 32 + 1793]);
      // Votes are batch-signed (README "Consensus"): the signature covers the batch statement over
      // the RFC 6962 Merkle root of the batch's vote leaves, rebuilt here with node:crypto from the
      // vote and its inclusion proof (RFC 9162 §2.1.3.2).
      const batch = vote.signatures[0]!.batch!;
      const sha = (...parts: Uint8Array[]) => new Uint8Array(createHash("sha256").update(Buffer.concat(parts)).digest());
      let root = sha(Buffer.of(0x00), voteBytes(vote.body));
      let [fn, sn] = [batch.index, batch.size - 1];
      for (const p of batch.path.map((x) => new Uint8Array(Buffer.from(x, "base64url")))) {
        if (fn % 2 === 1 || fn === sn) {
          root = sha(Buffer.of(0x01), p, root);
          while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn / 2, Math.floor(sn / 2)];
        } else root = sha(Buffer.of(0x01), root, p);
        [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
      }
      expect(sn).toBe(0);
      const signed = new Uint8Array(Buffer.concat([Buffer.from("trustchain/hybrid-signature/v1\0"), Buffer.of(0x02), voteBatchStatement(root, batch.size)]));
      const falconSig = sig.subarray(65);
      expect(oqs.verify(signed, falconSig, pub.subarray(33)), vote.body.validator).toBe(true);
      const ed = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(pub.subarray(1, 33)).toString("base64url") }, format: "jwk" });
      expect(nodeVerify(null, signed, ed, sig.subarray(1, 65))).toBe(true);
      // A flipped byte of the FALCON-1024 half, or of the signed vote, does not verify.
      const bad = falconSig.slice();
      bad[bad.length - 2]! ^= 0x01;
      expect(oqs.verify(signed, bad, pub.subarray(33))).toBe(false);
      expect(oqs.verify(new Uint8Array([...signed, 0x20]), falconSig, pub.subarray(33))).toBe(false);
    }
  });

  for (const log of [
    { what: "the CT log's checkpoint", checkpoint: () => `${tc.url}/${LOG_NAME}/checkpoint`, key: async () => ((await (await fetch(`${tc.url}/${LOG_NAME}/log.v3.json`)).json()) as { falcon1024_cosignature_key: string }).falcon1024_cosignature_key },
    { what: "the audit log's checkpoint", checkpoint: () => `${tc.url}/audit/checkpoint`, key: async () => ((await (await fetch(`${tc.url}/audit/key`)).json()) as { falcon1024_cosignature_key: string }).falcon1024_cosignature_key },
  ]) {
    it(`verifies the FALCON-1024 line of ${log.what} over the exact cosigned_message, with the published key`, async () => {
      // vkey = <name>+<key ID>+base64(0xff ‖ "trustchain/falcon-1024-cosignature/v1\n" ‖ 1793-byte key).
      const [name, keyIdHex, ...rest] = (await log.key()).split("+") as [string, string, ...string[]];
      const b64 = rest.join("+"); // base64 has "+" of its own
      const vkey = Buffer.from(b64, "base64");
      const id = Buffer.from("trustchain/falcon-1024-cosignature/v1\n");
      expect(vkey[0]).toBe(0xff);
      expect(vkey.subarray(1, 1 + id.length).equals(id)).toBe(true);
      const publicKey = new Uint8Array(vkey.subarray(1 + id.length));
      expect(publicKey.length).toBe(1793);
      expect(createHash("sha256").update(Buffer.concat([Buffer.from(`${name}\n`), vkey])).digest().subarray(0, 4).toString("hex")).toBe(keyIdHex);
      // The FALCON-1024 line follows the classical ones in a follow-up publication: wait for it.
      let line: Buffer | undefined;
      let text = "";
      for (let i = 0; i < 100 && !line; i++) {
        const note = await (await fetch(log.checkpoint())).text();
        text = note.slice(0, note.lastIndexOf("\n\n") + 1);
        line = note
          .slice(note.lastIndexOf("\n\n") + 2)
          .split("\n")
          .filter((l) => l.startsWith(`\u2014 ${name} `))
          .map((l) => Buffer.from(l.split(" ")[2]!, "base64"))
          .find((raw) => raw.subarray(0, 4).toString("hex") === keyIdHex);
        if (!line) await new Promise((r) => setTimeout(r, 100));
      }
      expect(line, "the checkpoint carries the FALCON-1024 line").toBeDefined();
      // signature = u64 timestamp ‖ FALCON-1024 signature over the tlog-cosignature cosigned_message.
      const timestamp = line!.subarray(4, 12);
      const [origin, size, root] = text.split("\n") as [string, string, string];
      const u64 = (n: bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(n); return b; };
      const message = Buffer.concat([
        Buffer.from("subtree/v1\n\0"),
        Buffer.of(Buffer.byteLength(name)), Buffer.from(name),
        timestamp,
        Buffer.of(Buffer.byteLength(origin)), Buffer.from(origin),
        u64(0n), u64(BigInt(size)), Buffer.from(root, "base64"),
      ]);
      const oqs = await createFalcon1024();
      const signature = new Uint8Array(line!.subarray(12));
      expect(oqs.verify(new Uint8Array(message), signature, publicKey)).toBe(true);
      const otherSize = Buffer.concat([message.subarray(0, message.length - 40), u64(BigInt(size) + 1n), message.subarray(message.length - 32)]);
      expect(oqs.verify(new Uint8Array(otherSize), signature, publicKey)).toBe(false);
    });
  }
});
