import { describe, expect, it } from "vitest";
import { addCosignature, generateLogKeys, loadLogKeys, signTreeHeadAndCheckpoint, withPostQuantumKeys } from "../../src/ct/log-keys.ts";
import { importKek } from "../../src/ca/key-vault.ts";
import { parseVerifierKey, openNote, parseNote } from "../../src/note/note.ts";
import { cosignatureVerifierFromKey, mlDsa44CosignatureVerifier } from "../../src/note/cosignature.ts";
import { toBase64 } from "../../src/encoding/bytes.ts";

const kek = async () => (await importKek(toBase64(crypto.getRandomValues(new Uint8Array(32))))) as CryptoKey;

describe("the log's post-quantum keys (ML-DSA-44 and FALCON-1024)", () => {
  it("new logs have both; a fully signed checkpoint carries both lines", async () => {
    const k = await kek();
    const stored = await generateLogKeys(k, "l");
    expect(stored.mlDsa44Key).toBeDefined();
    expect(stored.falcon1024Key).toBeDefined();
    const keys = await loadLogKeys(k, "l", "example.test/l", stored);
    const sth = await signTreeHeadAndCheckpoint(keys, "example.test/l", 0, new Uint8Array(32), Date.now());
    expect(parseNote(sth.checkpoint)!.signatures).toHaveLength(4);
    const vkey = parseVerifierKey(keys.cosignatureVerifierKey)!;
    expect((await openNote(sth.checkpoint, [mlDsa44CosignatureVerifier(vkey.name, vkey.publicKey)])).ok).toBe(true);
    expect((await openNote(sth.checkpoint, [cosignatureVerifierFromKey(keys.falconVerifierKey)!])).ok).toBe(true);
  });

  it("a round's classical checkpoint gets both lines added later, its other signatures unchanged", async () => {
    const k = await kek();
    const keys = await loadLogKeys(k, "l", "example.test/l", await generateLogKeys(k, "l"));
    const sth = await signTreeHeadAndCheckpoint(keys, "example.test/l", 5, new Uint8Array(32).fill(7), Date.now(), false);
    const classical = parseNote(sth.checkpoint)!;
    expect(classical.signatures).toHaveLength(2);
    const pq = [cosignatureVerifierFromKey(keys.cosignatureVerifierKey)!, cosignatureVerifierFromKey(keys.falconVerifierKey)!];
    for (const v of pq) expect((await openNote(sth.checkpoint, [v])).ok).toBe(false);
    const cosigned = await addCosignature(keys, sth.checkpoint);
    const note = parseNote(cosigned)!;
    expect(note.text).toBe(classical.text);
    expect(note.signatures.slice(0, 2)).toEqual(classical.signatures);
    expect(note.signatures).toHaveLength(4);
    for (const v of pq) expect((await openNote(cosigned, [v])).ok).toBe(true);
  });

  it("logs created before them get the missing keys, but only with the KEK that opens their other keys", async () => {
    const k = await kek();
    const { mlDsa44Key: _k, mlDsa44Public: _p, falcon1024Key: _f, falcon1024Public: _fp, ...old } = await generateLogKeys(k, "l");
    await expect(loadLogKeys(k, "l", "example.test/l", old)).rejects.toThrow();
    await expect(withPostQuantumKeys(await kek(), "l", old)).rejects.toThrow();
    const upgraded = (await withPostQuantumKeys(k, "l", old))!;
    expect(upgraded.ecdsaKey).toEqual(old.ecdsaKey);
    const keys = await loadLogKeys(k, "l", "example.test/l", upgraded);
    expect(keys.cosignatureVerifierKey).toContain("example.test/l+");
    expect(await withPostQuantumKeys(k, "l", upgraded)).toBeNull();
    // A log that already had its ML-DSA-44 key (cosignatures came first) keeps it and gains FALCON-1024 only.
    const { falcon1024Key: _f2, falcon1024Public: _fp2, ...mlOnly } = upgraded;
    const withFalcon = (await withPostQuantumKeys(k, "l", mlOnly))!;
    expect(withFalcon.mlDsa44Key).toEqual(upgraded.mlDsa44Key);
    expect(withFalcon.falcon1024Public).not.toBe(upgraded.falcon1024Public);
    expect((await loadLogKeys(k, "l", "example.test/l", withFalcon)).falconVerifierKey).toContain("example.test/l+");
  });
});
