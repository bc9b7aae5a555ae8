// The SCT our CA embeds in every certificate, checked without the project's CT code: the RFC 6962
// §3.2 signed struct for the precertificate entry is rebuilt here from the issued certificate
// (its TBS minus the SCT list, the issuer's SPKI hash from node:crypto) and openssl verifies the
// log's ECDSA signature with the key published in log.v3.json.

import { X509Certificate, createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { Certificate, Extensions } from "@peculiar/asn1-x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOG_NAME, type LogV3, issueViaApi, writeLogKeyPem } from "../support/ct-e2e.ts";
import { type LocalTrustChain, openssl, startLocal } from "../support/e2e.ts";

const SCT_LIST = "1.3.6.1.4.1.11129.2.4.2";
let tc: LocalTrustChain;

beforeAll(async () => {
  tc = await startLocal("e2e-embedded-sct");
});
afterAll(async () => {
  await tc?.stop();
});

function u(n: number, bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  b.writeUIntBE(n, 0, bytes);
  return b;
}

describe("embedded SCTs", () => {
  it("verify with openssl over the precertificate entry rebuilt from the certificate", async () => {
    const dir = tc.persistTo;
    const token = tc.token("issuer");
    const info = (await (await fetch(`${tc.url}/${LOG_NAME}/log.v3.json`)).json()) as LogV3;
    const keyPem = writeLogKeyPem(info, dir);
    for (const name of ["embedded-a.example.com", "embedded-b.example.com"]) {
      const issued = await issueViaApi(tc.url, token, dir, name);
      const cert = AsnConvert.parse(issued.leaf, Certificate);
      const exts = cert.tbsCertificate.extensions!;
      const ext = exts.find((e) => e.extnID === SCT_LIST)!;
      expect(ext).toBeDefined();
      const list = Buffer.from(AsnConvert.parse(ext.extnValue.buffer, OctetString).buffer);
      expect(list.readUInt16BE(0)).toBe(list.length - 2);
      const sct = list.subarray(4, 4 + list.readUInt16BE(2));
      // SCT v1: version, log id, timestamp, extensions, then DigitallySigned (hash 4, sig 3).
      expect(sct[0]).toBe(0);
      expect(sct.subarray(1, 33).equals(Buffer.from(info.log_id, "base64"))).toBe(true);
      const timestamp = sct.subarray(33, 41);
      const extLen = sct.readUInt16BE(41);
      const ctExtensions = sct.subarray(43, 43 + extLen);
      const ds = sct.subarray(43 + extLen);
      expect([ds[0], ds[1]]).toEqual([4, 3]);
      const signature = ds.subarray(4, 4 + ds.readUInt16BE(2));

      cert.tbsCertificate.extensions = new Extensions(exts.filter((e) => e.extnID !== SCT_LIST));
      const tbs = Buffer.from(AsnConvert.serialize(cert.tbsCertificate));
      const issuerSpki = new X509Certificate(issued.intermediate).publicKey.export({ type: "spki", format: "der" });
      const signed = Buffer.concat([
        Buffer.from([0, 0]), // sct_version v1, signature_type certificate_timestamp
        timestamp,
        u(1, 2), // precert_entry
        createHash("sha256").update(issuerSpki).digest(),
        u(tbs.length, 3),
        tbs,
        u(ctExtensions.length, 2),
        ctExtensions,
      ]);
      writeFileSync(join(dir, `${name}.signed`), signed);
      writeFileSync(join(dir, `${name}.sig`), signature);
      const ok = openssl(["dgst", "-sha256", "-verify", keyPem, "-signature", join(dir, `${name}.sig`), join(dir, `${name}.signed`)]);
      expect(ok.out.trim()).toBe("Verified OK");
      // A different TBS (one byte) must not verify: the check can fail.
      signed[signed.length - ctExtensions.length - 3] ^= 1;
      writeFileSync(join(dir, `${name}.signed`), signed);
      expect(openssl(["dgst", "-sha256", "-verify", keyPem, "-signature", join(dir, `${name}.sig`), join(dir, `${name}.signed`)]).status).not.toBe(0);
    }
  });
});
