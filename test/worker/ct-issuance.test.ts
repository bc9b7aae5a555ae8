// The CA logs what it issues: every certificate carries an SCT from our log for its
// precertificate, the SCT verifies over the certificate's own TBS minus the SCT list, and the
// log holds that precertificate (and the final certificate) at the indices the index records.

import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { Certificate, Extensions } from "@peculiar/asn1-x509";
import { describe, expect, it } from "vitest";
import { fromBase64, sha256, toBytes } from "../../src/encoding/bytes.ts";
import { OID_SCT_LIST, decodeMerkleTreeLeaf, decodeSct, decodeSctList, parseLeafIndex, verifySct } from "../../src/ct/structures.ts";
import { parsePem } from "../../src/encoding/pem.ts";
import { LOG, logPublicKey } from "../support/ct-helpers.ts";
import { call, makeCsr, mintToken } from "../support/worker-helpers.ts";

describe("issuance logs to our CT log", () => {
  it("embeds a verifying SCT whose leaf index holds the precertificate", async () => {
    const token = await mintToken("issuer");
    const csr = await makeCsr("p256", ["logged.example.com", "www.logged.example.com"]);
    const res = await call("/api/v1/certificates", { method: "POST", body: csr.der, token });
    const issued = (await res.json()) as { serial: string; chain: string };
    expect(res.status).toBe(201);
    const [leafDer, issuerDer] = parsePem(issued.chain)!.map((b) => b.der);

    const cert = AsnConvert.parse(leafDer!, Certificate);
    const exts = cert.tbsCertificate.extensions!;
    const sctExt = exts.find((e) => e.extnID === OID_SCT_LIST);
    expect(sctExt).toBeDefined();
    const scts = decodeSctList(new Uint8Array(AsnConvert.parse(sctExt!.extnValue.buffer, OctetString).buffer)).map(decodeSct);
    expect(scts).toHaveLength(1);
    const sct = scts[0]!;

    // RFC 6962 §3.2: the precertificate TBS is the certificate's TBS without the SCT list.
    cert.tbsCertificate.extensions = new Extensions(exts.filter((e) => e.extnID !== OID_SCT_LIST));
    const tbs = toBytes(AsnConvert.serialize(cert.tbsCertificate));
    const issuerSpki = toBytes(AsnConvert.serialize(AsnConvert.parse(issuerDer!, Certificate).tbsCertificate.subjectPublicKeyInfo));
    const entry = { type: "precert" as const, issuerKeyHash: await sha256(issuerSpki), tbsCertificate: tbs };
    const log = await logPublicKey();
    expect(sct.logId).toEqual(log.logId);
    expect(await verifySct(log.key, sct, entry)).toBe(true);

    const index = parseLeafIndex(sct.extensions)!;
    const got = (await (await call(`/${LOG}/ct/v1/get-entries?start=${index}&end=${index}`)).json()) as { entries: { leaf_input: string }[] };
    const leaf = decodeMerkleTreeLeaf(fromBase64(got.entries[0]!.leaf_input)!);
    expect(leaf.entry.type).toBe("precert");
    if (leaf.entry.type === "precert") expect(leaf.entry.tbsCertificate).toEqual(tbs);
    expect(leaf.timestamp).toBe(sct.timestamp);

    // The final certificate is logged right after it is returned.
    let record: { ct: { precertificate_leaf_index: number; certificate_leaf_index: number | null } };
    for (let i = 0; ; i++) {
      record = (await (await call(`/api/v1/certificates/${issued.serial}`, { token })).json()) as typeof record;
      if (record.ct.certificate_leaf_index !== null || i > 50) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(record.ct.precertificate_leaf_index).toBe(index);
    const finalIndex = record.ct.certificate_leaf_index!;
    expect(finalIndex).not.toBeNull();
    const fin = (await (await call(`/${LOG}/ct/v1/get-entries?start=${finalIndex}&end=${finalIndex}`)).json()) as { entries: { leaf_input: string }[] };
    const finalLeaf = decodeMerkleTreeLeaf(fromBase64(fin.entries[0]!.leaf_input)!);
    expect(finalLeaf.entry.type).toBe("x509");
    if (finalLeaf.entry.type === "x509") expect(finalLeaf.entry.certificate).toEqual(leafDer);
  });
});
