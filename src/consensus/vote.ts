// Signed votes. A vote body names the request hash, the operation, the verdict, what each of the
// four proofs found, the validator, and when it was cast and expires. Signatures are a list of
// {alg, keyId, sig}. A vote counts only with the hybrid signature "Ed25519+ML-DSA-44"
// (src/crypto/hybrid.ts scheme 0x01: both the Ed25519 and the ML-DSA-44 halves must verify), by
// the validator's hybrid key, whose Ed25519 half is the validator's pinned Ed25519 key and which
// that key endorsed in a signed statement. Votes from before the hybrid keys carry a lone
// "Ed25519" entry: they parse (stored quorum certificates stay readable) but no longer count.

import { type Bytes, bytesEqual, fromBase64Url, sha256, toBase64Url, toHex } from "../encoding/bytes.ts";
import { type HybridSigner, hybridVerify } from "../crypto/hybrid.ts";
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

export const HYBRID_ALG = "Ed25519+ML-DSA-44";
export const SIGNATURE_ALGORITHMS = [HYBRID_ALG, "Ed25519"] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

export interface VoteSignature {
  alg: SignatureAlgorithm;
  /** Hex of the first 8 bytes of SHA-256 of the raw public key (for the hybrid: of the whole hybrid key). */
  keyId: string;
  /** base64url signature over the canonical vote body (hybrid: scheme ‖ Ed25519 sig ‖ ML-DSA-44 sig). */
  sig: string;
}

export interface SignedVote {
  body: VoteBody;
  signatures: VoteSignature[];
}

/**
 * A validator's hybrid vote key. `statement` is a hybrid signature by this very key over
 * hybridKeyStatement(): its Ed25519 half is the validator's Ed25519 key, so the statement shows
 * that key's holder announced the ML-DSA-44 key, and the ML-DSA half proves possession of it.
 */
export interface HybridVoteKey {
  alg: typeof HYBRID_ALG;
  /** base64url hybrid public key: 0x01 ‖ Ed25519 key (32) ‖ ML-DSA-44 key (1312). */
  publicKey: string;
  keyId: string;
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
const HYBRID_KEY_DOMAIN = "trustchain/consensus/hybrid-key/v1";

export const voteBytes = (body: VoteBody): Bytes => canonicalBytes(VOTE_DOMAIN, body as unknown as Canonical);

/** What a validator signs to announce its hybrid key beside its Ed25519 key. */
export const hybridKeyStatement = (validator: string, ed25519: string, hybrid: string): Bytes => canonicalBytes(HYBRID_KEY_DOMAIN, { validator, ed25519, hybrid });

export async function keyIdOf(rawPublicKey: Uint8Array): Promise<string> {
  return toHex((await sha256(rawPublicKey.slice())).subarray(0, 8));
}

export async function signVote(body: VoteBody, signer: HybridSigner, keyId: string): Promise<SignedVote> {
  const sig = await signer.sign(voteBytes(body));
  return { body, signatures: [{ alg: HYBRID_ALG, keyId, sig: toBase64Url(sig) }] };
}

const endorsed = new Map<string, boolean>();

/**
 * True when the identity's hybrid key extends its Ed25519 key: same Ed25519 half, matching key ID,
 * and a statement that verifies (both halves) naming this validator and both keys.
 */
export async function hybridKeyEndorsed(identity: ValidatorIdentity): Promise<boolean> {
  const h = identity.hybrid;
  if (!h || h.alg !== HYBRID_ALG) return false;
  const cacheKey = `${identity.id} ${identity.publicKey} ${h.publicKey} ${h.statement}`;
  const known = endorsed.get(cacheKey);
  if (known !== undefined) return known;
  const hybrid = fromBase64Url(h.publicKey);
  const ed = fromBase64Url(identity.publicKey);
  const statement = fromBase64Url(h.statement);
  const ok =
    hybrid !== null && ed !== null && statement !== null && hybrid.length > 33 && bytesEqual(hybrid.subarray(1, 33), ed) &&
    h.keyId === (await keyIdOf(hybrid)) &&
    (await hybridVerify(hybrid, hybridKeyStatement(identity.id, identity.publicKey, h.publicKey), statement).catch(() => false));
  if (endorsed.size >= 256) endorsed.clear();
  endorsed.set(cacheKey, ok);
  return ok;
}

/** True when the vote carries a valid hybrid signature (both halves) by this identity's hybrid key. */
export async function voteSignedBy(vote: SignedVote, identity: ValidatorIdentity): Promise<boolean> {
  const h = identity.hybrid;
  if (!h) return false;
  const sig = vote.signatures.find((s) => s.alg === HYBRID_ALG && s.keyId === h.keyId);
  const bytes = sig ? fromBase64Url(sig.sig) : null;
  const key = fromBase64Url(h.publicKey);
  if (!bytes || !key) return false;
  try {
    return await hybridVerify(key, voteBytes(vote.body), bytes);
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
    signatures.push({ alg: s.alg as SignatureAlgorithm, keyId: s.keyId, sig: s.sig });
  }
  return {
    body: { v: 1, requestHash: b.requestHash, operation: b.operation as Operation, verdict: b.verdict, proofs, validator: b.validator, vantage: b.vantage, issuedAt: b.issuedAt as number, expiresAt: b.expiresAt as number },
    signatures,
  };
}
