import { abortAllDurableObjects, env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { parseCheckpoint } from "../../src/note/checkpoint.ts";
import { cosignatureVerifierFromKey, mlDsa44CosignatureVerifier, parseCosignatureVerifierKey } from "../../src/note/cosignature.ts";
import { openNote, parseVerifierKey, rfc6962Verifier, verifierFromKey } from "../../src/note/note.ts";
import { LOG, ORIGIN, commitPlayedRound, getBytes, issueChain, logPublicKey, playRound, submit, unloggedChain } from "../support/ct-helpers.ts";
import { call } from "../support/worker-helpers.ts";

/** The checkpoint once its follow-up publication added the post-quantum lines (4 signature lines). */
async function cosignedCheckpoint(): Promise<string> {
  let text = "";
  for (let i = 0; i < 200; i++) {
    text = new TextDecoder().decode((await getBytes(`/${LOG}/checkpoint`))!);
    if (text.split("\n\n")[1]!.trim().split("\n").length === 4) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(text.split("\n\n")[1]!.trim().split("\n")).toHaveLength(4);
  return text;
}

describe("the CT checkpoint's post-quantum lines (ML-DSA-44 cosignature, FALCON-1024)", () => {
  it("are published in log.v3.json, verify, and classical verifiers ignore them", { timeout: 20_000 }, async () => {
    const { leaf, intermediate } = await issueChain();
    const res = await submit("add-chain", [leaf, intermediate]);
    expect(res.status).toBe(200);
    const sct = (await res.json()) as { extensions: string };
    // The post-quantum lines follow the round's classical checkpoint in a second publication of
    // the same tree (src/ct/log-sequencer.ts), so that SCTs are not held up by them: wait for it.
    const text = await cosignedCheckpoint();
    expect(sct.extensions).toBeTruthy();
    const meta = (await (await call(`/${LOG}/log.v3.json`)).json()) as { note_verifier_key: string; mldsa44_cosignature_key: string; falcon1024_cosignature_key: string };
    const vkey = parseVerifierKey(meta.mldsa44_cosignature_key)!;
    expect(vkey.name).toBe(ORIGIN);
    expect(vkey.type).toBe(0x06);
    expect(vkey.publicKey.length).toBe(1312);
    const fkey = parseVerifierKey(meta.falcon1024_cosignature_key)!;
    expect(fkey.name).toBe(ORIGIN);
    expect(fkey.type).toBe(0xff);
    expect(parseCosignatureVerifierKey(meta.falcon1024_cosignature_key)!.publicKey.length).toBe(1793);

    const { spki } = await logPublicKey();
    const classical = await openNote(text, [(await verifierFromKey(meta.note_verifier_key))!, await rfc6962Verifier(ORIGIN, spki)]);
    expect(classical.ok).toBe(true);
    if (classical.ok) {
      expect(classical.verified).toHaveLength(2);
      expect(classical.unverified.map((s) => s.keyId)).toEqual([vkey.keyId, fkey.keyId]);
    }
    const pq = await openNote(text, [mlDsa44CosignatureVerifier(vkey.name, vkey.publicKey), cosignatureVerifierFromKey(meta.falcon1024_cosignature_key)!]);
    expect(pq.ok, pq.ok ? "" : pq.detail).toBe(true);
    expect(pq.ok && pq.verified.length).toBe(2);
  });

  it("a restart between a round and its cosignature still ends with a cosigned checkpoint of that tree", { timeout: 20_000 }, async () => {
    const { leaf, intermediate } = await unloggedChain();
    // A round as the sequencer commits it (classical checkpoint, cosignature pending), then a
    // "crash" before anything reached R2 or the follow-up publication ran.
    const size = await runInDurableObject(env.CT_LOG.get(env.CT_LOG.idFromName(LOG)), async (_instance, state) => {
      const round = await playRound(state, leaf, intermediate, false);
      commitPlayedRound(round, false);
      return round.seq.tree.size;
    });
    await abortAllDurableObjects();
    // Any request starts the object again; it publishes the staged round, then cosigns it.
    expect((await submit("add-chain", [leaf, intermediate])).status).toBe(200);
    const meta = (await (await call(`/${LOG}/log.v3.json`)).json()) as { mldsa44_cosignature_key: string; falcon1024_cosignature_key: string };
    const text = await cosignedCheckpoint();
    expect(parseCheckpoint(text.split("\n\n")[0]! + "\n")!.size).toBe(size);
    const pq = await openNote(text, [cosignatureVerifierFromKey(meta.mldsa44_cosignature_key)!, cosignatureVerifierFromKey(meta.falcon1024_cosignature_key)!]);
    expect(pq.ok && pq.verified.length, pq.ok ? "" : pq.detail).toBe(2);
  });
});
