// The CT log end to end inside workerd: chains issued by our CA are submitted over RFC 6962,
// and everything is checked back through the public read paths with src/merkle, src/note and
// src/ct (SCT signatures, checkpoint signatures, roots recomputed from tiles, proofs, entries).

import { describe, expect, it } from "vitest";
import { parseLeafIndex, decodeMerkleTreeLeaf, encodeMerkleTreeLeaf, merkleLeafHash, verifySct, decodeDigitallySigned, treeHeadSignatureInput, verifyDigitallySigned, type SignedEntry } from "../../src/ct/structures.ts";
import { TlsReader } from "../../src/ct/tls.ts";
import { bytesEqual, fromBase64, sha256, toBase64 } from "../../src/encoding/bytes.ts";
import { leafHash } from "../../src/merkle/hash.ts";
import { verifyConsistency, verifyInclusion } from "../../src/merkle/proofs.ts";
import { parseCheckpoint } from "../../src/note/checkpoint.ts";
import { openNote, rfc6962Verifier, verifierFromKey } from "../../src/note/note.ts";
import { x509 } from "../../src/x509/peculiar.ts";
import { LOG, ORIGIN, type SctJson, getBytes, issueChain, logPublicKey, logV3, precertificateFor, rootFromServedTiles, submit, unloggedChain } from "../support/ct-helpers.ts";
import { call } from "../support/worker-helpers.ts";

async function verifiedCheckpoint() {
  const meta = await logV3();
  const { spki } = await logPublicKey();
  const text = await getBytes(`/${LOG}/checkpoint`);
  expect(text).not.toBeNull();
  const ed = await verifierFromKey(meta.note_verifier_key);
  const opened = await openNote(text!, [ed!, await rfc6962Verifier(ORIGIN, spki)]);
  expect(opened.ok, opened.ok ? "" : opened.detail).toBe(true);
  if (!opened.ok) throw new Error("unreachable");
  expect(opened.verified).toHaveLength(2);
  return parseCheckpoint(opened.note.text)!;
}

async function sctOf(res: Response): Promise<SctJson> {
  const body = (await res.json()) as SctJson;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

async function checkSct(sct: SctJson, entry: SignedEntry): Promise<number> {
  const { key, logId } = await logPublicKey();
  expect(sct.sct_version).toBe(0);
  expect(sct.id).toBe(toBase64(logId));
  const extensions = fromBase64(sct.extensions)!;
  const signature = decodeDigitallySigned(fromBase64(sct.signature)!);
  expect(await verifySct(key, { logId, timestamp: sct.timestamp, extensions, signature }, entry)).toBe(true);
  const index = parseLeafIndex(extensions);
  expect(index).not.toBeNull();
  return index!;
}

describe("CT log: submission", () => {
  it("logs a chain issued by our CA and returns a valid SCT with its leaf index", async () => {
    const { leaf, intermediate } = await issueChain();
    const sct = await sctOf(await submit("add-chain", [leaf, intermediate]));
    const index = await checkSct(sct, { type: "x509", certificate: leaf });
    const cp = await verifiedCheckpoint();
    expect(cp.origin).toBe(ORIGIN);
    expect(cp.size).toBeGreaterThan(index);
    // The entry at that index is the certificate (static-ct-api data tile, RFC 6962 get-entries).
    const got = (await (await call(`/${LOG}/ct/v1/get-entries?start=${index}&end=${index}`)).json()) as { entries: { leaf_input: string; extra_data: string }[] };
    const leafInput = decodeMerkleTreeLeaf(fromBase64(got.entries[0]!.leaf_input)!);
    expect(leafInput.entry.type).toBe("x509");
    expect(bytesEqual((leafInput.entry as { certificate: Uint8Array }).certificate, leaf)).toBe(true);
    expect(leafInput.timestamp).toBe(sct.timestamp);
    // extra_data: certificate_chain = intermediate, then the root the log appended.
    const extra = new TlsReader(fromBase64(got.entries[0]!.extra_data)!).vector(3);
    expect(bytesEqual(extra.opaque(3), intermediate)).toBe(true);
    const root = extra.opaque(3);
    const ca = (await (await call("/api/v1/ca")).json()) as { root: { pem: string } };
    expect(bytesEqual(root, new Uint8Array(new x509.X509Certificate(ca.root.pem).rawData))).toBe(true);
    // The issuer is served at its fingerprint.
    const issuer = await getBytes(`/${LOG}/issuer/${Array.from(await sha256(intermediate), (b) => b.toString(16).padStart(2, "0")).join("")}`);
    expect(issuer && bytesEqual(issuer, intermediate)).toBe(true);
  });

  it("accepts the chain with the root included, and at /ct/v1 as well", async () => {
    const { leaf, intermediate } = await issueChain();
    const roots = (await (await call("/ct/v1/get-roots")).json()) as { certificates: string[] };
    expect(roots.certificates.length).toBeGreaterThanOrEqual(1);
    const sct = await sctOf(await submit("add-chain", [leaf, intermediate, fromBase64(roots.certificates[0]!)!], "/ct/v1"));
    await checkSct(sct, { type: "x509", certificate: leaf });
  });

  it("deduplicates: a resubmission gets the same index and timestamp and a valid SCT", async () => {
    const { leaf, intermediate } = await issueChain();
    const first = await sctOf(await submit("add-chain", [leaf, intermediate]));
    const sizeAfterFirst = (await verifiedCheckpoint()).size;
    const again = await Promise.all([submit("add-chain", [leaf, intermediate]), submit("add-chain", [leaf, intermediate])]);
    for (const res of again) {
      const sct = await sctOf(res);
      expect(sct.timestamp).toBe(first.timestamp);
      expect(await checkSct(sct, { type: "x509", certificate: leaf })).toBe(await checkSct(first, { type: "x509", certificate: leaf }));
    }
    expect((await verifiedCheckpoint()).size).toBe(sizeAfterFirst);
  });

  it("sequences a burst through the batchers: every submission gets its own index, copies of one certificate share theirs", async () => {
    const chains = await Promise.all(Array.from({ length: 24 }, () => unloggedChain()));
    // Each distinct chain twice, all at once: batches carry duplicates and spread over the batchers.
    const scts = await Promise.all([...chains, ...chains].map((c) => submit("add-chain", [c.leaf, c.intermediate]).then(sctOf)));
    const indices = await Promise.all(scts.map((sct, i) => checkSct(sct, { type: "x509", certificate: chains[i % chains.length]!.leaf })));
    for (let i = 0; i < chains.length; i++) expect(indices[i + chains.length]).toBe(indices[i]);
    expect(new Set(indices).size).toBe(chains.length);
    expect((await verifiedCheckpoint()).size).toBeGreaterThan(Math.max(...indices));
  });

  it("logs a precertificate via add-pre-chain with the RFC 6962 issuer key hash and TBS, and refuses it via add-chain", async () => {
    const { leaf, intermediate } = await issueChain();
    const { precert, tbs } = await precertificateFor(leaf);
    const refused = await submit("add-chain", [precert, intermediate]);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/precertificate/);
    const notPrecert = await submit("add-pre-chain", [leaf, intermediate]);
    expect(notPrecert.status).toBe(400);

    const sct = await sctOf(await submit("add-pre-chain", [precert, intermediate]));
    const spki = new Uint8Array(new x509.X509Certificate(intermediate).publicKey.rawData);
    const entry: SignedEntry = { type: "precert", issuerKeyHash: await sha256(spki), tbsCertificate: tbs };
    const index = await checkSct(sct, entry);
    const got = (await (await call(`/${LOG}/ct/v1/get-entries?start=${index}&end=${index}`)).json()) as { entries: { leaf_input: string; extra_data: string }[] };
    const leafInput = decodeMerkleTreeLeaf(fromBase64(got.entries[0]!.leaf_input)!);
    expect(leafInput.entry.type).toBe("precert");
    // extra_data: PrecertChainEntry starts with the submitted precertificate.
    expect(bytesEqual(new TlsReader(fromBase64(got.entries[0]!.extra_data)!).opaque(3), precert)).toBe(true);
  });
});

describe("CT log: read paths agree with each other", () => {
  it("serves tiles whose root is the checkpoint's, and RFC 6962 proofs that verify", async () => {
    const before = await verifiedCheckpoint();
    const submitted: { leaf: Uint8Array; sct: SctJson }[] = [];
    const chains = await Promise.all(Array.from({ length: 12 }, () => issueChain()));
    const responses = await Promise.all(chains.map((c) => submit("add-chain", [c.leaf, c.intermediate])));
    for (const [i, res] of responses.entries()) submitted.push({ leaf: chains[i]!.leaf, sct: await sctOf(res) });
    const after = await verifiedCheckpoint();
    expect(after.size).toBeGreaterThanOrEqual(before.size + 12);
    expect(bytesEqual(await rootFromServedTiles(after.size), after.rootHash)).toBe(true);

    const sth = (await (await call(`/${LOG}/ct/v1/get-sth`)).json()) as { tree_size: number; timestamp: number; sha256_root_hash: string; tree_head_signature: string };
    expect(sth.tree_size).toBe(after.size);
    expect(sth.sha256_root_hash).toBe(toBase64(after.rootHash));
    const { key } = await logPublicKey();
    expect(await verifyDigitallySigned(key, treeHeadSignatureInput(sth.timestamp, sth.tree_size, after.rootHash), decodeDigitallySigned(fromBase64(sth.tree_head_signature)!))).toBe(true);

    if (before.size > 0) {
      const cons = (await (await call(`/${LOG}/ct/v1/get-sth-consistency?first=${before.size}&second=${after.size}`)).json()) as { consistency: string[] };
      expect(verifyConsistency(before.size, after.size, cons.consistency.map((p) => fromBase64(p)!), before.rootHash, after.rootHash)).toBe(true);
    }
    for (const { leaf, sct } of submitted) {
      const index = parseLeafIndex(fromBase64(sct.extensions)!)!;
      const entries = (await (await call(`/${LOG}/ct/v1/get-entries?start=${index}&end=${index}`)).json()) as { entries: { leaf_input: string }[] };
      const leafInput = fromBase64(entries.entries[0]!.leaf_input)!;
      const decoded = decodeMerkleTreeLeaf(leafInput);
      expect(bytesEqual((decoded.entry as { certificate: Uint8Array }).certificate, leaf)).toBe(true);
      const hash = leafHash(leafInput);
      expect(bytesEqual(hash, merkleLeafHash(decoded))).toBe(true);
      const byHash = (await (await call(`/${LOG}/ct/v1/get-proof-by-hash?hash=${encodeURIComponent(toBase64(hash))}&tree_size=${after.size}`)).json()) as { leaf_index: number; audit_path: string[] };
      expect(byHash.leaf_index).toBe(index);
      expect(verifyInclusion(hash, index, after.size, byHash.audit_path.map((p) => fromBase64(p)!), after.rootHash)).toBe(true);
      const ep = (await (await call(`/${LOG}/ct/v1/get-entry-and-proof?leaf_index=${index}&tree_size=${after.size}`)).json()) as { leaf_input: string; audit_path: string[] };
      expect(ep.leaf_input).toBe(toBase64(encodeMerkleTreeLeaf(decoded)));
      expect(verifyInclusion(hash, index, after.size, ep.audit_path.map((p) => fromBase64(p)!), after.rootHash)).toBe(true);
    }
  });

  it("serves static assets with the static-ct-api headers", async () => {
    const { leaf, intermediate } = await issueChain();
    await sctOf(await submit("add-chain", [leaf, intermediate]));
    const cp = await call(`/${LOG}/checkpoint`);
    expect(cp.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(cp.headers.get("cache-control")).toMatch(/max-age=1\b/);
    await cp.arrayBuffer();
    const size = (await verifiedCheckpoint()).size;
    const width = size % 256 || 256;
    const path = width === 256 ? `/${LOG}/tile/0/000` : `/${LOG}/tile/0/000.p/${width}`;
    for (const p of [path, path.replace("/tile/0/", "/tile/data/")]) {
      const res = await call(p);
      expect(res.status, p).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/octet-stream");
      expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      await res.arrayBuffer();
    }
    expect((await call(`/${LOG}/tile/0/0000`)).status).toBe(404);
    expect((await call(`/${LOG}/tile/6/000`)).status).toBe(404);
    expect((await call(`/other-log/checkpoint`)).status).toBe(404);
    const meta = await logV3();
    expect(meta.submission_url).toBe(`http://${ORIGIN}/`);
    expect(meta.checkpoint_origin).toBe(ORIGIN);
    const { spki, logId } = await logPublicKey();
    expect(bytesEqual(await sha256(spki), logId)).toBe(true);
  });
});
