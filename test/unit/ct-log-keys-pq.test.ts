import { describe, expect, it } from "vitest";
import { addCosignature, generateLogKeys, loadLogKeys, signTreeHeadAndCheckpoint, withCosignatureKey } from "../../src/ct/log-keys.ts";
import { importKek } from "../../src/ca/key-vault.ts";
import { parseVerifierKey, openNote, parseNote } from "../../src/note/note.ts";
import { mlDsa44CosignatureVerifier } from "../../src/note/cosignature.ts";
import { toBase64 } from "../../src/encoding/bytes.ts";

const kek = async () => (await importKek(toBase64(crypto.getRandomValues(new Uint8Array(32))))) as CryptoKey;

describe("the CT log's ML-DSA-44 cosignature key", () => {
  it("new logs have it; every checkpoint carries the cosignature", async () => {
    const k = await kek();
    const stored = await generateLogKeys(k, "l");
    expect(stored.mlDsa44Key).toBeDefined();
    const keys = await loadLogKeys(k, "l", "example.test/l", stored);
    const sth = await signTreeHeadAndCheckpoint(keys, "example.test/l", 0, new Uint8Array(32), Date.now());
    expect(parseNote(sth.checkpoint)!.signatures).toHaveLength(3);
    const vkey = parseVerifierKey(keys.cosignatureVerifierKey)!;
    expect((await openNote(sth.checkpoint, [mlDsa44CosignatureVerifier(vkey.name, vkey.publicKey)])).ok).toBe(true);
  });

  it("a round's classical checkpoint gets the cosignature added later, its other signatures unchanged", async () => {
    const k = await kek();
    const keys = await loadLogKeys(k, "l", "example.test/l", await generateLogKeys(k, "l"));
    const sth = await signTreeHeadAndCheckpoint(keys, "example.test/l", 5, new Uint8Array(32).fill(7), Date.now(), false);
    const classical = parseNote(sth.checkpoint)!;
    expect(classical.signatures).toHaveLength(2);
    const vkey = parseVerifierKey(keys.cosignatureVerifierKey)!;
    const pq = mlDsa44CosignatureVerifier(vkey.name, vkey.publicKey);
    expect((await openNote(sth.checkpoint, [pq])).ok).toBe(false);
    const cosigned = await addCosignature(keys, sth.checkpoint);
    const note = parseNote(cosigned)!;
    expect(note.text).toBe(classical.text);
    expect(note.signatures.slice(0, 2)).toEqual(classical.signatures);
    expect(note.signatures).toHaveLength(3);
    expect((await openNote(cosigned, [pq])).ok).toBe(true);
  });

  it("logs created before it get one, but only with the KEK that opens their other keys", async () => {
    const k = await kek();
    const { mlDsa44Key: _k, mlDsa44Public: _p, ...old } = await generateLogKeys(k, "l");
    await expect(loadLogKeys(k, "l", "example.test/l", old)).rejects.toThrow();
    await expect(withCosignatureKey(await kek(), "l", old)).rejects.toThrow();
    const upgraded = await withCosignatureKey(k, "l", old);
    expect(upgraded.ecdsaKey).toEqual(old.ecdsaKey);
    const keys = await loadLogKeys(k, "l", "example.test/l", upgraded);
    expect(keys.cosignatureVerifierKey).toContain("example.test/l+");
  });
});
