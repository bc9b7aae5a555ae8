// Signed votes. A vote body names the request hash, the operation, the verdict, what each of the
// four proofs found, the validator, and when it was cast and expires. Signatures are a list of
// {alg, keyId, sig} so a post-quantum signature can sit beside the classical one (hybrid) without
// changing the body: a verifier checks every signature whose algorithm it pins.

import { type Bytes, fromBase64Url, sha256, toBase64Url, toHex } from "../encoding/bytes.ts";
import { type Canonical, canonicalBytes } from "./canonical.ts";
import type { Operation } from "./request.ts";

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

export const SIGNATURE_ALGORITHMS = ["Ed25519"] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

export interface VoteSignature {
  alg: SignatureAlgorithm;
  /** Hex of the first 8 bytes of SHA-256 of the raw public key. */
  keyId: string;
  /** base64url signature over the canonical vote body. */
  sig: string;
}

export interface SignedVote {
  body: VoteBody;
  signatures: VoteSignature[];
}

/** A validator's public identity, as it publishes it and as the CaSigner pins it. */
export interface ValidatorIdentity {
  id: string;
  alg: SignatureAlgorithm;
  /** base64url raw public key. */
  publicKey: string;
  keyId: string;
}

const VOTE_DOMAIN = "trustchain/consensus/vote/v1";

export const voteBytes = (body: VoteBody): Bytes => canonicalBytes(VOTE_DOMAIN, body as unknown as Canonical);

export async function keyIdOf(rawPublicKey: Uint8Array): Promise<string> {
  return toHex((await sha256(rawPublicKey.slice())).subarray(0, 8));
}

export async function signVote(body: VoteBody, privateKey: CryptoKey, keyId: string): Promise<SignedVote> {
  const sig = new Uint8Array(await crypto.subtle.sign("Ed25519", privateKey, voteBytes(body)));
  return { body, signatures: [{ alg: "Ed25519", keyId, sig: toBase64Url(sig) }] };
}

const importedKeys = new Map<string, CryptoKey>();

/** The verification key of an identity (imported once per isolate; throws on a malformed key). */
export async function verificationKey(identity: ValidatorIdentity): Promise<CryptoKey> {
  const known = importedKeys.get(identity.publicKey);
  if (known) return known;
  const raw = fromBase64Url(identity.publicKey) ?? new Uint8Array(0);
  const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, true, ["verify"]);
  if (importedKeys.size >= 256) importedKeys.clear();
  importedKeys.set(identity.publicKey, key);
  return key;
}

/** True when the vote carries a valid signature by this identity's key. */
export async function voteSignedBy(vote: SignedVote, identity: ValidatorIdentity): Promise<boolean> {
  const sig = vote.signatures.find((s) => s.alg === identity.alg && s.keyId === identity.keyId);
  const bytes = sig ? fromBase64Url(sig.sig) : null;
  if (!bytes) return false;
  try {
    return await crypto.subtle.verify("Ed25519", await verificationKey(identity), bytes, voteBytes(vote.body));
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
  if (!["issue", "revoke", "crl"].includes(b.operation as string) || (b.verdict !== "approve" && b.verdict !== "reject")) return null;
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
    if (!isObj(s) || s.alg !== "Ed25519" || typeof s.keyId !== "string" || typeof s.sig !== "string" || s.sig.length > 8192) return null;
    signatures.push({ alg: s.alg, keyId: s.keyId, sig: s.sig });
  }
  return {
    body: { v: 1, requestHash: b.requestHash, operation: b.operation as Operation, verdict: b.verdict, proofs, validator: b.validator, vantage: b.vantage, issuedAt: b.issuedAt as number, expiresAt: b.expiresAt as number },
    signatures,
  };
}
