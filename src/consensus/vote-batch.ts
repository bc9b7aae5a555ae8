// The signing side of batch signatures (src/consensus/vote.ts has the format and verification):
// votes a validator has decided wait in a pool, and each round signs all that are waiting with one
// hybrid signature over their Merkle root. An idle validator signs a vote at once (a batch of one);
// one where votes arrived during the last round is under load and starts rounds at most every
// LOADED_WINDOW_MS (src/ct/pool.ts), so that the post-quantum signature (5–7 ms of CPU in pure JS) is paid
// per window rather than per vote: its cost per second stays about flat as load grows, for at
// most that much added latency.

import type { HybridSigner } from "../crypto/hybrid.ts";
import { toBase64Url } from "../encoding/bytes.ts";
import { memoNodeReader, treeHash } from "../merkle/hash.ts";
import { inclusionProof } from "../merkle/proofs.ts";
import { SequencingPool } from "../ct/pool.ts";
import { MAX_VOTE_BATCH, type SignedVote, VOTE_ALGORITHM, type VoteBody, voteBatchStatement, voteLeaf } from "./vote.ts";

/** Signs `bodies` with one signature: each vote gets its place in the batch and its inclusion proof. */
export async function signVoteBatch(bodies: readonly VoteBody[], signer: HybridSigner, keyId: string): Promise<SignedVote[]> {
  if (bodies.length === 0 || bodies.length > MAX_VOTE_BATCH) throw new RangeError(`a vote batch holds 1 to ${MAX_VOTE_BATCH} votes, not ${bodies.length}`);
  const leaves = bodies.map(voteLeaf);
  const size = leaves.length;
  const read = memoNodeReader(leaves);
  const sig = toBase64Url(await signer.sign(voteBatchStatement(treeHash(size, read), size)));
  const alg = VOTE_ALGORITHM[signer.scheme];
  return bodies.map((body, index) => ({ body, signatures: [{ alg, keyId, sig, batch: { size, index, path: inclusionProof(index, size, read).map(toBase64Url) } }] }));
}

const LOADED_WINDOW_MS = 25;

export class VoteBatchSigner {
  readonly #pool: SequencingPool<VoteBody, SignedVote>;

  constructor(signer: HybridSigner, keyId: string) {
    this.#pool = new SequencingPool((bodies) => signVoteBatch(bodies, signer, keyId), {
      batchMax: MAX_VOTE_BATCH,
      windowMs: LOADED_WINDOW_MS,
      poolMax: Number.MAX_SAFE_INTEGER,
    });
  }

  sign(body: VoteBody): Promise<SignedVote> {
    // The pool has no bound of its own: a validator's callers are bounded by the coordinator.
    return this.#pool.offer(body)!;
  }
}
