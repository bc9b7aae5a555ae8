// The audit log (issue 8 item 3, the space proof's commitment): a real issuance's request hash
// is committed, and the verifier `npm run audit:verify` runs (src/audit/verify.ts) proves its
// inclusion from the published checkpoint and tiles — and fails once one byte of a tile in R2
// is changed. Also: anonymous vote requests must carry the policy's proof of work.

import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyAuditLog } from "../../src/audit/verify.ts";
import { parseCheckpoint } from "../../src/note/checkpoint.ts";
import { cosignatureVerifierFromKey } from "../../src/note/cosignature.ts";
import { openNote, parseVerifierKey, verifierFromKey } from "../../src/note/note.ts";
import { newRequest, requestHash } from "../../src/consensus/request.ts";
import { solveWork, verifyWork, workOf } from "../../src/consensus/work.ts";
import { fetchAudit, provenInclusion } from "../support/audit-helpers.ts";
import { json } from "../support/consensus-helpers.ts";
import { call, makeCsr, mintToken } from "../support/worker-helpers.ts";

let issuer: string;
beforeAll(async () => {
  issuer = await mintToken("issuer");
});

describe("audit log", () => {
  it("proves inclusion of a real issuance, and fails after one byte of a tile changes", async () => {
    const names = ["audited.example"];
    let hash = "";
    for (let i = 0; i < 3; i++) {
      const csr = await makeCsr("p256", i === 1 ? names : [`other${i}.example`]);
      const r = await call("/api/v1/certificates", { method: "POST", body: csr.pem, token: issuer, headers: { "content-type": "application/x-pem-file" } });
      expect(r.status).toBe(201);
      if (i === 1) {
        const serial = ((await r.json()) as { serial: string }).serial;
        hash = ((await (await call(`/api/v1/certificates/${serial}/quorum`, { token: issuer })).json()) as { request_hash: string }).request_hash;
      }
    }
    const lookup = (await (await call(`/audit/lookup/${hash}`)).json()) as { index: number };
    const proven = await provenInclusion(hash);
    const key = proven.key;
    expect(proven.index).toBe(lookup.index);
    expect(proven.entry).toMatchObject({ actor: expect.stringMatching(/^token:/), operation: "consensus.issue", target: "dns:audited.example", requestHash: hash });
    expect((await verifyAuditLog(fetchAudit, key, { index: lookup.index })).ok).toBe(true);

    // A wrong key does not open the checkpoint.
    const other = key.replace(/\+[0-9a-f]{8}\+/, "+00000000+");
    expect((await verifyAuditLog(fetchAudit, other, { index: 0 })).ok).toBe(false);

    // One byte of the entry bundle changed in R2: the recomputed tiles no longer match.
    const size = proven.size;
    const bundlePath = `audit/tile/entries/000.p/${size}`;
    const original = new Uint8Array(await (await env.BLOBS.get(bundlePath))!.arrayBuffer());
    const tampered = original.slice();
    tampered[tampered.length - 3]! ^= 0x01;
    await env.BLOBS.put(bundlePath, tampered);
    const broken = await verifyAuditLog(fetchAudit, key, { requestHash: hash });
    expect(broken.ok).toBe(false);
    expect(broken.ok ? "" : broken.error).toMatch(/does not match|not a bundle|not an audit entry/);
    await env.BLOBS.put(bundlePath, original);

    // One byte of a hash tile changed: caught too.
    const tilePath = `audit/tile/0/000.p/${size}`;
    const hashes = new Uint8Array(await (await env.BLOBS.get(tilePath))!.arrayBuffer());
    const flipped = hashes.slice();
    flipped[0]! ^= 0x80;
    await env.BLOBS.put(tilePath, flipped);
    const broken2 = await verifyAuditLog(fetchAudit, key, { requestHash: hash });
    expect(broken2.ok ? "" : broken2.error).toContain("tile/0/000.p");
    await env.BLOBS.put(tilePath, hashes);
    expect((await verifyAuditLog(fetchAudit, key, { requestHash: hash })).ok).toBe(true);
  });

  it("publishes a checkpoint with ML-DSA-44 and FALCON-1024 lines that verify with the keys /audit/key publishes", async () => {
    const keys = (await (await call("/audit/key")).json()) as { verifier_key: string; mldsa44_cosignature_key: string; falcon1024_cosignature_key: string };
    expect(parseVerifierKey(keys.mldsa44_cosignature_key)!.type).toBe(0x06);
    expect(parseVerifierKey(keys.falcon1024_cosignature_key)!.type).toBe(0xff);
    const csr = await makeCsr("p256", ["pq-lines.audited.example"]);
    expect((await call("/api/v1/certificates", { method: "POST", body: csr.pem, token: issuer, headers: { "content-type": "application/x-pem-file" } })).status).toBe(201);
    const size = ((await (await call("/audit/key")).json()) as { size: number }).size;
    // The lines are added off the append path: by a publication, at most once a second, or by
    // the re-publication of the newest checkpoint once that second is over.
    const verifiers = [(await verifierFromKey(keys.verifier_key))!, cosignatureVerifierFromKey(keys.mldsa44_cosignature_key)!, cosignatureVerifierFromKey(keys.falcon1024_cosignature_key)!];
    let text = "";
    let opened = await openNote(text, verifiers);
    const complete = () => parseCheckpoint(text.slice(0, text.indexOf("\n\n") + 1))?.size === size && opened.ok && opened.verified.length === verifiers.length;
    for (let i = 0; i < 100 && !complete(); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 50));
      text = new TextDecoder().decode((await fetchAudit("checkpoint"))!);
      opened = await openNote(text, verifiers);
    }
    expect(parseCheckpoint(text.slice(0, text.indexOf("\n\n") + 1))!.size).toBe(size);
    expect(opened.ok, opened.ok ? "" : opened.detail).toBe(true);
    // Ed25519, ML-DSA-44, FALCON-1024 verified; the RFC 6962 line is for CT clients.
    expect(opened.ok && opened.verified.map((s) => s.keyId)).toEqual(verifiers.map((v) => v.keyId));
  });
});

describe("proof of work", () => {
  it("solves and verifies work bound to a request hash", () => {
    const hash = "ab".repeat(32);
    const nonce = solveWork(hash, 12);
    expect(workOf(hash, nonce)).toBeGreaterThanOrEqual(12);
    expect(verifyWork(hash, nonce, 12)).toBe(true);
    expect(verifyWork(hash, nonce, workOf(hash, nonce) + 1)).toBe(false);
    expect(verifyWork(hash, "not hex", 1)).toBe(false);
  });

  it("validators refuse anonymous vote requests without the policy's work, and check it when present", async () => {
    const csr = await makeCsr("p256", ["anon.example"]);
    const { checkCsr } = await import("../../src/x509/csr.ts");
    const { issueRequest } = await import("../../src/ca/issuance.ts");
    const { issueSubject } = await import("../../src/consensus/request.ts");
    const checked = await checkCsr(csr.der as Uint8Array<ArrayBuffer>, { maxNames: 10 });
    if (!checked.ok) throw new Error(checked.problem.detail);
    const request = newRequest("issue", issueSubject(issueRequest(checked.value, "shortlived", "anonymous")), "anonymous", Date.now());
    // The public entry point refuses it before its hash is committed: an unpaid append to the
    // audit log is what anyone could otherwise make, as often as they liked.
    const lazyResponse = await call("/consensus/validate_certificate", { method: "POST", ...json({ request }) });
    expect(lazyResponse.status).toBe(400);
    expect(lazyResponse.headers.get("content-type")).toBe("application/problem+json");
    expect(((await lazyResponse.json()) as { detail: string }).detail).toContain("proof of work of 16 bits");
    expect((await call(`/audit/lookup/${await requestHash(request)}`)).status).toBe(404);
    // Each validator checks the work itself too.
    const vote = (await env.VALIDATOR.get(env.VALIDATOR.idFromName("validator-0")).vote("validator-0", request, { kind: "none" }, { work: "" })) as { body: { verdict: string; proofs: { work: { ok: boolean; detail: string } } } };
    expect(vote.body.verdict).toBe("reject");
    expect(vote.body.proofs.work).toEqual({ ok: false, detail: "16 bits of work bound to the request hash are required" });
    const again = { ...request, nonce: "0".repeat(32) };
    const work = solveWork(await requestHash(again), 16);
    const paid = await call("/consensus/validate_certificate", { method: "POST", ...json({ request: again, work }) });
    const body = (await paid.json()) as { status: number; detail: string };
    // The work is accepted; an anonymous requester still has no stake, so nothing is approved.
    expect(body.status).toBe(403);
    expect(body.detail).not.toContain("bits of work bound to the request hash are required");
    expect(body.detail).toContain("requester anonymous is not authenticated");
  });
});

describe("the public vote endpoint commits nothing for requesters it cannot authenticate", () => {
  it.each([
    ["token:0123456789abcdef", undefined],
    ["token:0123456789abcdef", { kind: "bearer", token: "tc_not-a-real-token" }],
    ["acme:no-such-account", { kind: "acme-jws", protected: "e30", payload: "e30", signature: "AA" }],
    ["acme:no-such-account", undefined],
    ["system:cron", undefined],
  ])("requester %s", async (requester, credentials) => {
    const request = newRequest("crl", { kind: "crl", trigger: "scheduled" }, requester, Date.now());
    const r = await call("/consensus/validate_certificate", { method: "POST", ...json({ request, credentials }) });
    expect(r.status).toBe(403);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect((await call(`/audit/lookup/${await requestHash(request)}`)).status).toBe(404);
  });
});

describe("consensus endpoints refuse bad input with problem documents", () => {
  it.each([
    ["/consensus/validate_certificate", "not json"],
    ["/consensus/validate_certificate", JSON.stringify({ request: { v: 2 } })],
    ["/consensus/validate_certificate", JSON.stringify({ request: null, credentials: { kind: "system" } })],
    ["/consensus/validate_proofs", JSON.stringify({ votes: [{ body: {} }] })],
    ["/consensus/validate_proofs", JSON.stringify({ quorum_certificate: { v: 1 } })],
  ])("POST %s %s", async (path, body) => {
    const r = await call(path, { method: "POST", body, headers: { "content-type": "application/json" } });
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
  });

  it("maintenance routes need an admin token and a known validator", async () => {
    expect((await call("/consensus/validators/validator-0/suspend", { method: "POST" })).status).toBe(401);
    expect((await call("/consensus/validators/validator-0/suspend", { method: "POST", token: issuer })).status).toBe(403);
    expect((await call("/consensus/validators/validator-9/suspend", { method: "POST", token: await mintToken("admin") })).status).toBe(404);
    expect((await call("/audit/tile/../../ca/x")).status).toBeGreaterThanOrEqual(400);
  });
});
