import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { describe, expect, it } from "vitest";
import { fromBase64, fromHex, toBytes, toHex, utf8 } from "../../src/encoding/bytes.ts";
import { leafHash } from "../../src/merkle/hash.ts";
import {
  decodeCtExtensions,
  decodeDataTile,
  decodeDigitallySigned,
  decodeMerkleTreeLeaf,
  decodeSct,
  decodeSctList,
  encodeCtExtensions,
  encodeDataTile,
  encodeDigitallySigned,
  encodeMerkleTreeLeaf,
  encodeSct,
  encodeSctList,
  encodeTileLeaf,
  encodeTimestampedEntry,
  leafIndexExtensions,
  logIdFromSpki,
  merkleLeafHash,
  parseLeafIndex,
  sctListExtensionValue,
  sctSignatureInput,
  type SignedEntry,
  signSct,
  signTreeHead,
  type TileLeaf,
  treeHeadSignatureInput,
  verifyDigitallySigned,
  verifySct,
} from "../../src/ct/structures.ts";
import { TlsDecodeError } from "../../src/ct/tls.ts";

const hex = (s: string) => {
  const b = fromHex(s);
  if (b === null) throw new Error(`bad hex ${s}`);
  return b;
};

// Known answers from google/certificate-transparency cpp/proto/serializer_test.cc (v1 forms).
const DUMMY_LOG_ID = utf8("iamapublickeyshatwofivesixdigest");
const SCT_HEX =
  "00" + "69616d617075626c69636b657973686174776f66697665736978646967657374" + "00000000000004d2" + "0000" + "0403" + "0009" + "7369676e6174757265";
const SCT_LIST_HEX = "003a" + "0038" + SCT_HEX;
const CERT_SCT_SIGNED_HEX = "00" + "00" + "00000000000004d2" + "0000" + "00000b" + "6365727469666963617465" + "0000";
const CERT_SCT_SIGNED_EXT_HEX = "00" + "00" + "00000000000004d2" + "0000" + "00000b" + "6365727469666963617465" + "0005" + "68656c6c6f";
const PRECERT_SCT_SIGNED_HEX =
  "00" + "00" + "00000000000004d2" + "0001" + "69616d617075626c69636b657973686174776f66697665736978646967657374" + "000003" + "746273" + "0000";
const CERT_LEAF_HEX = "00" + "00" + "00000000000004d2" + "0000" + "00000b" + "6365727469666963617465" + "0000";
const PRECERT_LEAF_HEX =
  "00" + "00" + "00000000000004d2" + "0001" + "69616d617075626c69636b657973686174776f66697665736978646967657374" + "000003" + "746273" + "0000";
const STH_SIGNED_HEX = "00" + "01" + "0000000000000929" + "0000000000000006" + "696d757374626565786163746c7974686972747974776f62797465736c6f6e67";

const CERT: SignedEntry = { type: "x509", certificate: utf8("certificate") };
const PRECERT: SignedEntry = { type: "precert", issuerKeyHash: DUMMY_LOG_ID, tbsCertificate: utf8("tbs") };

describe("RFC 6962 serialization known answers", () => {
  it("serializes SCT signature input for certificates and precertificates (§3.2)", () => {
    expect(toHex(sctSignatureInput({ timestamp: 1234, entry: CERT, extensions: new Uint8Array(0) }))).toBe(CERT_SCT_SIGNED_HEX);
    expect(toHex(sctSignatureInput({ timestamp: 1234, entry: CERT, extensions: utf8("hello") }))).toBe(CERT_SCT_SIGNED_EXT_HEX);
    expect(toHex(sctSignatureInput({ timestamp: 1234, entry: PRECERT, extensions: new Uint8Array(0) }))).toBe(PRECERT_SCT_SIGNED_HEX);
  });

  it("serializes MerkleTreeLeaf (§3.4) and parses it back", () => {
    const cert = { timestamp: 1234, entry: CERT, extensions: new Uint8Array(0) };
    const pre = { timestamp: 1234, entry: PRECERT, extensions: new Uint8Array(0) };
    expect(toHex(encodeMerkleTreeLeaf(cert))).toBe(CERT_LEAF_HEX);
    expect(toHex(encodeMerkleTreeLeaf(pre))).toBe(PRECERT_LEAF_HEX);
    expect(decodeMerkleTreeLeaf(hex(PRECERT_LEAF_HEX))).toEqual({ timestamp: 1234, entry: { ...PRECERT, issuerKeyHash: toBytes(DUMMY_LOG_ID), tbsCertificate: utf8("tbs") }, extensions: new Uint8Array(0) });
    expect(toHex(merkleLeafHash(cert))).toBe(toHex(leafHash(hex(CERT_LEAF_HEX))));
    expect(() => decodeMerkleTreeLeaf(hex(`${CERT_LEAF_HEX}00`))).toThrow(TlsDecodeError);
    expect(() => decodeMerkleTreeLeaf(hex(`01${CERT_LEAF_HEX.slice(2)}`))).toThrow(TlsDecodeError);
    expect(() => decodeMerkleTreeLeaf(hex(CERT_LEAF_HEX.replace("0000000b", "0002000b")))).toThrow(TlsDecodeError);
  });

  it("serializes the SCT (§3.2) and the SCT list (§3.3)", () => {
    const sct = {
      logId: DUMMY_LOG_ID,
      timestamp: 1234,
      extensions: new Uint8Array(0),
      signature: { hashAlgorithm: 4, signatureAlgorithm: 3, signature: utf8("signature") },
    };
    expect(toHex(encodeSct(sct))).toBe(SCT_HEX);
    expect(toHex(encodeSctList([encodeSct(sct)]))).toBe(SCT_LIST_HEX);
    expect(decodeSctList(hex(SCT_LIST_HEX)).map(toHex)).toEqual([SCT_HEX]);
    const back = decodeSct(hex(SCT_HEX));
    expect(back.timestamp).toBe(1234);
    expect(toHex(back.logId)).toBe(toHex(DUMMY_LOG_ID));
    expect(back.signature.signature).toEqual(utf8("signature"));
    expect(() => decodeSct(hex(`01${SCT_HEX.slice(2)}`))).toThrow(TlsDecodeError);
    expect(() => encodeSctList([])).toThrow(RangeError);
    expect(() => decodeSctList(hex("0000"))).toThrow(TlsDecodeError);
  });

  it("serializes the TreeHeadSignature input (§3.5)", () => {
    expect(toHex(treeHeadSignatureInput(2345, 6, utf8("imustbeexactlythirtytwobyteslong")))).toBe(STH_SIGNED_HEX);
    expect(() => treeHeadSignatureInput(2345, 6, new Uint8Array(31))).toThrow(RangeError);
  });

  it("verifies a real STH signature from Google's Argon 2020 log (via sunlight's test data)", async () => {
    const spki = toBytes(fromBase64("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAESYlKFDLLFmA9JScaiaNnqlU8oWDytxIYMfswHy9Esg0aiX+WnP/yj4O0ViEHtLwbmOQeSWBGkIu9YK9CLeer+g==")!);
    const key = await crypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    const ds = decodeDigitallySigned(fromBase64("BAMASDBGAiEAnaHGuwnyyHWvrfgEn3qtl1j2heMzocku6ZAItYD75m8CIQCpotlpH5GEPEfMMzky72BCuIl14FB65t5SWZ91vgTQOg==")!);
    expect([ds.hashAlgorithm, ds.signatureAlgorithm]).toEqual([4, 3]);
    const root = fromBase64("l+XrWXWRyp4SmATORgTfz4CcYS/VlE7CeTuWI0FAk3o=")!;
    expect(await verifyDigitallySigned(key, treeHeadSignatureInput(1588741228371, 90785920, root), ds)).toBe(true);
    expect(await verifyDigitallySigned(key, treeHeadSignatureInput(1588741228372, 90785920, root), ds)).toBe(false);
    expect(await verifyDigitallySigned(key, treeHeadSignatureInput(1588741228371, 90785920, root), { ...ds, signatureAlgorithm: 1 })).toBe(false);
    expect(toHex(encodeDigitallySigned(ds))).toBe(toHex(fromBase64("BAMASDBGAiEAnaHGuwnyyHWvrfgEn3qtl1j2heMzocku6ZAItYD75m8CIQCpotlpH5GEPEfMMzky72BCuIl14FB65t5SWZ91vgTQOg==")!));
    // RFC 6962 §3.2: the LogID is the SHA-256 of the DER SPKI.
    expect(toHex(await logIdFromSpki(spki))).toBe(toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", spki))));
  });
});

describe("static-ct-api leaf_index extension", () => {
  it("is 8 bytes: type 0, length 5, a uint40", () => {
    expect(toHex(leafIndexExtensions(0x0102030405))).toBe("0000050102030405");
    expect(leafIndexExtensions(0)).toHaveLength(8);
    expect(parseLeafIndex(leafIndexExtensions(2 ** 40 - 1))).toBe(2 ** 40 - 1);
    expect(() => leafIndexExtensions(2 ** 40)).toThrow(RangeError);
    expect(() => leafIndexExtensions(-1)).toThrow(RangeError);
  });
  it("is found among other extensions in any order and must be unique", () => {
    const other = { type: 7, data: utf8("x") };
    const body = encodeCtExtensions([other, { type: 0, data: hex("000000002a") }]);
    expect(parseLeafIndex(body)).toBe(42);
    expect(decodeCtExtensions(body)).toEqual([{ type: 7, data: utf8("x") }, { type: 0, data: hex("000000002a") }]);
    expect(() => encodeCtExtensions([other, other])).toThrow(RangeError);
    expect(() => decodeCtExtensions(hex("000000000003000000"))).toThrow(TlsDecodeError);
    expect(parseLeafIndex(hex("000000000003000000"))).toBeNull();
    expect(parseLeafIndex(new Uint8Array(0))).toBeNull();
    expect(parseLeafIndex(hex("00000400000001"))).toBeNull();
    expect(parseLeafIndex(hex("0000050000"))).toBeNull();
  });
});

describe("issuing and verifying SCTs", () => {
  it("signs an SCT whose signature is DER ECDSA inside DigitallySigned and covers the leaf index", async () => {
    const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const spki = new Uint8Array((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
    const logId = await logIdFromSpki(spki);
    const { sct, timestampedEntry } = await signSct(pair.privateKey, logId, 1_700_000_000_000, PRECERT, 12345);
    expect(parseLeafIndex(sct.extensions)).toBe(12345);
    expect(sct.signature.signature[0]).toBe(0x30);
    expect(await verifySct(pair.publicKey, sct, PRECERT)).toBe(true);
    expect(await verifySct(pair.publicKey, sct, CERT)).toBe(false);
    expect(await verifySct(pair.publicKey, { ...sct, extensions: leafIndexExtensions(12346) }, PRECERT)).toBe(false);
    expect(await verifySct(pair.publicKey, { ...sct, timestamp: sct.timestamp + 1 }, PRECERT)).toBe(false);

    const encoded = encodeSct(sct);
    // version, log id, timestamp, then the 8-byte extensions vector.
    expect(toHex(encoded.subarray(41, 51))).toBe(`0008${toHex(leafIndexExtensions(12345))}`);
    const back = decodeSct(encoded);
    expect(await verifySct(pair.publicKey, back, PRECERT)).toBe(true);
    // The log stores exactly what was signed.
    expect(toHex(sctSignatureInput(timestampedEntry))).toBe(toHex(encodeMerkleTreeLeaf(timestampedEntry)));
  });

  it("signs tree heads with P-256 only", async () => {
    const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])) as CryptoKeyPair;
    const root = new Uint8Array(32).fill(9);
    const ds = await signTreeHead(pair.privateKey, 5, 6, root);
    expect(await verifyDigitallySigned(pair.publicKey, treeHeadSignatureInput(5, 6, root), ds)).toBe(true);
    expect(await verifyDigitallySigned(pair.publicKey, treeHeadSignatureInput(5, 7, root), ds)).toBe(false);
    const p384 = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, false, ["sign", "verify"])) as CryptoKeyPair;
    await expect(signTreeHead(p384.privateKey, 5, 6, root)).rejects.toThrow(TypeError);
    expect(await verifyDigitallySigned(p384.publicKey, treeHeadSignatureInput(5, 6, root), ds)).toBe(false);
  });

  it("wraps the SCT list in the DER OCTET STRING of the certificate extension", () => {
    const small = sctListExtensionValue([hex(SCT_HEX)]);
    expect(toHex(small)).toBe(`043c${SCT_LIST_HEX}`);
    expect(toHex(new Uint8Array(AsnConvert.parse(small, OctetString).buffer))).toBe(SCT_LIST_HEX);
    const big = sctListExtensionValue([hex(SCT_HEX), hex(SCT_HEX), hex(SCT_HEX)]);
    // Three 56-byte SCTs: 3 × (2 + 56) + 2 = 176 bytes, so the long length form 0x81 0xb0.
    expect(toHex(big.subarray(0, 3))).toBe("0481b0");
    expect(toHex(new Uint8Array(AsnConvert.parse(big, OctetString).buffer))).toBe(toHex(encodeSctList([hex(SCT_HEX), hex(SCT_HEX), hex(SCT_HEX)])));
    const huge = sctListExtensionValue([new Uint8Array(300).fill(1)]);
    expect(toHex(huge.subarray(0, 4))).toBe("04820130");
  });
});

describe("static-ct-api data tiles", () => {
  const fp1 = new Uint8Array(32).fill(0x11);
  const fp2 = new Uint8Array(32).fill(0x22);
  const x509Leaf: TileLeaf = {
    timestampedEntry: { timestamp: 1234, entry: { type: "x509", certificate: hex("3003020101") }, extensions: leafIndexExtensions(7) },
    chainFingerprints: [fp1],
  };
  const precertLeaf: TileLeaf = {
    timestampedEntry: { timestamp: 1235, entry: { type: "precert", issuerKeyHash: fp2, tbsCertificate: hex("3000") }, extensions: leafIndexExtensions(8) },
    preCertificate: hex("3001ff"),
    chainFingerprints: [fp2, fp1],
  };

  it("lays out a TileLeaf as TimestampedEntry, pre_certificate, then fingerprints", () => {
    expect(toHex(encodeTileLeaf(x509Leaf))).toBe(
      "00000000000004d2" + "0000" + "000005" + "3003020101" + "0008" + "0000050000000007" + "0020" + "11".repeat(32),
    );
    expect(toHex(encodeTileLeaf(precertLeaf))).toBe(
      "00000000000004d3" + "0001" + "22".repeat(32) + "000002" + "3000" + "0008" + "0000050000000008" + "000003" + "3001ff" + "0040" + "22".repeat(32) + "11".repeat(32),
    );
    // The TimestampedEntry prefix is the one hashed into the tree (after version and leaf type).
    expect(toHex(encodeTileLeaf(x509Leaf))).toContain(toHex(encodeTimestampedEntry(x509Leaf.timestampedEntry)));
  });

  it("round-trips a data tile and yields the level-0 leaf hashes", () => {
    const tile = encodeDataTile([x509Leaf, precertLeaf, x509Leaf]);
    const leaves = decodeDataTile(tile);
    expect(leaves).toHaveLength(3);
    expect(leaves.map((l) => toHex(encodeTileLeaf(l)))).toEqual([x509Leaf, precertLeaf, x509Leaf].map((l) => toHex(encodeTileLeaf(l))));
    expect(leaves[1]!.preCertificate).toEqual(hex("3001ff"));
    expect(leaves[0]!.preCertificate).toBeUndefined();
    expect(leaves.map((l) => parseLeafIndex(l.timestampedEntry.extensions))).toEqual([7, 8, 7]);
    expect(toHex(merkleLeafHash(leaves[1]!.timestampedEntry))).toBe(toHex(merkleLeafHash(precertLeaf.timestampedEntry)));
  });

  it("rejects malformed data tiles and inconsistent leaves", () => {
    const tile = encodeDataTile([x509Leaf]);
    expect(() => decodeDataTile(tile.subarray(0, tile.length - 1))).toThrow(TlsDecodeError);
    const badChain = hex("00000000000004d2" + "0000" + "000001" + "30" + "0000" + "0001" + "11");
    expect(() => decodeDataTile(badChain)).toThrow(TlsDecodeError);
    const badType = hex("00000000000004d2" + "0002" + "000001" + "30" + "0000" + "0000");
    expect(() => decodeDataTile(badType)).toThrow(TlsDecodeError);
    expect(() => encodeTileLeaf({ ...precertLeaf, preCertificate: undefined })).toThrow(RangeError);
    expect(() => encodeTileLeaf({ ...x509Leaf, preCertificate: hex("30") })).toThrow(RangeError);
    expect(() => encodeTileLeaf({ ...x509Leaf, chainFingerprints: [new Uint8Array(31)] })).toThrow(RangeError);
  });
});
