// An independent check of the audit log from what it publishes: the checkpoint's signature
// against the published verifier key, every entry bundle and hash tile recomputed from the
// entries (so a changed byte anywhere is caught), and an inclusion proof of one entry, found by
// its request hash or index, against the signed root. Used by `npm run audit:verify`.

import { type Bytes, bytesEqual, toHex } from "../encoding/bytes.ts";
import { leafHash } from "../merkle/hash.ts";
import { inclusionProof, verifyInclusion } from "../merkle/proofs.ts";
import { TILE_WIDTH, tilePath, tileNodeReader, tileSourceFrom, tilesFromLeafHashes } from "../merkle/tiles.ts";
import { parseCheckpoint } from "../note/checkpoint.ts";
import { openNote, verifierFromKey } from "../note/note.ts";
import { type AuditEntry, decodeEntry, entriesTilePath, splitBundle } from "./entry.ts";

/** Fetches a published object by its path under the log's prefix; null when it does not exist. */
export type Fetcher = (path: string) => Promise<Uint8Array | null>;

export type Target = { requestHash: string } | { index: number };

export interface Verified {
  origin: string;
  size: number;
  root: string;
  index: number;
  entry: AuditEntry;
  proof: string[];
}

export type VerifyResult = { ok: true; value: Verified } | { ok: false; error: string };

const bad = (error: string): VerifyResult => ({ ok: false, error });

export async function verifyAuditLog(fetch: Fetcher, verifierKey: string, target: Target): Promise<VerifyResult> {
  const verifier = await verifierFromKey(verifierKey);
  if (!verifier) return bad("the verifier key is not a signed-note key");
  const raw = await fetch("checkpoint");
  if (!raw) return bad("the checkpoint is missing");
  const opened = await openNote(raw, [verifier]);
  if (!opened.ok) return bad(`the checkpoint does not verify: ${opened.detail}`);
  const cp = parseCheckpoint(opened.note.text);
  if (!cp) return bad("the signed note is not a checkpoint");
  if (cp.size === 0) return bad("the log is empty");

  const entries: Uint8Array[] = [];
  const bundles = Math.ceil(cp.size / TILE_WIDTH);
  for (let n = 0; n < bundles; n++) {
    const width = Math.min(TILE_WIDTH, cp.size - n * TILE_WIDTH);
    const path = entriesTilePath(n, width);
    const bundle = await fetch(path);
    if (!bundle) return bad(`${path} is missing`);
    const split = splitBundle(bundle);
    if (!split || split.length !== width) return bad(`${path} is not a bundle of ${width} entries`);
    entries.push(...split);
  }
  const leafHashes = entries.map((e) => leafHash(e));
  const tiles = tilesFromLeafHashes(leafHashes);
  for (const t of tiles) {
    const path = tilePath(t.tile);
    const published = await fetch(path);
    if (!published) return bad(`${path} is missing`);
    if (!bytesEqual(published, t.hashes)) return bad(`${path} does not match the hashes of the published entries`);
  }
  const source = tileSourceFrom(tiles);
  const proofFor = (i: number): Bytes[] => inclusionProof(i, cp.size, tileNodeReader(source));
  // The root from the recomputed tree, checked by proving the target below against the signed root.
  let index: number;
  if ("index" in target) {
    index = target.index;
    if (!Number.isSafeInteger(index) || index < 0 || index >= cp.size) return bad(`index ${index} is outside the tree of size ${cp.size}`);
  } else {
    index = entries.findIndex((e) => decodeEntry(e)?.requestHash === target.requestHash);
    if (index < 0) return bad(`no entry for request ${target.requestHash} in the tree of size ${cp.size}`);
  }
  const entry = decodeEntry(entries[index]!);
  if (!entry) return bad(`entry ${index} is not an audit entry`);
  const proof = proofFor(index);
  if (!verifyInclusion(leafHashes[index]!, index, cp.size, proof, cp.rootHash)) return bad(`entry ${index} is not included under the signed root: the published tree does not match the checkpoint`);
  return { ok: true, value: { origin: cp.origin, size: cp.size, root: toHex(cp.rootHash), index, entry, proof: proof.map(toHex) } };
}
