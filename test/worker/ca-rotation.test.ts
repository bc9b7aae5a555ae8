// Rotation of the issuing CAs (issue 8, scheduled work): by an operator through the admin route
// and by the scheduled handler when the policy says an issuing CA is due, each through consensus.
// The new issuing CA is signed by the same root and signs every later leaf; the retired one keeps
// answering for what it issued (OCSP signed by it, its own CRL, /ca/<id>.der, the cross-
// certificate of ACME's alternate chain). Rotations without a quorum, with a replayed quorum
// certificate or naming an issuing CA that is no longer current are refused and change nothing.

import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AuthorityKeyIdentifier, Certificate, id_ce_authorityKeyIdentifier } from "@peculiar/asn1-x509";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../workers/index.ts";
import { caSigner } from "../../workers/env.ts";
import { kemKeygen, isOpenFailure, openSealed } from "../../src/ca/backup.ts";
import { importKek } from "../../src/ca/key-vault.ts";
import { importCaKeys } from "../../src/ca/pq-backup.ts";
import type { QuorumCertificate } from "../../src/consensus/quorum.ts";
import { type ConsensusRequest, newRequest } from "../../src/consensus/request.ts";
import { type Bytes, toBase64, toHex } from "../../src/encoding/bytes.ts";
import { isProblem } from "../../src/problem.ts";
import { provenEntry } from "../support/audit-helpers.ts";
import { type CaJson, caJson, crlSerials, derOf, ocspStatus } from "../support/ca-helpers.ts";
import { json, resume, suspend, tokenId } from "../support/consensus-helpers.ts";
import { precertificateFor, submit } from "../support/ct-helpers.ts";
import { mlDsaCsr, spkiDerOf, verifiesWith } from "../support/pq-helpers.ts";
import { call, makeCsr, mintToken } from "../support/worker-helpers.ts";

let admin: string;
let issuer: string;

beforeAll(async () => {
  admin = await mintToken("admin");
  issuer = await mintToken("issuer");
});

interface Issued {
  serial: string;
  issuer_id: string;
  certificate: string;
  chain: string;
}

async function issue(hierarchy: "classical" | "pq", name: string): Promise<Issued> {
  const csr = hierarchy === "pq" ? await mlDsaCsr("ML-DSA-65", [name]) : await makeCsr("p256", [name]);
  const r = await call("/api/v1/certificates", { method: "POST", token: issuer, ...json({ csr: csr.pem, hierarchy }) });
  const body = (await r.json()) as Issued;
  expect(r.status, JSON.stringify(body)).toBe(201);
  return body;
}

async function revoke(serial: string): Promise<void> {
  const r = await call(`/api/v1/certificates/${serial}/revoke`, { method: "POST", token: admin, ...json({ reason: "keyCompromise" }) });
  expect(r.status, await r.clone().text()).toBe(200);
}

const rotate = (body: unknown, token = admin) => call("/api/v1/admin/ca-rotate", { method: "POST", token, ...json(body) });

/** The keyIdentifier of a certificate's AuthorityKeyIdentifier, hex: which CA key signed it. */
function akiOf(der: Uint8Array): string {
  const ext = AsnConvert.parse(der, Certificate).tbsCertificate.extensions!.find((e) => e.extnID === id_ce_authorityKeyIdentifier)!;
  return toHex(new Uint8Array(AsnConvert.parse(ext.extnValue.buffer, AuthorityKeyIdentifier).keyIdentifier!.buffer));
}

const subjectCn = (der: Uint8Array) => AsnConvert.parse(der, Certificate).tbsCertificate.subject.flatMap((r) => r).find((a) => a.type === "2.5.4.3")!.value.toString();
const issuerIsSubjectOf = (child: Uint8Array, parent: Uint8Array) =>
  toHex(new Uint8Array(AsnConvert.serialize(AsnConvert.parse(child, Certificate).tbsCertificate.issuer))) ===
  toHex(new Uint8Array(AsnConvert.serialize(AsnConvert.parse(parent, Certificate).tbsCertificate.subject)));

/** The issuing CA is signed by `root`: its issuer name, its AKI (the root's id is its SKI) and its signature. */
async function signedByRoot(issuingPem: string, root: { id: string; pem: string }): Promise<boolean> {
  const [i, r] = [derOf(issuingPem), derOf(root.pem)];
  return issuerIsSubjectOf(i, r) && akiOf(i) === root.id && (await verifiesWith(i, spkiDerOf(r)));
}

async function cron(bindings: Partial<typeof env> = {}): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "17 * * * *", scheduledTime: new Date() }), { ...env, ...bindings }, ctx);
  await waitOnExecutionContext(ctx);
}

/** What a rotation must not change when it is refused. */
const state = (ca: CaJson) => ({ classical: ca.intermediates.map((i) => `${i.id}:${i.status}`), pq: ca.pq.intermediates.map((i) => `${i.id}:${i.status}`) });

describe("an operator rotates the classical issuing CA (POST /api/v1/admin/ca-rotate)", () => {
  let before: CaJson;
  let after: CaJson;
  let oldLeaf: Issued;
  let newLeaf: Issued;

  it("retires the current issuing CA for a new one signed by the same root, audited before it runs", async () => {
    before = await caJson();
    oldLeaf = await issue("classical", "before-rotation.example.com");
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
    newLeaf = await issue("classical", "after-rotation.example.com");
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
    await revoke(oldLeaf.serial);
    expect(await ocspStatus(retired, oldLeaf.serial)).toMatchObject({ status: "revoked", signedByIssuer: true });
    expect(await ocspStatus(current, newLeaf.serial)).toMatchObject({ status: "good" });
    const old = await crlSerials(oldLeaf.issuer_id, retired);
    expect(old.serials).toContain(oldLeaf.serial);
    expect(BigInt(`0x${old.crlNumber}`)).toBeGreaterThan(BigInt(`0x${crlBefore.crlNumber}`));
    expect((await crlSerials(newLeaf.issuer_id, current)).serials).not.toContain(oldLeaf.serial);

    await revoke(newLeaf.serial);
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
  it("leaves a young issuing CA alone under the default policy (365 days)", async () => {
    const before = await caJson();
    await cron();
    expect(state(await caJson())).toEqual(state(before));
  });

  it("rotates both hierarchies once due (CA_ROTATE_AFTER_DAYS = 0); PQ leaves before and after keep their own issuers", async () => {
    const before = await caJson();
    const oldPq = await issue("pq", "pq-before.example.com");
    await cron({ CA_ROTATE_AFTER_DAYS: "0" });
    const after = await caJson();

    expect(after.intermediates.map((i) => i.id).slice(1)).toEqual(before.intermediates.map((i) => i.id));
    expect(after.pq.intermediates.map((i) => i.id).slice(1)).toEqual(before.pq.intermediates.map((i) => i.id));
    expect(after.intermediates[0]!.status).toBe("current");
    expect(after.intermediates.slice(1).every((i) => i.status === "retired")).toBe(true);
    expect(subjectCn(derOf(after.intermediates[0]!.pem))).toBe("TrustChain Issuing E3");
    expect(subjectCn(derOf(after.pq.intermediates[0]!.pem))).toBe("TrustChain ML-DSA Issuing M2");
    expect(await signedByRoot(after.intermediates[0]!.pem, after.root)).toBe(true);
    expect(await signedByRoot(after.pq.intermediates[0]!.pem, after.pq.root)).toBe(true);

    const newPq = await issue("pq", "pq-after.example.com");
    const [current, retired] = [derOf(after.pq.intermediates[0]!.pem), derOf(after.pq.intermediates[1]!.pem)];
    expect(newPq.issuer_id).toBe(after.pq.intermediates[0]!.id);
    expect(await verifiesWith(derOf(newPq.certificate), spkiDerOf(current))).toBe(true);
    expect(oldPq.issuer_id).toBe(after.pq.intermediates[1]!.id);
    await revoke(oldPq.serial);
    expect(await ocspStatus(retired, oldPq.serial)).toMatchObject({ status: "revoked", signedByIssuer: true, signatureAlgorithm: "2.16.840.1.101.3.4.3.18" });
    expect(await ocspStatus(current, newPq.serial)).toMatchObject({ status: "good", signedByIssuer: true });
    expect((await crlSerials(oldPq.issuer_id, retired)).serials).toContain(oldPq.serial);

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
    expect(retired(ca.intermediates).length).toBeGreaterThanOrEqual(2);
  });
});
