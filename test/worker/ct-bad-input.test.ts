// Bad submissions are refused with 400 and a clear message, never a 5xx, and nothing is sequenced.

import { describe, expect, it } from "vitest";
import { toBase64 } from "../../src/encoding/bytes.ts";
import { readChildren, readSingle } from "../../src/encoding/der-reader.ts";
import { tbsParts } from "../../src/ct/precert.ts";
import { x509 } from "../../src/x509/peculiar.ts";
import { LOG, issueChain, precertificateFor, submit } from "../support/ct-helpers.ts";
import { call } from "../support/worker-helpers.ts";

async function treeSize(): Promise<number> {
  const sth = (await (await call(`/${LOG}/ct/v1/get-sth`)).json()) as { tree_size: number };
  return sth.tree_size;
}

function post(kind: string, body: BodyInit): Promise<Response> {
  return call(`/${LOG}/ct/v1/${kind}`, { method: "POST", body, headers: { "content-type": "application/json" } });
}

async function expect400(res: Response, pattern: RegExp): Promise<void> {
  const body = (await res.json()) as { detail: string };
  expect(res.status, body.detail).toBe(400);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(body.detail).toMatch(pattern);
}

async function selfSignedCa(): Promise<x509.X509Certificate> {
  const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=Not Our Root",
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
}

describe("CT log: bad input", () => {
  it("refuses malformed requests with 400 and sequences nothing", async () => {
    const { leaf, intermediate } = await issueChain();
    const { precert } = await precertificateFor(leaf);
    const stranger = await selfSignedCa();
    const before = await treeSize();
    for (const kind of ["add-chain", "add-pre-chain"]) {
      await expect400(await post(kind, "{not json"), /JSON/);
      await expect400(await post(kind, "\xff\xfe"), /JSON/);
      await expect400(await post(kind, JSON.stringify([1, 2])), /chain/);
      await expect400(await post(kind, JSON.stringify({ chain: "abc" })), /chain/);
      await expect400(await post(kind, JSON.stringify({ chain: [] })), /empty/);
      await expect400(await post(kind, JSON.stringify({ chain: ["!!!not base64!!!"] })), /base64/);
      await expect400(await post(kind, JSON.stringify({ chain: [42] })), /base64/);
      await expect400(await post(kind, JSON.stringify({ chain: [toBase64(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]))] })), /certificate/);
      await expect400(await post(kind, JSON.stringify({ chain: Array(11).fill(toBase64(leaf)) })), /more than 10/);
      await expect400(await post(kind, "x".repeat(300 * 1024)), /larger than/);
      // A certificate alone: its issuer is not a root.
      await expect400(await submit(kind as "add-chain", [kind === "add-chain" ? leaf : precert]), /accepted root/);
      // A self-signed root nobody configured.
      await expect400(await submit(kind as "add-chain", [new Uint8Array(stranger.rawData)]), /accepted root/);
      // Chain order reversed.
      await expect400(await submit(kind as "add-chain", [intermediate, leaf]), /./);
    }
    await expect400(await submit("add-chain", [precert, intermediate]), /precertificate/);
    await expect400(await submit("add-pre-chain", [leaf, intermediate]), /poison/);
    expect(await treeSize()).toBe(before);
  });

  it("refuses a chain whose CA certificate carries an unparseable public key with 400, not a 500", async () => {
    // The intermediate's SubjectPublicKeyInfo keeps its DER framing but its BIT STRING becomes an
    // OCTET STRING: the DER reader takes it, the key parser does not. No signature is needed to
    // get this far (names chain and the CA bit is set), so anyone could send it.
    const { leaf, intermediate } = await issueChain();
    const broken = intermediate.slice();
    const tbs = readChildren(readSingle(broken).content)[0]!;
    const bits = readChildren(tbsParts(tbs.raw).subjectPublicKeyInfo.content)[1]!;
    expect(bits.tag).toBe(0x03);
    broken[bits.raw.byteOffset] = 0x04;
    const before = await treeSize();
    const started = Date.now();
    for (const kind of ["add-chain", "add-pre-chain"] as const) await expect400(await submit(kind, [leaf, broken]), /not signed by certificate 1/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await treeSize()).toBe(before);
  });

  it("refuses bad read-API parameters with 400", async () => {
    for (const q of ["get-entries?start=5&end=1", "get-entries?start=x&end=1", "get-entries", "get-sth-consistency?first=2&second=1", "get-sth-consistency?first=1&second=99999999", "get-proof-by-hash?hash=zz&tree_size=1", "get-entry-and-proof?leaf_index=10&tree_size=5", "get-entries?start=99999999&end=99999999"]) {
      const res = await call(`/${LOG}/ct/v1/${q}`);
      expect(res.status, q).toBe(400);
      await res.arrayBuffer();
    }
  });

  it("survives random bytes and random mutations of a valid request (fuzz)", async () => {
    const { leaf, intermediate } = await issueChain();
    const before = await treeSize();
    let seed = 0x2545f491;
    const rand = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    for (let i = 0; i < 40; i++) {
      // The issuer is mutated too (every third case): its key and extensions are read before any
      // signature over them is checked.
      const issuerHit = i % 3 === 2;
      const mutated = (issuerHit ? intermediate : leaf).slice();
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) mutated[Math.floor(rand() * mutated.length)] = Math.floor(rand() * 256);
      const chain = issuerHit ? [leaf, mutated] : [mutated, intermediate];
      const body = i % 4 === 0
        ? String.fromCharCode(...Array.from({ length: 64 }, () => Math.floor(rand() * 256)))
        : JSON.stringify({ chain: chain.map(toBase64) });
      const res = await post(i % 2 ? "add-chain" : "add-pre-chain", body);
      expect(res.status, `case ${i}`).toBeLessThan(500);
      await res.arrayBuffer();
    }
    // A mutation may by chance leave signature and structure intact only if it hit nothing; none
    // of the mutated chains can verify, so nothing was sequenced.
    expect(await treeSize()).toBe(before);
  });
});
