import { describe, expect, it } from "vitest";
import { mlDsa44CosignatureVerifier } from "../../src/note/cosignature.ts";
import { openNote, parseVerifierKey, rfc6962Verifier, verifierFromKey } from "../../src/note/note.ts";
import { LOG, ORIGIN, getBytes, issueChain, logPublicKey, submit } from "../support/ct-helpers.ts";
import { call } from "../support/worker-helpers.ts";

describe("the CT checkpoint's ML-DSA-44 cosignature", () => {
  it("is published in log.v3.json, verifies, and classical verifiers ignore it", async () => {
    const { leaf, intermediate } = await issueChain();
    expect((await submit("add-chain", [leaf, intermediate])).status).toBe(200);
    const meta = (await (await call(`/${LOG}/log.v3.json`)).json()) as { note_verifier_key: string; mldsa44_cosignature_key: string };
    const vkey = parseVerifierKey(meta.mldsa44_cosignature_key)!;
    expect(vkey.name).toBe(ORIGIN);
    expect(vkey.type).toBe(0x06);
    expect(vkey.publicKey.length).toBe(1312);
    const text = (await getBytes(`/${LOG}/checkpoint`))!;

    const { spki } = await logPublicKey();
    const classical = await openNote(text, [(await verifierFromKey(meta.note_verifier_key))!, await rfc6962Verifier(ORIGIN, spki)]);
    expect(classical.ok).toBe(true);
    if (classical.ok) {
      expect(classical.verified).toHaveLength(2);
      expect(classical.unverified.map((s) => s.keyId)).toEqual([vkey.keyId]);
    }
    const pq = await openNote(text, [mlDsa44CosignatureVerifier(vkey.name, vkey.publicKey)]);
    expect(pq.ok, pq.ok ? "" : pq.detail).toBe(true);
  });
});
