// Rotation of the issuing CAs (issue 8, scheduled work): by an operator through the admin route
// and by the scheduled handler when the policy says an issuing CA is due, each through consensus.
// The new issuing CA is signed by the same root and signs every later leaf; the retired one keeps
// answering for what it issued (OCSP signed by it, its own CRL, /ca/<id>.der, the cross-
// certificate of ACME's alternate chain). Rotations without a quorum, with a replayed quorum
// certificate or naming an issuing CA that is no longer current are refused and change nothing.

import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate } from "@peculiar/asn1-x509";
import { beforeAll, describe, expect, it } from "vitest";
import { caSigner } from "../../workers/env.ts";
import { rotateDueIssuers } from "../../workers/rotation.ts";
import { publishedRotationDue, rotationPolicy } from "../../src/ca/rotation.ts";
import { kemKeygen, isOpenFailure, openSealed } from "../../src/ca/backup.ts";
import { importKek } from "../../src/ca/key-vault.ts";
import { importCaKeys } from "../../src/ca/pq-backup.ts";
import type { QuorumCertificate } from "../../src/consensus/quorum.ts";
import { type ConsensusRequest, newRequest } from "../../src/consensus/request.ts";
import { type Bytes, toBase64 } from "../../src/encoding/bytes.ts";
import { isProblem } from "../../src/problem.ts";
import { provenEntry } from "../support/audit-helpers.ts";
import { type CaJson, caJson, crlSerials, derOf, ocspStatus } from "../support/ca-helpers.ts";
import { json, resume, suspend, tokenId } from "../support/consensus-helpers.ts";
import { precertificateFor, submit } from "../support/ct-helpers.ts";
import { spkiDerOf, verifiesWith } from "../support/pq-helpers.ts";
import { type Issued, akiOf, cron, issue, issuerIsSubjectOf, revoke, signedByRoot, state, subjectCn } from "../support/rotation-helpers.ts";
import { call, mintToken } from "../support/worker-helpers.ts";

let admin: string;
let issuer: string;

beforeAll(async () => {
  admin = await mintToken("admin");
  issuer = await mintToken("issuer");
});

const rotate = (body: unknown, token = admin) => call("/api/v1/admin/ca-rotate", { method: "POST", token, ...json(body) });

describe("an operator rotates the classical issuing CA (POST /api/v1/admin/ca-rotate)", () => {
  let before: CaJson;
  let after: CaJson;
  let oldLeaf: Issued;
  let newLeaf: Issued;

  it("retires the current issuing CA for a new one signed by the same root, audited before it runs", async () => {
    before = await caJson();
    oldLeaf = await issue(issuer, "classical", "before-rotation.example.com");
    expect(oldLeaf.issuer_id).toBe(before.intermediates[0]!.id);

    const r = await rotate({});
    const body = (await r.json()) as { hierarchy: string; retired: { id: string }; issuing: { id: string; pem: string; status: string } };
    expect(r.status, JSON.stringify(body)).toBe(200);
    expect(body.hierarchy).toBe("classical");
    expect(body.retired.id).toBe(before.intermediates[0]!.id);
    expect(body.issuing.id).not.toBe(body.retired.id);
    expect(body.issuing.status).toBe("current");
    // Write-ahead audit entry of the admin operation, beside the consensus request's own entry.
    const hash = r.headers.get("audit-request-hash")!;
    expect(await provenEntry(hash)).toMatchObject({ operation: "ca.rotate", target: "ca:classical", actor: `token:${await tokenId(admin)}` });

    after = await caJson();
    // The status the dashboard shows names both: the new one signing, the retired one still answering.
    const status = (await (await call("/api/v1/status")).json()) as { ca: { issuing: { id: string }; retired: { id: string; subject: string }[] } };
    expect(status.ca.issuing.id).toBe(body.issuing.id);
    expect(status.ca.retired.map((r) => [r.id, r.subject])).toEqual([[body.retired.id, "C=US, O=TrustChain, CN=TrustChain Issuing E1"]]);
    expect(after.root).toEqual(before.root);
    expect(after.intermediates.map((i) => [i.id, i.status])).toEqual([
      [body.issuing.id, "current"],
      [body.retired.id, "retired"],
    ]);
    expect(after.pq.intermediates).toEqual(before.pq.intermediates);
    const fresh = derOf(after.intermediates[0]!.pem);
    expect(await signedByRoot(after.intermediates[0]!.pem, after.root)).toBe(true);
    expect(subjectCn(derOf(before.intermediates[0]!.pem))).toBe("TrustChain Issuing E1");
    expect(subjectCn(fresh)).toBe("TrustChain Issuing E2");
    // Both issuing CAs stay published where their leaves' AIA points.
    for (const i of after.intermediates) expect(new Uint8Array(await (await call(`/ca/${i.id}.der`)).arrayBuffer())).toEqual(derOf(i.pem));
  });

  it("new leaves chain to the new issuing CA, CT-logged with embedded SCTs; precertificates of the new CA are accepted by the log", async () => {
    newLeaf = await issue(issuer, "classical", "after-rotation.example.com");
    const current = after.intermediates[0]!;
    expect(newLeaf.issuer_id).toBe(current.id);
    const leaf = derOf(newLeaf.certificate);
    expect(akiOf(leaf)).toBe(current.id);
    expect(issuerIsSubjectOf(leaf, derOf(current.pem))).toBe(true);
    expect(await verifiesWith(leaf, spkiDerOf(derOf(current.pem)))).toBe(true);
    expect(newLeaf.chain).toBe(newLeaf.certificate + current.pem);
    const record = (await (await call(`/api/v1/certificates/${newLeaf.serial}`, { token: issuer })).json()) as { ct: { precertificate_leaf_index: number | null } };
    expect(record.ct.precertificate_leaf_index).not.toBeNull();
    expect(AsnConvert.parse(leaf, Certificate).tbsCertificate.extensions!.some((e) => e.extnID === "1.3.6.1.4.1.11129.2.4.2")).toBe(true);

    // The log does not pin an intermediate: chains to our root through the new one are accepted.
    expect((await submit("add-chain", [leaf, derOf(current.pem)])).status).toBe(200);
    const { precert } = await precertificateFor(leaf);
    expect(akiOf(precert)).toBe(current.id);
    expect((await submit("add-pre-chain", [precert, derOf(current.pem)])).status).toBe(200);
  });

  it("the retired issuing CA still answers for its leaf: OCSP good, then revoked (signed by it), and its own CRL lists it", async () => {
    const retired = derOf(after.intermediates[1]!.pem);
    const current = derOf(after.intermediates[0]!.pem);
    const good = await ocspStatus(retired, oldLeaf.serial);
    expect(good).toMatchObject({ status: "good", signedByIssuer: true });
    expect(await ocspStatus(current, newLeaf.serial)).toMatchObject({ status: "good", signedByIssuer: true });

    const crlBefore = await crlSerials(oldLeaf.issuer_id, retired);
    await revoke(admin, oldLeaf.serial);
    expect(await ocspStatus(retired, oldLeaf.serial)).toMatchObject({ status: "revoked", signedByIssuer: true });
    expect(await ocspStatus(current, newLeaf.serial)).toMatchObject({ status: "good" });
    const old = await crlSerials(oldLeaf.issuer_id, retired);
    expect(old.serials).toContain(oldLeaf.serial);
    expect(BigInt(`0x${old.crlNumber}`)).toBeGreaterThan(BigInt(`0x${crlBefore.crlNumber}`));
    expect((await crlSerials(newLeaf.issuer_id, current)).serials).not.toContain(oldLeaf.serial);

    await revoke(admin, newLeaf.serial);
    expect(await ocspStatus(current, newLeaf.serial)).toMatchObject({ status: "revoked", signedByIssuer: true });
    expect((await crlSerials(newLeaf.issuer_id, current)).serials).toContain(newLeaf.serial);
    expect((await crlSerials(oldLeaf.issuer_id, retired)).serials).not.toContain(newLeaf.serial);
  });

  it("the ML-DSA root cross-certifies the new issuing CA, and keeps the retired one's cross-certificate", async () => {
    const cross = after.pq.cross_certificates;
    expect(cross.map((x) => x.issuing_id)).toEqual(after.intermediates.map((i) => i.id));
    for (const x of cross) {
      const der = derOf(x.pem);
      const issuing = derOf(after.intermediates.find((i) => i.id === x.issuing_id)!.pem);
      expect(spkiDerOf(der)).toEqual(spkiDerOf(issuing));
      expect(issuerIsSubjectOf(der, derOf(after.pq.root.pem))).toBe(true);
      expect(await verifiesWith(der, spkiDerOf(derOf(after.pq.root.pem)))).toBe(true);
      expect((await call(`/ca/${x.id}.der`)).status).toBe(200);
    }
  });
});

describe("the scheduled handler rotates an issuing CA when the policy says it is due", () => {
  // That a due rotation happens is tested in test/worker/rotation-due/, where the validators'
  // own policy (CA_ROTATE_AFTER_DAYS = 0) calls the young issuing CAs due as well.
  it("leaves a young issuing CA alone under the default policy (365 days)", async () => {
    const before = await caJson();
    await cron();
    expect(state(await caJson())).toEqual(state(before));
  });

  it("cannot rotate when the validators' policy does not call it due, whatever the scheduler's says", async () => {
    const before = await caJson();
    // The Worker's scheduler is told every issuing CA is due; the validators read the published
    // certificates under their own policy (365 days) and refuse.
    const ctx = createExecutionContext();
    const results = await rotateDueIssuers({ ...env, CA_ROTATE_AFTER_DAYS: "0" }, Date.now(), (p) => ctx.waitUntil(p));
    await waitOnExecutionContext(ctx);
    expect(results).toHaveLength(2);
    for (const r of results) {
      expect(isProblem(r), JSON.stringify(r)).toBe(true);
      if (!isProblem(r)) continue;
      expect(r.detail).toContain("0 of 4 approved");
      expect(r.detail).toContain("is not due for rotation under this validator's policy");
    }
    expect(state(await caJson())).toEqual(state(before));
  });
});

describe("what a validator reads before it approves a scheduled rotation", () => {
  it("judges the published certificates: the right hierarchy, a known root, then the policy", async () => {
    const ca = await caJson();
    const read = async (id: string) => {
      const obj = await env.BLOBS.get(`ca/${id}.der`);
      return obj ? new Uint8Array(await obj.arrayBuffer()) : null;
    };
    const due = rotationPolicy({ CA_ROTATE_AFTER_DAYS: "0" });
    const [classical, pq] = [ca.intermediates[0]!.id, ca.pq.intermediates[0]!.id];
    expect(await publishedRotationDue(read, "classical", classical, Date.now(), due)).toMatchObject({ due: true, reason: expect.stringContaining("0 days old") });
    expect(await publishedRotationDue(read, "pq", pq, Date.now(), due)).toMatchObject({ due: true });
    expect(await publishedRotationDue(read, "classical", classical, Date.now(), rotationPolicy({}))).toMatchObject({ due: false });
    expect(await publishedRotationDue(read, "pq", classical, Date.now(), due)).toEqual({ due: false, reason: `${classical} is not an issuing CA of the pq hierarchy` });
    expect(await publishedRotationDue(read, "classical", "abcdef", Date.now(), due)).toEqual({ due: false, reason: "no published CA certificate abcdef" });
    // Bytes published under another CA's id are not that CA.
    expect(await publishedRotationDue(async () => read(ca.root.id), "classical", classical, Date.now(), due)).toMatchObject({ due: false, reason: expect.stringContaining("another key identifier") });
  });
});

describe("refused rotations change nothing", () => {
  /** A rotate request the validators approved (the admin's own bearer token), and its quorum certificate. */
  async function approved(hierarchy: "classical" | "pq", issuing: string): Promise<{ request: ConsensusRequest; qc: QuorumCertificate }> {
    const request = newRequest("rotate", { kind: "rotate", hierarchy, issuing }, `token:${await tokenId(admin)}`, Date.now());
    const r = await call("/consensus/validate_certificate", { method: "POST", ...json({ request, credentials: { kind: "bearer", token: admin } }) });
    const body = (await r.json()) as { quorum_certificate: QuorumCertificate };
    expect(r.status, JSON.stringify(body)).toBe(200);
    return { request, qc: body.quorum_certificate };
  }

  it("naming an issuing CA that is not the current one: 409, before or after the validators", async () => {
    const before = await caJson();
    const retiredId = before.intermediates[1]!.id;
    const r = await rotate({ issuing_id: retiredId });
    const p = (await r.json()) as { type: string; detail: string };
    expect(r.status).toBe(409);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(p.detail).toContain(`the retired classical issuing CA ${retiredId}`);
    expect((await rotate({ hierarchy: "pq", issuing_id: "abcdef" })).status).toBe(409);
    expect(state(await caJson())).toEqual(state(before));
  });

  it("without a quorum: 503 when too few validators answer, 403 at the CaSigner for a certificate with too few votes", async () => {
    const before = await caJson();
    await suspend(admin, "validator-2");
    await suspend(admin, "validator-3");
    try {
      const r = await rotate({ hierarchy: "pq" });
      expect(r.status).toBe(503);
      expect(((await r.json()) as { detail: string }).detail).toContain("2 of 4 validators approved, 3 needed");
    } finally {
      await resume(admin, "validator-2");
      await resume(admin, "validator-3");
    }
    const { request, qc } = await approved("classical", before.intermediates[0]!.id);
    const short = await caSigner(env).rotate(request, { ...qc, votes: qc.votes.slice(0, 2) });
    expect(isProblem(short) && short.status).toBe(403);
    expect(state(await caJson())).toEqual(state(before));
  });

  it("a replayed quorum certificate: the first use rotates, the replay is refused (403)", async () => {
    const before = await caJson();
    const { request, qc } = await approved("pq", before.pq.intermediates[0]!.id);
    const first = await caSigner(env).rotate(request, qc);
    expect(isProblem(first) ? first.detail : first.retired.id).toBe(before.pq.intermediates[0]!.id);
    const rotated = await caJson();
    const replay = await caSigner(env).rotate(request, qc);
    expect(isProblem(replay) && replay.status).toBe(403);
    expect(isProblem(replay) && replay.detail).toContain("already acted on");
    expect(state(await caJson())).toEqual(state(rotated));
    // A quorum certificate for a rotation authorizes nothing else either.
    expect(isProblem(await caSigner(env).refreshCrls(request, qc))).toBe(true);
  });

  it("bad input: an unknown hierarchy or a malformed id is a 400 problem", async () => {
    for (const body of [{ hierarchy: "rsa" }, { issuing_id: "XYZ" }, [1]]) {
      const r = await rotate(body);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { type: string }).type).toBe("urn:ietf:params:acme:error:malformed");
    }
    expect((await rotate({}, await mintToken("issuer"))).status).toBe(403);
  });
});

describe("backups carry the retired issuing CAs", () => {
  it("the sealed backup holds every retired key, and a restore's check keeps them", async () => {
    const ca = await caJson();
    const keys = kemKeygen();
    const r = await call("/api/v1/admin/ca-backup", { method: "POST", token: admin, ...json({ recipient: toBase64(keys.publicKey) }) });
    expect(r.status).toBe(200);
    const opened = await openSealed(keys, "ca-keys", await r.json());
    expect(isOpenFailure(opened)).toBe(false);
    const checked = await importCaKeys((await importKek(env.CA_KEK)) as CryptoKey, opened as Bytes);
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    const retired = (h: CaJson["intermediates"]) => h.filter((i) => i.status === "retired").map((i) => i.id);
    expect(checked.classical.issuing.id).toBe(ca.intermediates[0]!.id);
    expect(checked.classical.retired!.map((i) => i.id)).toEqual(retired(ca.intermediates));
    expect(checked.pq.retired!.map((i) => i.id)).toEqual(retired(ca.pq.intermediates));
    expect(retired(ca.intermediates).length).toBeGreaterThanOrEqual(1);
    expect(retired(ca.pq.intermediates).length).toBeGreaterThanOrEqual(1);
  });
});
