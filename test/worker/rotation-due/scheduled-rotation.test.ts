// The scheduled handler rotates both issuing CAs when they are due. This project configures
// CA_ROTATE_AFTER_DAYS = 0 for the whole deployment, so the validators, which check a scheduled
// rotation against the published certificates under their own policy (src/ca/rotation.ts,
// publishedRotationDue), agree with the scheduler that the young issuing CAs are due. Where they
// do not agree, nothing rotates (test/worker/ca-rotation.test.ts).

import { beforeAll, describe, expect, it } from "vitest";
import { caJson, crlSerials, derOf, ocspStatus } from "../../support/ca-helpers.ts";
import { spkiDerOf, verifiesWith } from "../../support/pq-helpers.ts";
import { cron, issue, revoke, signedByRoot, subjectCn } from "../../support/rotation-helpers.ts";
import { mintToken } from "../../support/worker-helpers.ts";

let admin: string;
let issuer: string;

beforeAll(async () => {
  admin = await mintToken("admin");
  issuer = await mintToken("issuer");
});

describe("the scheduled handler rotates an issuing CA when the policy says it is due", () => {
  it("rotates both hierarchies once due (CA_ROTATE_AFTER_DAYS = 0); PQ leaves before and after keep their own issuers", async () => {
    const before = await caJson();
    const oldPq = await issue(issuer, "pq", "pq-before.example.com");
    await cron();
    const after = await caJson();

    expect(after.intermediates.map((i) => i.id).slice(1)).toEqual(before.intermediates.map((i) => i.id));
    expect(after.pq.intermediates.map((i) => i.id).slice(1)).toEqual(before.pq.intermediates.map((i) => i.id));
    expect(after.intermediates[0]!.status).toBe("current");
    expect(after.intermediates.slice(1).every((i) => i.status === "retired")).toBe(true);
    expect(subjectCn(derOf(after.intermediates[0]!.pem))).toBe("TrustChain Issuing E2");
    expect(subjectCn(derOf(after.pq.intermediates[0]!.pem))).toBe("TrustChain ML-DSA Issuing M2");
    expect(await signedByRoot(after.intermediates[0]!.pem, after.root)).toBe(true);
    expect(await signedByRoot(after.pq.intermediates[0]!.pem, after.pq.root)).toBe(true);

    const newPq = await issue(issuer, "pq", "pq-after.example.com");
    const [current, retired] = [derOf(after.pq.intermediates[0]!.pem), derOf(after.pq.intermediates[1]!.pem)];
    expect(newPq.issuer_id).toBe(after.pq.intermediates[0]!.id);
    expect(await verifiesWith(derOf(newPq.certificate), spkiDerOf(current))).toBe(true);
    expect(oldPq.issuer_id).toBe(after.pq.intermediates[1]!.id);
    await revoke(admin, oldPq.serial);
    expect(await ocspStatus(retired, oldPq.serial)).toMatchObject({ status: "revoked", signedByIssuer: true, signatureAlgorithm: "2.16.840.1.101.3.4.3.18" });
    expect(await ocspStatus(current, newPq.serial)).toMatchObject({ status: "good", signedByIssuer: true });
    expect((await crlSerials(oldPq.issuer_id, retired)).serials).toContain(oldPq.serial);
  });
});
