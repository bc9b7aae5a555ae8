import { describe, expect, it } from "vitest";
import { fromBase64, toBase64, toBytes, utf8 } from "../../src/encoding/bytes.ts";
import { decodeDigitallySigned, logIdFromSpki } from "../../src/ct/structures.ts";
import { formatCheckpoint } from "../../src/note/checkpoint.ts";
import {
  computeKeyId,
  ed25519FromSeed,
  ed25519Verifier,
  encodeVerifierKey,
  formatNote,
  generateNoteKey,
  isValidKeyName,
  keyIdHex,
  MAX_SIGNATURES,
  type NoteVerifier,
  openNote,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  rfc6962KeyId,
  rfc6962NoteSignature,
  rfc6962Signer,
  rfc6962SignatureTimestamp,
  rfc6962Verifier,
  SIGNATURE_TYPE_ED25519,
  signNote,
  verifierFromKey,
} from "../../src/note/note.ts";

const b64 = (s: string) => {
  const b = fromBase64(s);
  if (b === null) throw new Error("bad base64");
  return b;
};

// golang.org/x/mod/sumdb/note note_test.go.
const PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

async function verifier(vkey: string): Promise<NoteVerifier> {
  const v = await verifierFromKey(vkey);
  if (v === null) throw new Error(`bad verifier key ${vkey}`);
  return v;
}

describe("verifier keys", () => {
  it("parses the Go reference key and recomputes its key ID", () => {
    const k = parseVerifierKey(PETER_VKEY);
    expect(k).not.toBeNull();
    expect(k!.name).toBe("PeterNeumann");
    expect(k!.keyId).toBe(0xc74f20a3);
    expect(k!.type).toBe(SIGNATURE_TYPE_ED25519);
    expect(k!.publicKey).toHaveLength(32);
    expect(computeKeyId("PeterNeumann", SIGNATURE_TYPE_ED25519, k!.publicKey)).toBe(0xc74f20a3);
    expect(encodeVerifierKey("PeterNeumann", SIGNATURE_TYPE_ED25519, k!.publicKey)).toBe(PETER_VKEY);
    expect(keyIdHex(0xaf0cfe78)).toBe("af0cfe78");
  });

  it("rejects every truncation and single-byte mangling (as the Go tests do)", async () => {
    const bytes = [...PETER_VKEY];
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i + 1; j <= bytes.length; j++) {
        if (i === 0 && j === bytes.length) continue;
        expect(parseVerifierKey(PETER_VKEY.slice(i, j))).toBeNull();
      }
    }
    for (let i = 0; i < bytes.length; i++) {
      const mangled = bytes.map((c, k) => (k === i ? String.fromCharCode(c.charCodeAt(0) + 1) : c)).join("");
      expect(parseVerifierKey(mangled)).toBeNull();
    }
    // Wrong key length and unknown algorithm, each with a matching key ID.
    expect(parseVerifierKey("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")).toBeNull();
    expect(parseVerifierKey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")?.type).toBe(0x65);
    expect(await verifierFromKey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")).toBeNull();
  });

  it("parses the Go reference signer key and rejects its manglings", async () => {
    const signer = await parseSignerKey(PETER_SKEY);
    expect(signer?.name).toBe("PeterNeumann");
    expect(signer?.keyId).toBe(0xc74f20a3);
    const bytes = [...PETER_SKEY];
    for (let i = 0; i < bytes.length; i++) {
      const mangled = bytes.map((c, k) => (k === i ? String.fromCharCode(c.charCodeAt(0) + 1) : c)).join("");
      expect(await parseSignerKey(mangled)).toBeNull();
    }
    for (const [i, j] of [[0, bytes.length - 1], [1, bytes.length], [0, 20], [12, bytes.length]] as const) {
      expect(await parseSignerKey(PETER_SKEY.slice(i, j))).toBeNull();
    }
  });

  it("validates key names like the signed-note spec", () => {
    expect(["PeterNeumann", "example.com/log", "ünïcode"].every(isValidKeyName)).toBe(true);
    expect(["", "a b", "a+b", "a\tb", "a\u00a0b", "a\u2003b"].some(isValidKeyName)).toBe(false);
  });

  it("generates key pairs that sign and verify", async () => {
    const { signerKey, verifierKey } = await generateNoteKey("EnochRoot");
    const signer = await parseSignerKey(signerKey);
    const v = await verifier(verifierKey);
    expect(signer!.keyId).toBe(v.keyId);
    const msg = await signNote("hi\n", [signer!]);
    expect((await openNote(msg, [v])).ok).toBe(true);
  });
});

describe("signed notes (Ed25519)", () => {
  it("reproduces the Go reference signature byte for byte", async () => {
    const signer = (await parseSignerKey(PETER_SKEY))!;
    expect(await signNote(TEXT, [signer])).toBe(`${TEXT}\n${PETER_SIG}`);
    // An existing signature by the same key is replaced, not duplicated.
    const stale = { name: "PeterNeumann", keyId: 0xc74f20a3, signature: utf8("BADSIGN") };
    expect(await signNote(TEXT, [signer], [stale])).toBe(`${TEXT}\n${PETER_SIG}`);
    await expect(signNote("abc", [signer])).rejects.toThrow(RangeError);
  });

  it("derives the reference public key from the seed", async () => {
    const seed = b64("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz").subarray(1);
    const { publicKey } = await ed25519FromSeed("PeterNeumann", seed);
    expect(toBase64(publicKey)).toBe(toBase64(b64("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").subarray(1)));
  });

  it("opens notes like the Go reference (TestOpen)", async () => {
    const peter = await verifier(PETER_VKEY);
    const enoch = await verifier(ENOCH_VKEY);
    const msg = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;

    const one = await openNote(msg, [peter]);
    expect(one.ok).toBe(true);
    if (!one.ok) return;
    expect(one.note.text).toBe(TEXT);
    expect(one.verified.map((s) => [s.name, s.keyId])).toEqual([["PeterNeumann", 0xc74f20a3]]);
    expect(one.unverified.map((s) => [s.name, s.keyId])).toEqual([["EnochRoot", 0xaf0cfe78]]);

    const both = await openNote(msg, [peter, enoch]);
    expect(both.ok && both.verified.map((s) => s.name)).toEqual(["PeterNeumann", "EnochRoot"]);

    const none = await openNote(msg, []);
    expect(none.ok).toBe(false);
    if (!none.ok) {
      expect(none.error).toBe("unverified");
      expect(none.note?.signatures).toHaveLength(2);
    }

    const dup = await openNote(`${TEXT}\n${ENOCH_SIG}`, [enoch, peter, enoch]);
    expect(!dup.ok && dup.error).toBe("ambiguous-key");
    expect((await openNote(`${TEXT}\n${PETER_SIG}`, [enoch, peter, enoch])).ok).toBe(true);

    const tooMany = await openNote(`${TEXT}\n${PETER_SIG.repeat(MAX_SIGNATURES + 1)}`, [peter]);
    expect(!tooMany.ok && tooMany.error).toBe("malformed");
    expect((await openNote(`${TEXT}\n${PETER_SIG.repeat(MAX_SIGNATURES)}`, [peter])).ok).toBe(true);

    const corrupted = `${TEXT}\n${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`;
    const bad = await openNote(corrupted, [peter]);
    expect(!bad.ok && bad.error).toBe("invalid-signature");
    expect(!bad.ok && bad.detail).toBe("invalid signature for key PeterNeumann+c74f20a3");

    // Repeated signatures are collapsed; a corrupted unknown signature is merely unverified.
    const enochCorrupt = `${ENOCH_SIG.slice(0, 60)}ABCD${ENOCH_SIG.slice(60)}`;
    const repeated = await openNote(`${TEXT}\n${PETER_SIG}${PETER_SIG}${ENOCH_SIG}${ENOCH_SIG}${enochCorrupt}`, [peter]);
    expect(repeated.ok).toBe(true);
    if (repeated.ok) {
      expect(repeated.verified).toHaveLength(1);
      expect(repeated.unverified).toHaveLength(2);
    }
  });

  it.each([
    ["text only", TEXT],
    ["no signatures", `${TEXT}\n`],
    ["no final newline", `${TEXT}\n${PETER_SIG.slice(0, -1)}`],
    ["control character", `\x01${TEXT}\n${PETER_SIG}`],
    ["bad name", `${TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`],
    ["trailing line", `${TEXT}\n${PETER_SIG}Unexpected line.\n`],
    ["hyphen instead of em dash", `${TEXT}\n- ${PETER_SIG.slice(2)}`],
    ["unpadded base64", `${TEXT}\n${PETER_SIG.replace("=\n", "\n")}`],
    ["short signature", `${TEXT}\n— PeterNeumann x08gow==\n`],
  ])("rejects a malformed note: %s", async (_, msg) => {
    const r = await openNote(msg, [await verifier(PETER_VKEY)]);
    expect(!r.ok && r.error).toBe("malformed");
    expect(parseNote(msg)).toBeNull();
  });

  it("rejects invalid UTF-8 given as bytes", () => {
    const bytes = utf8(`${TEXT}\n${PETER_SIG}`);
    expect(parseNote(bytes)?.text).toBe(TEXT);
    expect(parseNote(new Uint8Array([0xff, ...bytes]))).toBeNull();
  });

  it("separates text from signatures at the last blank line (signed-note example)", () => {
    const note = parseNote(
      "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n",
    );
    expect(note?.text).toBe("Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n");
    expect(note?.signatures[0]?.name).toBe("quasimodo.example/salvatore");
    expect(note?.signatures[0]?.keyId).toBe(0x367ba04b);
  });

  it("refuses to sign malformed text or emit invalid notes", async () => {
    const signer = (await parseSignerKey(PETER_SKEY))!;
    await expect(signNote("a\u0000b\n", [signer])).rejects.toThrow(RangeError);
    expect(() => formatNote({ text: TEXT, signatures: [] })).toThrow(RangeError);
    expect(() => formatNote({ text: TEXT, signatures: [{ name: "a b", keyId: 1, signature: new Uint8Array(1) }] })).toThrow(RangeError);
  });

  it("rejects Ed25519 verifiers with the wrong key size", async () => {
    await expect(ed25519Verifier("x", new Uint8Array(31))).rejects.toThrow(RangeError);
  });
});

// A real RFC 6962 STH (FiloSottile/sunlight checkpoint_test.go, from Google's Argon 2020 log).
const STH = {
  spki: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAESYlKFDLLFmA9JScaiaNnqlU8oWDytxIYMfswHy9Esg0aiX+WnP/yj4O0ViEHtLwbmOQeSWBGkIu9YK9CLeer+g==",
  root: "l+XrWXWRyp4SmATORgTfz4CcYS/VlE7CeTuWI0FAk3o=",
  timestamp: 1588741228371,
  size: 90785920,
  signature: "BAMASDBGAiEAnaHGuwnyyHWvrfgEn3qtl1j2heMzocku6ZAItYD75m8CIQCpotlpH5GEPEfMMzky72BCuIl14FB65t5SWZ91vgTQOg==",
};

describe("RFC 6962 note signatures (static-ct-api)", () => {
  it("turns a real get-sth signature into a checkpoint signature that verifies", async () => {
    const spki = toBytes(b64(STH.spki));
    const logId = await logIdFromSpki(spki);
    const text = formatCheckpoint({ origin: "example.com", size: STH.size, rootHash: b64(STH.root), extensions: [] });
    const sig = rfc6962NoteSignature("example.com", logId, STH.timestamp, decodeDigitallySigned(b64(STH.signature)));
    expect(sig.keyId).toBe(computeKeyId("example.com", 0x05, logId));
    const msg = formatNote({ text, signatures: [sig] });
    const v = await rfc6962Verifier("example.com", spki);
    expect(v.keyId).toBe(rfc6962KeyId("example.com", logId));

    const opened = await openNote(msg, [v]);
    expect(opened.ok).toBe(true);
    if (opened.ok) expect(rfc6962SignatureTimestamp(opened.verified[0]!)).toBe(STH.timestamp);

    // The signature covers size, root and timestamp; extension lines are not allowed.
    const wrongSize = formatNote({ text: text.replace(String(STH.size), String(STH.size + 1)), signatures: [sig] });
    expect(await openNote(wrongSize, [v])).toMatchObject({ ok: false, error: "invalid-signature" });
    const wrongTime = rfc6962NoteSignature("example.com", logId, STH.timestamp + 1, decodeDigitallySigned(b64(STH.signature)));
    expect(await openNote(formatNote({ text, signatures: [wrongTime] }), [v])).toMatchObject({ ok: false, error: "invalid-signature" });
    expect(await openNote(formatNote({ text: `${text}extension\n`, signatures: [sig] }), [v])).toMatchObject({ ok: false, error: "invalid-signature" });
    // The origin line must match the key name.
    const otherOrigin = formatNote({ text: text.replace("example.com", "example.org"), signatures: [sig] });
    expect(await openNote(otherOrigin, [v])).toMatchObject({ ok: false, error: "invalid-signature" });
  });

  it("signs checkpoints with a fresh P-256 key", async () => {
    const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const spki = new Uint8Array((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
    const origin = "ct.example/2026h1";
    const signer = await rfc6962Signer(origin, pair.privateKey, spki, 1_700_000_000_123);
    const text = formatCheckpoint({ origin, size: 42, rootHash: new Uint8Array(32).fill(7), extensions: [] });
    const msg = await signNote(text, [signer]);
    const opened = await openNote(msg, [await rfc6962Verifier(origin, spki)]);
    expect(opened.ok).toBe(true);
    if (opened.ok) {
      expect(rfc6962SignatureTimestamp(opened.verified[0]!)).toBe(1_700_000_000_123);
      // uint64 timestamp, then DigitallySigned with sha256(4)/ecdsa(3).
      const body = opened.verified[0]!.signature;
      expect([body[8], body[9]]).toEqual([4, 3]);
    }
    await expect(signNote(`${text}ext\n`, [signer])).rejects.toThrow(RangeError);
    await expect(signNote(text.replace(origin, "other.example"), [signer])).rejects.toThrow(RangeError);
  });
});
