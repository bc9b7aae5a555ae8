// Certificates for the CT benchmark: a throwaway root, configured as one of the log's extra roots
// (CT_EXTRA_ROOTS, an ordinary deployment setting), and many distinct leaves under it. Real issued
// certificates are already logged by the CA itself (precertificate and final certificate), so
// resubmitting them would only measure deduplication; these leaves are new to the log.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { x509 } from "../../src/x509/peculiar.ts";

export interface BenchRoot {
  pem: string;
  der: Uint8Array;
  leaf(i: number): Promise<Uint8Array>;
}

const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

export async function benchRoot(): Promise<BenchRoot> {
  const rootKeys = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=TrustChain bench:ct root",
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 30 * 86_400_000),
    keys: rootKeys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  // One subscriber key for every leaf: the log does not care, and keygen would dominate setup.
  const leafKeys = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  return {
    pem: root.toString("pem"),
    der: new Uint8Array(root.rawData),
    async leaf(i) {
      const name = `leaf${i}.ct-bench.example`;
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: (0x10000000 + i).toString(16) + Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join(""),
        subject: `CN=${name}`,
        issuer: root.subject,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 86_400_000),
        publicKey: leafKeys.publicKey,
        signingKey: rootKeys.privateKey,
        signingAlgorithm: alg,
        extensions: [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: name }])],
      });
      return new Uint8Array(cert.rawData);
    },
  };
}

/**
 * A root and `count` distinct leaves under it; with CT_BENCH_FIXTURES=<file> they are kept in
 * that file and reused while it holds enough (making them takes about 2 ms each).
 */
export async function benchFixtures(count: number): Promise<{ root: { pem: string; der: Uint8Array }; leaves: Uint8Array[] }> {
  const file = process.env.CT_BENCH_FIXTURES;
  if (file && existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, "utf8")) as { pem: string; der: string; leaves: string[] };
    if (saved.leaves.length >= count) {
      return { root: { pem: saved.pem, der: Buffer.from(saved.der, "base64") }, leaves: saved.leaves.slice(0, count).map((l) => Buffer.from(l, "base64")) };
    }
  }
  const root = await benchRoot();
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < count; i++) leaves.push(await root.leaf(i));
  if (file) writeFileSync(file, JSON.stringify({ pem: root.pem, der: Buffer.from(root.der).toString("base64"), leaves: leaves.map((l) => Buffer.from(l).toString("base64")) }));
  return { root: { pem: root.pem, der: root.der }, leaves };
}
