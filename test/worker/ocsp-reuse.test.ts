// The CaSigner answers a repeated nonce-less OCSP request with the response it already signed
// (RFC 5019 §2.2.2), and never past a revocation; a request with a nonce gets its own response.

import { BasicOCSPResponse, OCSPRequest, OCSPResponse, Request, TBSRequest, id_pkix_ocsp_nonce } from "@peculiar/asn1-ocsp";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { Extension } from "@peculiar/asn1-x509";
import { beforeAll, describe, expect, it } from "vitest";
import { type Bytes, toBase64, toBytes } from "../../src/encoding/bytes.ts";
import { caJson, derOf, ocspCertId } from "../support/ca-helpers.ts";
import { json } from "../support/consensus-helpers.ts";
import { issue } from "../support/rotation-helpers.ts";
import { call, mintToken } from "../support/worker-helpers.ts";

let admin: string;
let issuer: string;

beforeAll(async () => {
  admin = await mintToken("admin");
  issuer = await mintToken("issuer");
});

async function request(issuerDer: Uint8Array, serial: string, nonce?: Uint8Array): Promise<Bytes> {
  const extensions = nonce ? [new Extension({ extnID: id_pkix_ocsp_nonce, critical: false, extnValue: new OctetString(AsnConvert.serialize(new OctetString(nonce))) })] : undefined;
  const tbs = new TBSRequest({ requestList: [new Request({ reqCert: await ocspCertId(issuerDer, serial) })], requestExtensions: extensions });
  return toBytes(AsnConvert.serialize(new OCSPRequest({ tbsRequest: tbs })));
}

async function ask(der: Uint8Array, method: "GET" | "POST" = "POST"): Promise<{ bytes: Bytes; status: string; maxAge: string | null }> {
  const r = method === "POST"
    ? await call("/ocsp", { method: "POST", body: der, headers: { "content-type": "application/ocsp-request" } })
    : await call(`/ocsp/${encodeURIComponent(toBase64(der))}`);
  expect(r.status).toBe(200);
  const bytes = new Uint8Array(await r.arrayBuffer());
  const basic = AsnConvert.parse(AsnConvert.parse(bytes, OCSPResponse).responseBytes!.response.buffer, BasicOCSPResponse);
  const st = basic.tbsResponseData.responses[0]!.certStatus;
  return { bytes, status: st.good !== undefined ? "good" : st.revoked ? "revoked" : "unknown", maxAge: r.headers.get("cache-control") };
}

describe("OCSP responses reused for nonce-less requests", () => {
  for (const hierarchy of ["classical", "pq"] as const) {
    it(`${hierarchy}: the same signed response again, until the certificate is revoked`, async () => {
      const ca = await caJson();
      const issuing = derOf((hierarchy === "pq" ? ca.pq.intermediates : ca.intermediates)[0]!.pem);
      const leaf = await issue(issuer, hierarchy, `ocsp-${hierarchy}.example.com`);
      const der = await request(issuing, leaf.serial);

      const first = await ask(der);
      expect(first.status).toBe("good");
      expect(first.maxAge).toBe("public, max-age=3300, no-transform, must-revalidate");
      // Byte for byte the same, signature included, by POST and by GET.
      expect((await ask(der)).bytes).toEqual(first.bytes);
      expect((await ask(der, "GET")).bytes).toEqual(first.bytes);
      // A nonce asks for a response of its own, which echoes it.
      const withNonce = await ask(await request(issuing, leaf.serial, crypto.getRandomValues(new Uint8Array(16))));
      expect(withNonce.status).toBe("good");
      expect(withNonce.bytes).not.toEqual(first.bytes);

      const r = await call(`/api/v1/certificates/${leaf.serial}/revoke`, { method: "POST", token: admin, ...json({ reason: "keyCompromise" }) });
      expect(r.status, await r.clone().text()).toBe(200);
      const after = await ask(der);
      expect(after.status).toBe("revoked");
      expect((await ask(der)).bytes).toEqual(after.bytes);
    });
  }

  it("does not keep an answer of unknown: a certificate may be in the index a moment later", async () => {
    const ca = await caJson();
    const der = await request(derOf(ca.intermediates[0]!.pem), "7fffffffffffffff01");
    const first = await ask(der);
    expect(first.status).toBe("unknown");
    // Signed anew (the signature is randomized ECDSA): not the kept bytes.
    expect((await ask(der)).bytes).not.toEqual(first.bytes);
  });
});
