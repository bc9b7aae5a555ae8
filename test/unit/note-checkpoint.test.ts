import { describe, expect, it } from "vitest";
import { fromBase64, toBase64 } from "../../src/encoding/bytes.ts";
import { formatCheckpoint, parseCheckpoint } from "../../src/note/checkpoint.ts";
import { parseNote } from "../../src/note/note.ts";

// The example checkpoint of c2sp.org/tlog-checkpoint.
const SPEC_TEXT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
const SPEC_NOTE = `${SPEC_TEXT}\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n`;

describe("tlog-checkpoint note text", () => {
  it("parses the specification example", () => {
    const c = parseCheckpoint(SPEC_TEXT);
    expect(c).not.toBeNull();
    expect(c!.origin).toBe("example.com/behind-the-sofa");
    expect(c!.size).toBe(20852163);
    expect(toBase64(c!.rootHash)).toBe("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
    expect(c!.extensions).toEqual([]);
    expect(formatCheckpoint(c!)).toBe(SPEC_TEXT);
  });

  it("is the text of the signed example note", () => {
    const note = parseNote(SPEC_NOTE);
    expect(note?.text).toBe(SPEC_TEXT);
    expect(note?.signatures.map((s) => s.name)).toEqual(["example.com/behind-the-sofa"]);
  });

  it("keeps extension lines and the empty tree", () => {
    const root = fromBase64("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")!;
    const text = formatCheckpoint({ origin: "log.example/a", size: 0, rootHash: root, extensions: ["ext one", "ext two"] });
    expect(text).toBe("log.example/a\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\next two\n");
    expect(parseCheckpoint(text)).toEqual({ origin: "log.example/a", size: 0, rootHash: root, extensions: ["ext one", "ext two"] });
  });

  const root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
  it.each([
    ["no final newline", `o\n1\n${root}`],
    ["two lines", "o\n1\n"],
    ["empty origin", `\n1\n${root}\n`],
    ["leading zero", `o\n01\n${root}\n`],
    ["sign", `o\n+1\n${root}\n`],
    ["negative", `o\n-1\n${root}\n`],
    ["hex size", `o\n0x1\n${root}\n`],
    ["size beyond 2^53", `o\n18446744073709551615\n${root}\n`],
    ["short hash", "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx\n"],
    ["unpadded hash", "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n"],
    ["non-canonical hash", "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n"],
    ["url-safe hash", "o\n1\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n"],
    ["empty extension line", `o\n1\n${root}\n\n`],
    ["control character", `o\t\n1\n${root}\n`],
    ["carriage return", `o\r\n1\r\n${root}\r\n`],
  ])("rejects %s", (_, text) => {
    expect(parseCheckpoint(text)).toBeNull();
  });

  it("refuses to format invalid checkpoints", () => {
    const rootHash = new Uint8Array(32);
    expect(() => formatCheckpoint({ origin: "", size: 1, rootHash, extensions: [] })).toThrow(RangeError);
    expect(() => formatCheckpoint({ origin: "a\nb", size: 1, rootHash, extensions: [] })).toThrow(RangeError);
    expect(() => formatCheckpoint({ origin: "o", size: -1, rootHash, extensions: [] })).toThrow(RangeError);
    expect(() => formatCheckpoint({ origin: "o", size: 1, rootHash: new Uint8Array(31), extensions: [] })).toThrow(RangeError);
    expect(() => formatCheckpoint({ origin: "o", size: 1, rootHash, extensions: [""] })).toThrow(RangeError);
  });
});
