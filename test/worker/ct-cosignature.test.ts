import { describe, expect, it } from "vitest";
import { mlDsa44CosignatureVerifier } from "../../src/note/cosignature.ts";
import { openNote, parseVerifierKey, rfc6962Verifier, verifierFromKey } from "../../src/note/note.ts";
import { LOG, ORIGIN, getBytes, issueChain, logPublicKey, submit } from "../support/ct-helpers.ts";
import { call } from "../support/worker-helpers.ts";

describe("the CT checkpoint's ML-DSA-44 cosignature", () => {
  it("is published in log.v3.json, verifies, and classical verifiers ignore it", async () => {
    const { leaf, intermediate } = await issueChain();
    const res = await submit("add-chain", [leaf, intermediate]);
    expect(res.status).toBe(200);
    const sct = (await res.json()) as { extensions: string };
    // The cosignature follows the round's classical checkpoint in a second publication of the
    // same tree (src/ct/log-sequencer.ts), so that SCTs are not held up by ML-DSA: wait for it.
    let text = "";
    for (let i = 0; i < 100; i++) {
      text = new TextDecoder().decode((await getBytes(`/${LOG}/checkpoint`))!);
      if (text.split("\n\n")[1]!.trim().split("\n").length === 3) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(text.split("\n\n")[1]!.trim().split("\n")).toHaveLength(3);
    expect(sct.extensions).toBeTruthy();
    const meta = (await (await call(`/${LOG}/log.v3.json`)).json()) as { note_verifier_key: string; mldsa44_cosignature_key: string };
    const vkey = parseVerifierKey(meta.mldsa44_cosignature_key)!;
    expect(vkey.name).toBe(ORIGIN);
    expect(vkey.type).toBe(0x06);
    expect(vkey.publicKey.length).toBe(1312);

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
