import { beforeAll, describe, expect, it } from "vitest";
import { falconKeygen, falconVerify } from "../../src/crypto/falcon.ts";
import { mlDsaKeygen, mlDsaSigningKey, mlDsaVerify } from "../../src/crypto/ml-dsa.ts";
import { concatBytes, utf8 } from "../../src/encoding/bytes.ts";
import { formatCheckpoint } from "../../src/note/checkpoint.ts";
import {
  FALCON_COSIGNATURE_ID,
  SIGNATURE_TYPE_MLDSA44_COSIGNATURE,
  SIGNATURE_TYPE_UNASSIGNED,
  cosignatureTimestamp,
  cosignatureVerifierFromKey,
  cosignatureVerifierKey,
  cosignedMessage,
  falcon1024CosignatureVerifier,
  falcon1024Cosigner,
  mlDsa44CosignatureVerifier,
  mlDsa44Cosigner,
  parseCosignatureVerifierKey,
} from "../../src/note/cosignature.ts";
import { ed25519FromSeed, ed25519Verifier, openNote, parseNote, parseVerifierKey, signNote } from "../../src/note/note.ts";

const ORIGIN = "example.com/log";
const text = formatCheckpoint({ origin: ORIGIN, size: 20852163, rootHash: new Uint8Array(32).fill(9), extensions: [] });

async function setup() {
  const ed = await ed25519FromSeed(ORIGIN, new Uint8Array(32).fill(1));
  const pair = mlDsaKeygen("ML-DSA-44");
  const cosigner = mlDsa44Cosigner("witness.example/w1", await mlDsaSigningKey("ML-DSA-44", pair.seed), () => 1679315147);
  const note = await signNote(text, [ed.signer, cosigner]);
  return { ed, pair, cosigner, note };
}

describe("ML-DSA-44 cosignatures (c2sp.org/tlog-cosignature)", () => {
  it("key ID is SHA-256(name || \\n || 0x06 || public key)[:4]", async () => {
    const { pair, cosigner } = await setup();
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", concatBytes(utf8("witness.example/w1\n"), Uint8Array.of(0x06), pair.publicKey)));
    expect(cosigner.keyId).toBe(new DataView(digest.buffer).getUint32(0));
    const vkey = parseVerifierKey(cosignatureVerifierKey("witness.example/w1", pair.publicKey))!;
    expect(vkey.type).toBe(SIGNATURE_TYPE_MLDSA44_COSIGNATURE);
    expect(vkey.keyId).toBe(cosigner.keyId);
  });

  it("the line is timestamp || ML-DSA-44 signature over the cosigned_message", async () => {
    const { pair, note } = await setup();
    const line = parseNote(note)!.signatures[1]!;
    expect(line.signature.length).toBe(8 + 2420);
    expect(cosignatureTimestamp(line.signature)).toBe(1679315147);
    const msg = cosignedMessage("witness.example/w1", 1679315147, ORIGIN, 20852163, new Uint8Array(32).fill(9));
    expect(msg.subarray(0, 12)).toEqual(utf8("subtree/v1\n\0"));
    expect(await mlDsaVerify("ML-DSA-44", pair.publicKey, msg, line.signature.subarray(8))).toBe(true);
  });

  it("a classical-only verifier accepts the note and ignores the cosignature line", async () => {
    const { ed, note } = await setup();
    const opened = await openNote(note, [await ed25519Verifier(ORIGIN, ed.publicKey)]);
    expect(opened.ok).toBe(true);
    if (opened.ok) expect(opened.unverified).toHaveLength(1);
  });

  it("verifies with the published key and fails when the checkpoint or signature changes", async () => {
    const { pair, note } = await setup();
    const v = mlDsa44CosignatureVerifier("witness.example/w1", pair.publicKey);
    expect((await openNote(note, [v])).ok).toBe(true);
    const tampered = note.replace("20852163", "20852164");
    const r = await openNote(tampered, [v]);
    expect(r.ok).toBe(false);
    const parsed = parseNote(note)!;
    const sig = new Uint8Array(parsed.signatures[1]!.signature);
    sig[3] = sig[3]! ^ 1; // the timestamp is signed too
    expect(await v.verify(utf8(parsed.text), sig)).toBe(false);
  });
});

describe("FALCON-1024 cosignatures (signed-note type 0xff + identifier, same cosigned_message)", () => {
  const pair = falconKeygen();
  const name = "example.com/log";
  let ed: Awaited<ReturnType<typeof ed25519FromSeed>>;
  let note: string;
  beforeAll(async () => {
    ed = await ed25519FromSeed(ORIGIN, new Uint8Array(32).fill(1));
    note = await signNote(text, [ed.signer, falcon1024Cosigner(name, pair.secretKey, pair.publicKey, () => 1679315147)]);
  });

  it("key ID is SHA-256(name || \\n || 0xff || identifier || public key)[:4], and the vkey carries the identifier", async () => {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", concatBytes(utf8(`${name}\n`), Uint8Array.of(0xff), utf8(FALCON_COSIGNATURE_ID), pair.publicKey)));
    const line = parseNote(note)!.signatures[1]!;
    expect(line.keyId).toBe(new DataView(digest.buffer).getUint32(0));
    const vkey = cosignatureVerifierKey(name, pair.publicKey, "falcon-1024");
    const raw = parseVerifierKey(vkey)!;
    expect(raw.type).toBe(SIGNATURE_TYPE_UNASSIGNED);
    expect(raw.keyId).toBe(line.keyId);
    expect(raw.publicKey.subarray(0, FALCON_COSIGNATURE_ID.length)).toEqual(utf8(FALCON_COSIGNATURE_ID));
    expect(parseCosignatureVerifierKey(vkey)).toEqual({ name, alg: "falcon-1024", publicKey: pair.publicKey });
    // An ML-DSA-44 vkey is not mistaken for a Falcon one, nor a truncated Falcon key for either.
    expect(parseCosignatureVerifierKey(cosignatureVerifierKey(name, mlDsaKeygen("ML-DSA-44").publicKey))!.alg).toBe("ml-dsa-44");
    expect(parseCosignatureVerifierKey(cosignatureVerifierKey(name, pair.publicKey.subarray(1), "falcon-1024"))).toBeNull();
  });

  it("the line is timestamp || FALCON-1024 signature over the cosigned_message", async () => {
    const line = parseNote(note)!.signatures[1]!;
    expect(line.signature.length).toBeLessThanOrEqual(8 + 1462);
    expect(cosignatureTimestamp(line.signature)).toBe(1679315147);
    const msg = cosignedMessage(name, 1679315147, ORIGIN, 20852163, new Uint8Array(32).fill(9));
    expect(falconVerify(pair.publicKey, msg, line.signature.subarray(8))).toBe(true);
  });

  it("verifies with the published key, classical verifiers ignore it, and a changed byte fails", async () => {
    const v = cosignatureVerifierFromKey(cosignatureVerifierKey(name, pair.publicKey, "falcon-1024"))!;
    expect((await openNote(note, [v])).ok).toBe(true);
    const classical = await openNote(note, [await ed25519Verifier(ORIGIN, ed.publicKey)]);
    expect(classical.ok && classical.unverified.length).toBe(1);
    expect((await openNote(note.replace("20852163", "20852164"), [falcon1024CosignatureVerifier(name, pair.publicKey)])).ok).toBe(false);
    const parsed = parseNote(note)!;
    for (const at of [3, 8, 40, parsed.signatures[1]!.signature.length - 1]) {
      const sig = new Uint8Array(parsed.signatures[1]!.signature);
      sig[at] = sig[at]! ^ 1;
      expect(await v.verify(utf8(parsed.text), sig), `byte ${at}`).toBe(false);
    }
  });
});

describe("cosignature verifiers on hostile checkpoints", () => {
  it("refuse, not throw, when the origin is longer than cosigned_message can carry (255 bytes)", async () => {
    // A monitor opens whatever checkpoint a log (or a man in the middle) serves it: a signature
    // line naming the witness's key over a 300-byte origin must be an invalid signature.
    const { pair } = await setup();
    const ml = mlDsa44CosignatureVerifier("witness.example/w1", pair.publicKey);
    const falcon = falcon1024CosignatureVerifier("witness.example/w2", falconKeygen().publicKey);
    const long = formatCheckpoint({ origin: "o".repeat(300), size: 1, rootHash: new Uint8Array(32), extensions: [] });
    for (const [v, sigLength] of [[ml, 2420], [falcon, 1200]] as const) {
      expect(await v.verify(utf8(long), new Uint8Array(8 + sigLength))).toBe(false);
      const note = `${long}\n\u2014 ${v.name} ${btoa(String.fromCharCode(v.keyId >>> 24, (v.keyId >>> 16) & 255, (v.keyId >>> 8) & 255, v.keyId & 255, ...new Uint8Array(8 + sigLength)))}\n`;
      const opened = await openNote(note, [v]);
      expect(opened.ok).toBe(false);
      if (!opened.ok) expect(opened.error).toBe("invalid-signature");
    }
  });
});
