import { describe, expect, it } from "vitest";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate, CertificateList } from "@peculiar/asn1-x509";
import { ML_DSA_OID } from "../../src/crypto/ml-dsa.ts";
import { parseChainCert, verifyChain } from "../../src/ct/chain.ts";
import { call, makeCsr, mintToken } from "../support/worker-helpers.ts";
import { mlDsaCsr, signedParts, spkiDerOf, verifiesWith } from "../support/pq-helpers.ts";
import { type CaJson, derOf, ocspStatus } from "../support/ca-helpers.ts";

const der = derOf;

async function pqCa() {
  const ca = (await (await call("/api/v1/ca")).json()) as CaJson;
  return { rootId: ca.pq.root.id, issuingId: ca.pq.intermediates[0]!.id, root: der(ca.pq.root.pem), issuing: der(ca.pq.intermediates[0]!.pem) };
}

async function issue(body: string, token: string, type = "application/json", query = ""): Promise<{ status: number; json: Record<string, string> }> {
  const res = await call(`/api/v1/certificates${query}`, { method: "POST", body, token, headers: { "content-type": type } });
  return { status: res.status, json: (await res.json()) as Record<string, string> };
}

/** Our own chain verifier (the one the CT log uses) from leaf to the ML-DSA root. */
async function chainVerifies(leaf: Uint8Array, issuing: Uint8Array, root: Uint8Array): Promise<boolean> {
  const parsed = await Promise.all([leaf, issuing, root].map((d) => parseChainCert(d)));
  if (parsed.some((p) => typeof p === "string")) return false;
  const [l, i, r] = parsed as Exclude<(typeof parsed)[number], string>[];
  return (await verifyChain([l!, i!], [r!], false)).ok && (await verifiesWith(root, spkiDerOf(root)));
}

function flip(b: Uint8Array, i: number): Uint8Array {
  const c = new Uint8Array(b);
  c[i] = c[i]! ^ 0x01;
  return c;
}

describe("the ML-DSA hierarchy", () => {
  it("is published beside the classical one with RFC 9881 identifiers (parameters absent)", async () => {
    const { root, issuing } = await pqCa();
    const r = AsnConvert.parse(root, Certificate);
    const i = AsnConvert.parse(issuing, Certificate);
    expect(r.signatureAlgorithm.algorithm).toBe(ML_DSA_OID["ML-DSA-87"]);
    expect(r.signatureAlgorithm.parameters).toBeUndefined();
    expect(r.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm).toBe(ML_DSA_OID["ML-DSA-87"]);
    expect(r.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey.byteLength).toBe(2592);
    expect(i.signatureAlgorithm.algorithm).toBe(ML_DSA_OID["ML-DSA-87"]);
    expect(i.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm).toBe(ML_DSA_OID["ML-DSA-65"]);
    expect(i.tbsCertificate.subjectPublicKeyInfo.algorithm.parameters).toBeUndefined();
    // The signatureAlgorithm is exactly SEQUENCE { OID }: 30 0b 06 09 <id-ml-dsa-87>, no NULL.
    const tail = issuing.subarray(signedParts(issuing).sigOffset - 4 - 13 - 4, signedParts(issuing).sigOffset);
    expect(Buffer.from(tail).toString("hex")).toContain("300b0609608648016503040313");
    const res = await call(`/ca/${(await pqCa()).issuingId}.der`);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(issuing);
  });

  it("issues an ML-DSA-65-signed leaf for an ML-DSA CSR (JSON hierarchy field) that verifies end to end and fails on any tampering", async () => {
    const token = await mintToken("issuer");
    const csr = await mlDsaCsr("ML-DSA-44", ["pq.example.com"]);
    const res = await issue(JSON.stringify({ csr: csr.pem, hierarchy: "pq" }), token);
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    const { root, issuing, issuingId } = await pqCa();
    expect(res.json.issuer_id).toBe(issuingId);
    const leaf = der(res.json.certificate!);
    const cert = AsnConvert.parse(leaf, Certificate);
    expect(cert.signatureAlgorithm.algorithm).toBe(ML_DSA_OID["ML-DSA-65"]);
    expect(cert.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm).toBe(ML_DSA_OID["ML-DSA-44"]);
    expect(new Uint8Array(cert.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey)).toEqual(csr.publicKey);
    // Logged in our CT log: the embedded SCT list is there.
    expect(cert.tbsCertificate.extensions!.some((e) => e.extnID === "1.3.6.1.4.1.11129.2.4.2")).toBe(true);
    expect(res.json.chain).toBe(res.json.certificate + (await (await call("/api/v1/ca")).json() as CaJson).pq.intermediates[0]!.pem);

    expect(await chainVerifies(leaf, issuing, root)).toBe(true);
    // Any changed byte of a TBS or a signature, in any certificate of the chain, breaks it.
    for (const [name, certDer] of [["leaf", leaf], ["issuing", issuing], ["root", root]] as const) {
      const parts = signedParts(certDer);
      const positions = new Set<number>();
      for (let k = 0; k < 24; k++) positions.add(4 + Math.floor((k / 24) * (parts.tbs.length - 4))); // spread over the TBS
      for (let k = 0; k < 8; k++) positions.add(parts.sigOffset + Math.floor((k / 8) * parts.signature.length)); // and over the signature
      for (const pos of positions) {
        const bad = flip(certDer, pos);
        const chain = name === "leaf" ? [bad, issuing, root] : name === "issuing" ? [leaf, bad, root] : [leaf, issuing, bad];
        expect(await chainVerifies(chain[0]!, chain[1]!, chain[2]!), `${name} byte ${pos}`).toBe(false);
      }
    }
  });

  it("issues for a classical key on the PQ hierarchy (?hierarchy=pq) and for an ML-DSA key on the classical one", async () => {
    const token = await mintToken("issuer");
    const ec = await makeCsr("p256", ["ec-on-pq.example.com"]);
    const a = await issue(ec.pem, token, "application/x-pem-file", "?hierarchy=pq");
    expect(a.status, JSON.stringify(a.json)).toBe(201);
    const { root, issuing } = await pqCa();
    expect(await chainVerifies(der(a.json.certificate!), issuing, root)).toBe(true);

    const ml = await mlDsaCsr("ML-DSA-87", ["mldsa-on-ecdsa.example.com"]);
    const b = await issue(JSON.stringify({ csr: ml.pem }), token);
    expect(b.status, JSON.stringify(b.json)).toBe(201);
    const cert = AsnConvert.parse(der(b.json.certificate!), Certificate);
    expect(cert.signatureAlgorithm.algorithm).toBe("1.2.840.10045.4.3.2");
    expect(cert.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm).toBe(ML_DSA_OID["ML-DSA-87"]);
  });

  it("refuses an ML-DSA CSR whose signature does not verify, and an unknown hierarchy", async () => {
    const token = await mintToken("issuer");
    const bad = await mlDsaCsr("ML-DSA-65", ["bad.example.com"], { corruptSignature: true });
    const r = await issue(JSON.stringify({ csr: bad.pem, hierarchy: "pq" }), token);
    expect(r.status).toBe(400);
    expect(r.json.type).toBe("urn:ietf:params:acme:error:badCSR");
    const good = await mlDsaCsr("ML-DSA-65", ["good.example.com"]);
    const u = await issue(JSON.stringify({ csr: good.pem, hierarchy: "quantum" }), token);
    expect(u.status).toBe(400);
    expect(u.json.detail).toContain("hierarchy");
  });

  it("revocation: the PQ issuer's CRL and OCSP responses are ML-DSA-65-signed", async () => {
    const token = await mintToken("admin");
    const csr = await mlDsaCsr("ML-DSA-65", ["revoked-pq.example.com"]);
    const issued = await issue(JSON.stringify({ csr: csr.pem, hierarchy: "pq" }), token);
    expect(issued.status).toBe(201);
    const rev = await call(`/api/v1/certificates/${issued.json.serial}/revoke`, { method: "POST", token, body: JSON.stringify({ reason: "keyCompromise" }) });
    expect(rev.status).toBe(200);

    const { issuing, issuingId } = await pqCa();
    const crlRes = await call(`/crl/${issuingId}.crl`);
    expect(crlRes.status).toBe(200);
    const crlDer = new Uint8Array(await crlRes.arrayBuffer());
    const crl = AsnConvert.parse(crlDer, CertificateList);
    expect(crl.signatureAlgorithm.algorithm).toBe(ML_DSA_OID["ML-DSA-65"]);
    const serials = (crl.tbsCertList.revokedCertificates ?? []).map((r) => Buffer.from(r.userCertificate).toString("hex").replace(/^00/, ""));
    expect(serials).toContain(issued.json.serial);
    expect(await verifiesWith(crlDer, spkiDerOf(issuing))).toBe(true);
    expect(await verifiesWith(flip(crlDer, 40), spkiDerOf(issuing))).toBe(false);

    // OCSP: CertID by SHA-1 of the issuer's name and key; the response is signed by the PQ issuer.
    expect(await ocspStatus(issuing, issued.json.serial!)).toEqual({ status: "revoked", signedByIssuer: true, signatureAlgorithm: ML_DSA_OID["ML-DSA-65"] });
  });
});
