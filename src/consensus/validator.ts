// One validator: its keys (generated on first use, sealed under the CA_KEK), its vote on a request
// after checking the four proofs itself, and its own domain-control checks. The Durable Object
// (durable-objects/validator.ts) gives it storage, the database, the network and the configured
// post-quantum algorithm of its vote key.

import { sealKey, unsealKey } from "../ca/key-vault.ts";
import type { CaCertificateReader, RotationPolicy } from "../ca/rotation.ts";
import { type HybridScheme, type HybridSigner, hybridFromEd25519, hybridSchemeOf, hybridSigner } from "../crypto/hybrid.ts";
import type { ChallengeToCheck, Outcome } from "../acme/validation.ts";
import { AUTHZ_VALID_SECONDS, accountById, getAuthorization, getChallenge } from "../acme/store.ts";
import { fromBase64Url, toBase64Url } from "../encoding/bytes.ts";
import { type Problem, ProblemType, problem } from "../problem.ts";
import { canonicalBytes } from "./canonical.ts";
import type { Credentials } from "./credentials.ts";
import { type ConsensusPolicy, workBits } from "./policy.ts";
import { type ConsensusRequest, requestHash } from "./request.ts";
import { checkStake } from "./stake.ts";
import { type StoredValidatorKey, ValidatorStore } from "./validator-store.ts";
import {
  type HybridVoteKey,
  MAX_ROLLOVERS,
  type ProofResult,
  type SignedVote,
  type ValidatorIdentity,
  VOTE_ALGORITHM,
  type VoteBody,
  hybridKeyStatement,
  keyIdOf,
  keyRolloverStatement,
} from "./vote.ts";
import { VoteBatchSigner } from "./vote-batch.ts";
import { verifyWork } from "./work.ts";

export interface VoteContext {
  /** Proof-of-work nonce (hex) bound to the request hash. */
  work: string;
}

export interface ValidatorPorts {
  db: D1Database;
  policy: ConsensusPolicy;
  /** The audit log index committing `requestHash` (waiting briefly for a round in progress), or null. */
  auditIndexOf(requestHash: string): Promise<number | null>;
  /** The domain-control check from this validator's own vantage point (workers/acme-va.ts). */
  checkChallenge(ch: ChallengeToCheck, thumbprint: string): Promise<Outcome>;
  vantage: string;
  /** The published CA certificates and the rotation policy, for the scheduler's rotations (stake.ts). */
  caCertificate: CaCertificateReader;
  rotationPolicy: RotationPolicy;
}

/** A validator's signed statement that it saw `account` control `identifier` itself. */
export interface Confirmation {
  validator: string;
  vantage: string;
  account: string;
  identifier: string;
  method: "http-01" | "dns-01";
  confirmedAt: number;
  expiresAt: number;
  sig: string;
}

const slot = (id: string) => `validator/${id}`;

/** Loads a validator's stored vote key (its Ed25519 PKCS#8 and the sealed PQ half); throws when it does not open or match. */
export async function openVoteSigner(kek: CryptoKey, id: string, ed25519Pkcs8: Uint8Array, hybrid: NonNullable<StoredValidatorKey["hybrid"]>): Promise<HybridSigner> {
  const publicKey = fromBase64Url(hybrid.publicKey);
  const scheme = publicKey && hybridSchemeOf(publicKey);
  const sealed = scheme === "ed25519+ml-dsa-44" ? hybrid.mlDsaSeed : hybrid.falconKey;
  if (!publicKey || !scheme || !sealed) throw new Error(`validator ${id}'s stored vote key is incomplete`);
  const pqSecret = await unsealKey(kek, `${slot(id)}/${scheme === "ed25519+ml-dsa-44" ? "ml-dsa-44" : "falcon-1024"}`, sealed);
  const signer = await hybridSigner(await hybridFromEd25519(ed25519Pkcs8, scheme, pqSecret, publicKey.subarray(33)));
  // For ML-DSA-44 the public key is derived from the seed, so this also checks the sealed seed.
  if (toBase64Url(signer.publicKey) !== hybrid.publicKey) throw new Error(`validator ${id}'s post-quantum key does not match its published vote key`);
  return signer;
}

export class ValidatorCore {
  readonly #batches: VoteBatchSigner;
  /** Votes being decided, by request hash: a second ask while the first is under way gets the same vote. */
  readonly #deciding = new Map<string, Promise<SignedVote | Problem>>();

  private constructor(
    readonly id: string,
    private readonly store: ValidatorStore,
    private readonly privateKey: CryptoKey,
    voteSigner: HybridSigner,
    readonly identity: ValidatorIdentity & { hybrid: HybridVoteKey },
    private readonly ports: ValidatorPorts,
  ) {
    this.#batches = new VoteBatchSigner(voteSigner, identity.hybrid.keyId);
  }

  /**
   * Opens (or on first use creates) the validator's keys; throws when the KEK does not open them.
   * The vote key pairs the Ed25519 key with `scheme`'s post-quantum algorithm. A validator made
   * before hybrid votes keeps its Ed25519 key and gains a PQ half here, once, announced in a
   * statement its Ed25519 key signs (the CaSigner extends its pin with it); one whose configured
   * algorithm changed makes a new vote key once and hands over to it with a statement its current
   * vote key signs (the CaSigner follows only such a rollover). FALCON-1024 key generation takes
   * about half a second: it happens here, never per request.
   */
  static async open(id: string, store: ValidatorStore, kek: CryptoKey, ports: ValidatorPorts, scheme: HybridScheme): Promise<ValidatorCore> {
    let stored = store.key();
    if (!stored) {
      const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
      const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
      const raw = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
      stored = { version: 1, id, publicKey: toBase64Url(raw), key: await sealKey(kek, slot(id), pkcs8) } satisfies StoredValidatorKey;
      store.putKey(stored);
    }
    if (stored.id !== id) throw new Error(`this object holds validator ${stored.id}'s key, not ${id}'s`);
    const pkcs8 = await unsealKey(kek, slot(id), stored.key);
    const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
    let hybrid = stored.hybrid;
    let voteSigner = hybrid ? await openVoteSigner(kek, id, pkcs8, hybrid) : null;
    if (!hybrid || voteSigner?.scheme !== scheme) {
      const pair = await hybridFromEd25519(pkcs8, scheme);
      const next = await hybridSigner(pair);
      const publicKey = toBase64Url(pair.publicKey);
      const statement = toBase64Url(await next.sign(hybridKeyStatement(id, stored.publicKey, publicKey)));
      const pqSecret = pair.secretKey.slice(33);
      const sealed = scheme === "ed25519+ml-dsa-44" ? { mlDsaSeed: await sealKey(kek, `${slot(id)}/ml-dsa-44`, pqSecret) } : { falconKey: await sealKey(kek, `${slot(id)}/falcon-1024`, pqSecret) };
      const rollovers =
        hybrid && voteSigner
          ? [...(hybrid.rollovers ?? []), { from: hybrid.publicKey, to: publicKey, statement: toBase64Url(await voteSigner.sign(keyRolloverStatement(id, stored.publicKey, hybrid.publicKey, publicKey))) }].slice(-MAX_ROLLOVERS)
          : undefined;
      hybrid = { publicKey, ...sealed, statement, ...(rollovers ? { rollovers } : {}) };
      stored = { ...stored, hybrid };
      store.putKey(stored);
      voteSigner = next;
    }
    const raw = fromBase64Url(stored.publicKey)!;
    const identity: ValidatorIdentity & { hybrid: HybridVoteKey } = {
      id,
      alg: "Ed25519",
      publicKey: stored.publicKey,
      keyId: await keyIdOf(raw),
      hybrid: {
        alg: VOTE_ALGORITHM[voteSigner.scheme],
        publicKey: hybrid.publicKey,
        keyId: await keyIdOf(voteSigner.publicKey),
        statement: hybrid.statement,
        ...(hybrid.rollovers ? { rollovers: hybrid.rollovers } : {}),
      },
    };
    return new ValidatorCore(id, store, privateKey, voteSigner, identity, ports);
  }

  suspended(): { since: number; reason: string } | null {
    return this.store.suspended();
  }

  setSuspended(reason: string | null, now: number): void {
    this.store.setSuspended(reason === null ? null : { since: now, reason });
  }

  stats(): { approve: number; reject: number } {
    return this.store.counts();
  }

  /**
   * Checks the four proofs and signs a verdict. A request hash gets one vote, ever: asked again,
   * the validator returns the vote it cast (never a second, different verdict).
   */
  async vote(request: ConsensusRequest, cred: Credentials, ctx: VoteContext, now: number): Promise<SignedVote | Problem> {
    const suspended = this.store.suspended();
    if (suspended) return problem(ProblemType.serverInternal, 503, `${this.id} is suspended by an operator: ${suspended.reason}`);
    const hash = await requestHash(request);
    const prior = this.store.vote(hash);
    if (prior) return prior;
    const deciding = this.#deciding.get(hash);
    if (deciding) return deciding;
    const decided = this.#decide(hash, request, cred, ctx, now).finally(() => this.#deciding.delete(hash));
    this.#deciding.set(hash, decided);
    return decided;
  }

  async #decide(hash: string, request: ConsensusRequest, cred: Credentials, ctx: VoteContext, now: number): Promise<SignedVote | Problem> {
    const { policy } = this.ports;

    const skew = Math.abs(now - request.timestamp);
    const time: ProofResult = skew <= policy.maxSkewMs
      ? { ok: true, detail: `timestamp within ${skew} ms of this validator's clock` }
      : { ok: false, detail: `timestamp is ${skew} ms from this validator's clock (at most ${policy.maxSkewMs})` };

    const bits = workBits(policy, request.requester);
    const work: ProofResult = verifyWork(hash, ctx.work, bits)
      ? { ok: true, detail: `${bits} bits of work required and present` }
      : { ok: false, detail: `${bits} bits of work bound to the request hash are required` };

    // The audit commitment and the requester's authentication are checked concurrently; the
    // database is not touched for requests that fail the cheap local proofs (time, work).
    const [auditIndex, stake] = await Promise.all([
      this.ports.auditIndexOf(hash),
      time.ok && work.ok
        ? checkStake(request, cred, {
            db: this.ports.db,
            caCertificate: this.ports.caCertificate,
            rotationPolicy: this.ports.rotationPolicy,
            now,
            confirmed: (account, identifier) => this.store.confirmation(account, identifier, Math.floor(now / 1000)) !== null,
          })
        : Promise.resolve<ProofResult>({ ok: false, detail: "not checked: the time or work proof failed" }),
    ]);
    const space: ProofResult = auditIndex !== null
      ? { ok: true, detail: `request hash committed at audit log index ${auditIndex}; vantage ${this.ports.vantage}` }
      : { ok: false, detail: "the request hash is not committed in the audit log" };

    const body: VoteBody = {
      v: 1,
      requestHash: hash,
      operation: request.operation,
      verdict: stake.ok && time.ok && space.ok && work.ok ? "approve" : "reject",
      proofs: { stake, time, space, work },
      validator: this.id,
      vantage: this.ports.vantage,
      issuedAt: now,
      expiresAt: now + policy.voteLifetimeMs,
    };
    // Signed in a batch with the votes decided meanwhile (vote-batch.ts), recorded synchronously
    // after: a hash asked again later gets this very vote.
    const signed = await this.#batches.sign(body);
    return this.store.recordVote(signed);
  }

  /**
   * Multi-perspective domain control: performs the challenge's check from this validator's own
   * vantage point and, when it passes, records and signs a confirmation the validator will
   * require at finalize.
   */
  async confirm(challengeId: string, accountId: string, now: number): Promise<{ outcome: Outcome; confirmation: Confirmation | null } | Problem> {
    const suspended = this.store.suspended();
    if (suspended) return problem(ProblemType.serverInternal, 503, `${this.id} is suspended by an operator: ${suspended.reason}`);
    const nowSec = Math.floor(now / 1000);
    const ch = await getChallenge(this.ports.db, challengeId);
    const authz = ch ? await getAuthorization(this.ports.db, ch.authzId, nowSec) : null;
    const account = await accountById(this.ports.db, accountId);
    if (!ch || !authz || !account || authz.accountId !== accountId) return problem(ProblemType.malformed, 404, "no such challenge for this account");
    const name = authz.wildcard ? `*.${authz.identifier.value}` : authz.identifier.value;
    const outcome = await this.ports.checkChallenge({ type: ch.type, token: ch.token, identifier: authz.identifier, wildcard: authz.wildcard }, account.thumbprint);
    if (!outcome.ok) return { outcome, confirmation: null };
    const identifier = `${authz.identifier.type}:${name}`;
    const unsigned = { validator: this.id, vantage: this.ports.vantage, account: accountId, identifier, method: ch.type, confirmedAt: nowSec, expiresAt: nowSec + AUTHZ_VALID_SECONDS };
    const sig = toBase64Url(new Uint8Array(await crypto.subtle.sign("Ed25519", this.privateKey, canonicalBytes("trustchain/consensus/confirmation/v1", unsigned))));
    const confirmation: Confirmation = { ...unsigned, sig };
    this.store.putConfirmation({ account: accountId, identifier, method: ch.type, confirmedAt: nowSec, expiresAt: unsigned.expiresAt, signed: JSON.stringify(confirmation) });
    return { outcome, confirmation };
  }
}
