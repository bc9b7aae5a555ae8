// Validator: one instance per validator (named "validator-<i>"), each with its own keys (the vote
// key's post-quantum half as VALIDATOR_PQ_ALGORITHMS assigns it) and, in production, its own
// location hint (VALIDATOR_LOCATIONS). It checks requests and domain control
// itself and signs what it saw; the logic lives in src/consensus/validator.ts.

import { DurableObject } from "cloudflare:workers";
import { importKek, kekUnavailable } from "../src/ca/key-vault.ts";
import { rotationPolicy } from "../src/ca/rotation.ts";
import type { Outcome } from "../src/acme/validation.ts";
import type { Credentials } from "../src/consensus/credentials.ts";
import { consensusPolicy, voteScheme } from "../src/consensus/policy.ts";
import type { ConsensusRequest } from "../src/consensus/request.ts";
import { type Confirmation, ValidatorCore, type VoteContext } from "../src/consensus/validator.ts";
import { ValidatorStore } from "../src/consensus/validator-store.ts";
import type { SignedVote, ValidatorIdentity } from "../src/consensus/vote.ts";
import { type Problem, ProblemType, problem } from "../src/problem.ts";
import { validateChallenge } from "../workers/acme-va.ts";
import { type Env, auditLog, validatorVantage } from "../workers/env.ts";

/** How long a validator waits for the coordinator's audit commitment of a request. */
const AUDIT_WAIT_MS = 2000;

export interface ValidatorStatus {
  identity: ValidatorIdentity;
  vantage: string;
  suspended: { since: number; reason: string } | null;
  votes: { approve: number; reject: number };
}

export class Validator extends DurableObject<Env> {
  #core: ValidatorCore | null = null;
  #opening: Promise<ValidatorCore | Problem> | null = null;

  /** The validator's id is bound on first use: the object then only ever answers as that id. */
  #open(id: string): Promise<ValidatorCore | Problem> {
    if (this.#core) return Promise.resolve(this.#core.id === id ? this.#core : problem(ProblemType.malformed, 400, `this validator is ${this.#core.id}, not ${id}`));
    this.#opening ??= (async () => {
      const kek = await importKek(this.env.CA_KEK);
      if (!(kek instanceof CryptoKey)) return kekUnavailable(kek, `validator ${id}`);
      const policy = consensusPolicy(this.env);
      const scheme = voteScheme(policy, id);
      if (typeof scheme !== "string") return problem(ProblemType.serverInternal, 503, `validator ${id} is not available: ${scheme.error}`);
      try {
        this.#core = await ValidatorCore.open(id, new ValidatorStore(this.ctx.storage), kek, {
          db: this.env.DB,
          policy,
          auditIndexOf: (hash) => auditLog(this.env).committedIndex(hash, AUDIT_WAIT_MS),
          checkChallenge: (ch, thumbprint) => validateChallenge(this.env, ch, thumbprint),
          vantage: validatorVantage(this.env, id),
          caCertificate: async (caId) => {
            const obj = await this.env.BLOBS.get(`ca/${caId}.der`);
            return obj ? new Uint8Array(await obj.arrayBuffer()) : null;
          },
          rotationPolicy: rotationPolicy(this.env),
        }, scheme);
        return this.#core;
      } catch (e) {
        console.error(`validator ${id} failed to start`, e);
        return problem(ProblemType.serverInternal, 503, `validator ${id} is not available: its key does not open`);
      } finally {
        this.#opening = null;
      }
    })();
    return this.#opening.then((core) => (core instanceof ValidatorCore && core.id !== id ? problem(ProblemType.malformed, 400, `this validator is ${core.id}, not ${id}`) : core));
  }

  async identity(id: string): Promise<ValidatorIdentity | Problem> {
    const core = await this.#open(id);
    return core instanceof ValidatorCore ? core.identity : core;
  }

  async status(id: string): Promise<ValidatorStatus | Problem> {
    const core = await this.#open(id);
    if (!(core instanceof ValidatorCore)) return core;
    return { identity: core.identity, vantage: validatorVantage(this.env, id), suspended: core.suspended(), votes: core.stats() };
  }

  async vote(id: string, request: ConsensusRequest, credentials: Credentials, context: VoteContext): Promise<SignedVote | Problem> {
    const core = await this.#open(id);
    return core instanceof ValidatorCore ? core.vote(request, credentials, context, Date.now()) : core;
  }

  async confirm(id: string, challengeId: string, accountId: string): Promise<{ outcome: Outcome; confirmation: Confirmation | null } | Problem> {
    const core = await this.#open(id);
    return core instanceof ValidatorCore ? core.confirm(challengeId, accountId, Date.now()) : core;
  }

  /** An operator takes the validator out of service (maintenance) or back in (reason null). */
  async setSuspended(id: string, reason: string | null): Promise<ValidatorStatus | Problem> {
    const core = await this.#open(id);
    if (!(core instanceof ValidatorCore)) return core;
    core.setSuspended(reason, Date.now());
    return this.status(id);
  }
}
