// Signed votes. A vote body names the request hash, the operation, the verdict, what each of the
// four proofs found, the validator, and when it was cast and expires. Signatures are a list of
// {alg, keyId, sig}. A vote counts only with a hybrid signature, "Ed25519+ML-DSA-44" or
// "Ed25519+FALCON-1024" (src/crypto/hybrid.ts schemes 0x01 and 0x02: both the Ed25519 and the
// post-quantum halves must verify), by the validator's hybrid key, whose Ed25519 half is the
// validator's pinned Ed25519 key and which that key endorsed in a signed statement. Which PQ
// algorithm a validator uses is configured (VALIDATOR_PQ_ALGORITHMS, src/consensus/policy.ts).
// Votes from before the hybrid keys carry a lone "Ed25519" entry: they parse (stored quorum
// certificates stay readable) but no longer count.
//
// Batch signatures: a validator signs the votes it casts at about the same time together. The
// hybrid signature then covers voteBatchStatement(root, size), where root is the RFC 6962 Merkle
// root of the batch's vote leaves (leafHash(voteBytes(body)) in batch order), and each vote carries
// its index and inclusion proof (VoteSignature.batch). One post-quantum signature serves every vote
// of the batch, and a verifier that checked it once (VerifiedSignatures) checks each further vote
// with a few hashes; the technique of TLS batch signing (draft-ietf-tls-batch-signing). The
// statement's own domain keeps a batch signature from passing as a vote signature and back.

import { type Bytes, bytesEqual, fromBase64Url, sha256, toBase64Url, toHex } from "../encoding/bytes.ts";
import { HASH_SIZE, leafHash } from "../merkle/hash.ts";
import { rootFromInclusionProof } from "../merkle/proofs.ts";
import { type HybridScheme, type HybridSigner, hybridSchemeOf, hybridVerify } from "../crypto/hybrid.ts";
import { type Canonical, canonicalBytes } from "./canonical.ts";
import { OPERATIONS, type Operation } from "./request.ts";

export type Verdict = "approve" | "reject";
export type ProofName = "stake" | "time" | "space" | "work";

export interface ProofResult {
  ok: boolean;
  detail: string;
}

export interface VoteBody {
  v: 1;
  requestHash: string;
  operation: Operation;
  verdict: Verdict;
  proofs: Record<ProofName, ProofResult>;
  validator: string;
  /** Where the validator ran (its location hint), for the space proof's vantage points. */
  vantage: string;
  /** Milliseconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
}

/** The vote signature algorithm of each hybrid scheme. */
export const VOTE_ALGORITHM = { "ed25519+ml-dsa-44": "Ed25519+ML-DSA-44", "ed25519+falcon-1024": "Ed25519+FALCON-1024" } as const satisfies Record<HybridScheme, string>;
export type VoteAlgorithm = (typeof VOTE_ALGORITHM)[HybridScheme];
export const SIGNATURE_ALGORITHMS = [...Object.values(VOTE_ALGORITHM), "Ed25519"] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

export interface VoteSignature {
  alg: SignatureAlgorithm;
  /** Hex of the first 8 bytes of SHA-256 of the raw public key (for the hybrid: of the whole hybrid key). */
  keyId: string;
  /**
   * base64url signature (hybrid: scheme ‖ Ed25519 sig ‖ PQ sig) over the canonical vote body, or,
   * with `batch`, over voteBatchStatement() of the batch the vote was signed in.
   */
  sig: string;
  batch?: VoteBatchProof;
}

/** Where a vote sits in the batch its signature covers. */
export interface VoteBatchProof {
  /** Votes in the batch. */
  size: number;
  /** This vote's position. */
  index: number;
  /** base64url hashes: the RFC 6962 inclusion proof of this vote's leaf. */
  path: string[];
}

/** The most votes one batch signature covers (so a proof holds at most 8 hashes). */
export const MAX_VOTE_BATCH = 256;

export interface SignedVote {
  body: VoteBody;
  signatures: VoteSignature[];
}

/**
 * A validator's hybrid vote key. `statement` is a hybrid signature by this very key over
 * hybridKeyStatement(): its Ed25519 half is the validator's Ed25519 key, so the statement shows
 * that key's holder announced the post-quantum key, and the PQ half proves possession of it.
 */
export interface HybridVoteKey {
  alg: VoteAlgorithm;
  /** base64url hybrid public key: 0x01 ‖ Ed25519 key (32) ‖ ML-DSA-44 key (1312), or 0x02 ‖ Ed25519 key ‖ FALCON-1024 key (1793). */
  publicKey: string;
  keyId: string;
  statement: string;
  /**
   * When the validator changed its PQ algorithm (VALIDATOR_PQ_ALGORITHMS): each earlier vote key
   * in order, with the statement by which it handed over to the next (keyRolloverStatement,
   * signed by the earlier key, both halves). The last hands over to this key. Earlier keys stay
   * published so votes they signed can still be checked.
   */
  rollovers?: KeyRollover[];
}

export interface KeyRollover {
  /** base64url hybrid public keys: the earlier key and the one it hands over to. */
  from: string;
  to: string;
  /** base64url hybrid signature by `from` over keyRolloverStatement(). */
  statement: string;
}

/** A validator's public identity, as it publishes it and as the CaSigner pins it. */
export interface ValidatorIdentity {
  id: string;
  alg: "Ed25519";
  /** base64url raw Ed25519 public key. */
  publicKey: string;
  keyId: string;
  /** The key that signs votes. Absent only from pins made before validators had one. */
  hybrid?: HybridVoteKey;
}

const VOTE_DOMAIN = "trustchain/consensus/vote/v1";
const VOTE_BATCH_DOMAIN = "trustchain/consensus/vote-batch/v1";
const HYBRID_KEY_DOMAIN = "trustchain/consensus/hybrid-key/v1";
const ROLLOVER_DOMAIN = "trustchain/consensus/hybrid-key-rollover/v1";
/** A bound on the rollover chain a validator may present (each step is one PQ verification). */
export const MAX_ROLLOVERS = 16;

export const voteBytes = (body: VoteBody): Bytes => canonicalBytes(VOTE_DOMAIN, body as unknown as Canonical);

/** A vote's leaf in the Merkle tree of its batch. */
export const voteLeaf = (body: VoteBody): Bytes => leafHash(voteBytes(body));

/** What a batch signature signs: the Merkle root of the batch's vote leaves and their number. */
export const voteBatchStatement = (root: Uint8Array, size: number): Bytes => canonicalBytes(VOTE_BATCH_DOMAIN, { root: toHex(root), size });

/** The message a vote's signature covers: the vote itself, or its batch's statement (null: the inclusion proof does not fit). */
export function signedMessageOf(vote: SignedVote, sig: VoteSignature): Bytes | null {
  if (!sig.batch) return voteBytes(vote.body);
  const { size, index, path } = sig.batch;
  const proof = path.map(fromBase64Url);
  if (proof.some((p) => p === null || p.length !== HASH_SIZE)) return null;
  const root = rootFromInclusionProof(voteLeaf(vote.body), index, size, proof as Bytes[]);
  return root && voteBatchStatement(root, size);
}

/**
 * Hybrid signatures one verifier (the coordinator, the CaSigner) has already checked, by key,
 * message and signature: a batch signature shared by many votes is verified once. Each verifier
 * keeps its own, so no component relies on another's checks. Only successes are remembered.
 */
export class VerifiedSignatures {
  readonly #seen = new Set<string>();
  constructor(private readonly max = 512) {}

  has(key: string): boolean {
    return this.#seen.has(key);
  }

  add(key: string): void {
    if (this.#seen.size >= this.max) this.#seen.delete(this.#seen.values().next().value!);
    this.#seen.add(key);
  }
}

/** What a validator signs to announce its hybrid key beside its Ed25519 key. */
export const hybridKeyStatement = (validator: string, ed25519: string, hybrid: string): Bytes => canonicalBytes(HYBRID_KEY_DOMAIN, { validator, ed25519, hybrid });

/** What a validator's current vote key signs to hand over to its next one. */
export const keyRolloverStatement = (validator: string, ed25519: string, from: string, to: string): Bytes => canonicalBytes(ROLLOVER_DOMAIN, { validator, ed25519, from, to });

export async function keyIdOf(rawPublicKey: Uint8Array): Promise<string> {
  return toHex((await sha256(rawPublicKey.slice())).subarray(0, 8));
}

/** The vote algorithm a base64url hybrid public key is for, or null. */
function voteAlgorithmOf(hybridPublicKey: Uint8Array): VoteAlgorithm | null {
  const scheme = hybridSchemeOf(hybridPublicKey);
  return scheme ? VOTE_ALGORITHM[scheme] : null;
}

const endorsed = new Map<string, boolean>();

/**
 * True when the identity's hybrid key extends its Ed25519 key: same Ed25519 half, matching key ID,
 * and a statement that verifies (both halves) naming this validator and both keys.
 */
export async function hybridKeyEndorsed(identity: ValidatorIdentity): Promise<boolean> {
  const h = identity.hybrid;
  if (!h) return false;
  const cacheKey = `${identity.id} ${identity.publicKey} ${h.publicKey} ${h.statement}`;
  const known = endorsed.get(cacheKey);
  if (known !== undefined) return known;
  const hybrid = fromBase64Url(h.publicKey);
  const ed = fromBase64Url(identity.publicKey);
  const statement = fromBase64Url(h.statement);
  const ok =
    hybrid !== null && ed !== null && statement !== null && hybrid.length > 33 && bytesEqual(hybrid.subarray(1, 33), ed) &&
    h.alg === voteAlgorithmOf(hybrid) && h.keyId === (await keyIdOf(hybrid)) &&
    (await hybridVerify(hybrid, hybridKeyStatement(identity.id, identity.publicKey, h.publicKey), statement).catch(() => false));
  if (endorsed.size >= 256) endorsed.clear();
  endorsed.set(cacheKey, ok);
  return ok;
}

/**
 * True when the identity's vote key descends from `pinned` (a vote key pinned earlier for the same
 * validator): a chain of rollover statements, each signed by the key it hands over from (both
 * halves, so the pinned post-quantum key vouches for its successor, not the Ed25519 key alone),
 * every key with the validator's Ed25519 key as its classical half, ending at the presented key.
 * The presented key must itself be endorsed (hybridKeyEndorsed), which the caller checks.
 */
export async function rolloverEndorsed(pinned: HybridVoteKey, identity: ValidatorIdentity): Promise<boolean> {
  const h = identity.hybrid;
  const chain = h?.rollovers ?? [];
  const ed = fromBase64Url(identity.publicKey);
  const start = chain.findIndex((r) => r.from === pinned.publicKey);
  if (!h || !ed || chain.length > MAX_ROLLOVERS || start < 0 || chain[chain.length - 1]!.to !== h.publicKey) return false;
  for (let i = start; i < chain.length; i++) {
    const r = chain[i]!;
    if (i > start && r.from !== chain[i - 1]!.to) return false;
    const from = fromBase64Url(r.from);
    const to = fromBase64Url(r.to);
    const sig = fromBase64Url(r.statement);
    if (!from || !to || !sig || !bytesEqual(from.subarray(1, 33), ed) || !bytesEqual(to.subarray(1, 33), ed)) return false;
    if (!(await hybridVerify(from, keyRolloverStatement(identity.id, identity.publicKey, r.from, r.to), sig).catch(() => false))) return false;
  }
  return true;
}

/**
 * True when the vote carries a valid hybrid signature (both halves) by this identity's hybrid key,
 * over the vote or over the statement of a batch that includes it. `verified` lets a verifier
 * skip signatures it already checked.
 */
export async function voteSignedBy(vote: SignedVote, identity: ValidatorIdentity, verified?: VerifiedSignatures): Promise<boolean> {
  const h = identity.hybrid;
  if (!h) return false;
  const sig = vote.signatures.find((s) => s.alg === h.alg && s.keyId === h.keyId);
  const bytes = sig ? fromBase64Url(sig.sig) : null;
  const key = fromBase64Url(h.publicKey);
  const message = sig ? signedMessageOf(vote, sig) : null;
  if (!bytes || !key || !message) return false;
  const memo = `${h.publicKey} ${toHex(message)} ${sig!.sig}`;
  if (verified?.has(memo)) return true;
  try {
    const ok = await hybridVerify(key, message, bytes);
    if (ok) verified?.add(memo);
    return ok;
  } catch {
    return false;
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const PROOFS: ProofName[] = ["stake", "time", "space", "work"];

/** Shape check of a vote received from outside (validate_proofs, a stored quorum certificate). */
export function parseVote(v: unknown): SignedVote | null {
  if (!isObj(v) || !isObj(v.body) || !Array.isArray(v.signatures) || v.signatures.length === 0 || v.signatures.length > 4) return null;
  const b = v.body;
  if (b.v !== 1 || typeof b.requestHash !== "string" || !/^[0-9a-f]{64}$/.test(b.requestHash)) return null;
  if (!(OPERATIONS as readonly unknown[]).includes(b.operation) || (b.verdict !== "approve" && b.verdict !== "reject")) return null;
  if (typeof b.validator !== "string" || b.validator.length > 64 || typeof b.vantage !== "string" || b.vantage.length > 64) return null;
  if (!Number.isSafeInteger(b.issuedAt) || !Number.isSafeInteger(b.expiresAt) || !isObj(b.proofs)) return null;
  const proofs = {} as Record<ProofName, ProofResult>;
  for (const p of PROOFS) {
    const r = b.proofs[p];
    if (!isObj(r) || typeof r.ok !== "boolean" || typeof r.detail !== "string" || r.detail.length > 2048) return null;
    proofs[p] = { ok: r.ok, detail: r.detail };
  }
  const signatures: VoteSignature[] = [];
  for (const s of v.signatures) {
    if (!isObj(s) || !SIGNATURE_ALGORITHMS.includes(s.alg as SignatureAlgorithm) || typeof s.keyId !== "string" || typeof s.sig !== "string" || s.sig.length > 8192) return null;
    if (s.batch === undefined) {
      signatures.push({ alg: s.alg as SignatureAlgorithm, keyId: s.keyId, sig: s.sig });
      continue;
    }
    const batch = parseBatchProof(s.batch);
    if (!batch) return null;
    signatures.push({ alg: s.alg as SignatureAlgorithm, keyId: s.keyId, sig: s.sig, batch });
  }
  return {
    body: { v: 1, requestHash: b.requestHash, operation: b.operation as Operation, verdict: b.verdict, proofs, validator: b.validator, vantage: b.vantage, issuedAt: b.issuedAt as number, expiresAt: b.expiresAt as number },
    signatures,
  };
}

function parseBatchProof(b: unknown): VoteBatchProof | null {
  if (!isObj(b) || !Number.isSafeInteger(b.size) || !Number.isSafeInteger(b.index) || !Array.isArray(b.path)) return null;
  const size = b.size as number;
  const index = b.index as number;
  if (size < 1 || size > MAX_VOTE_BATCH || index < 0 || index >= size || b.path.length > 8) return null;
  if (!b.path.every((p): p is string => typeof p === "string" && /^[A-Za-z0-9_-]{43}$/.test(p))) return null;
  return { size, index, path: b.path };
}
