// One audit log round as a pure function: append entries after the current tree and compute the
// changed hash tiles and entry bundles and the new root, with the CT log's tile machinery
// (src/merkle/tiles.ts). Storage, signing and publication are the caller's (log.ts).

import { type Bytes, concatBytes } from "../encoding/bytes.ts";
import { leafHash } from "../merkle/hash.ts";
import { TILE_WIDTH, appendLeaves, tilePath } from "../merkle/tiles.ts";
import type { TileUpload, TreeState } from "../ct/sequencer.ts";
import { bundleEntries, entriesTilePath } from "./entry.ts";

export interface AuditRound {
  tree: TreeState;
  leafHashes: Bytes[];
  tiles: TileUpload[];
}

export function sequenceAudit(tree: TreeState, entries: readonly Uint8Array[], timestamp: number): AuditRound {
  const leafHashes = entries.map((e) => leafHash(e));
  const appended = appendLeaves(tree.edge, leafHashes);
  const tiles: TileUpload[] = appended.tiles.map((t) => ({ path: tilePath(t.tile), data: t.hashes, full: t.tile.width === TILE_WIDTH }));
  // Entry bundles mirror level-0 tiles; the partial bundle's bytes are carried in dataEdge.
  let index = Math.floor(tree.size / TILE_WIDTH);
  let count = tree.size % TILE_WIDTH;
  let pending: Uint8Array[] = tree.dataEdge.length > 0 ? [tree.dataEdge] : [];
  let dataEdge: Bytes = new Uint8Array(0);
  for (const e of entries) {
    pending.push(bundleEntries([e]));
    count++;
    if (count === TILE_WIDTH) {
      tiles.push({ path: entriesTilePath(index, TILE_WIDTH), data: concatBytes(pending), full: true });
      index++;
      count = 0;
      pending = [];
    }
  }
  if (count > 0) {
    dataEdge = concatBytes(pending);
    tiles.push({ path: entriesTilePath(index, count), data: dataEdge, full: false });
  }
  return { tree: { size: appended.edge.size, root: appended.root, timestamp, edge: appended.edge, dataEdge }, leafHashes, tiles };
}
