// CaSigner: the one place that holds the CA's private keys. It serializes serial allocation,
// signing and CRL numbering; the policy it applies lives in src/.

import { DurableObject } from "cloudflare:workers";
import { type IssuingChain, type LoadedHierarchy, type LoadedIssuer, type StoredHierarchy, bootstrapHierarchy, loadHierarchy, planLeaf } from "../src/ca/authority.ts";
import type { Issuer } from "../src/ca/hierarchy.ts";
import { CLASSICAL, type HierarchyKind, PQ, type RotationPolicy, type StoredAnyHierarchy, rotateIssuing, rotationDue } from "../src/ca/rotation.ts";
import { issueLogged, logFinal } from "../src/ca/issuance.ts";
import { type Evidence, type Quarantine, QuorumGuard } from "../src/consensus/ca-guard.ts";
import { consensusPolicy } from "../src/consensus/policy.ts";
import type { QuorumCertificate } from "../src/consensus/quorum.ts";
import { type ConsensusRequest, issueRequestOf, requestHash } from "../src/consensus/request.ts";
import { type StoredQuorum, insertQuorumsStatement } from "../src/consensus/store.ts";
import type { SignedVote, ValidatorIdentity } from "../src/consensus/vote.ts";
import { type SealedKey, importKek, kekUnavailable, sealKey, unsealKey } from "../src/ca/key-vault.ts";
import { profileByName } from "../src/ca/profiles.ts";
import { caUrls } from "../src/ca/urls.ts";
import { HIERARCHIES, type HierarchyName, type StoredCrossCertificate, type StoredPqHierarchy, bootstrapPqHierarchy, crossCertificateId, crossCertify, loadPqHierarchy } from "../src/ca/pq-hierarchy.ts";
import { type SealedEnvelope, isOpenFailure, kemKeygen, openSealed, sealTo } from "../src/ca/backup.ts";
import { BACKUP_PURPOSE, exportCaKeys, importCaKeys } from "../src/ca/pq-backup.ts";
import { type Bytes, fromBase64, toBase64 } from "../src/encoding/bytes.ts";
import { toPem } from "../src/encoding/pem.ts";
import {
  type CertificateRecord,
  certificateStatus,
  type NewCertificate,
  countIssuedBy,
  getCertificate,
  hasUnexpired,
  insertCertificates,
  markRevoked,
  revokedUnexpired,
  setFinalLeafIndex,
  unloggedFinals,
} from "../src/index/certificates.ts";
import { GroupCommit } from "../src/index/group-commit.ts";
import { type Problem, ProblemType, isProblem, problem } from "../src/problem.ts";
import { buildCrl } from "../src/revocation/crl.ts";
import { respondOcsp } from "../src/revocation/ocsp.ts";
import { OcspResponseCache } from "../src/revocation/ocsp-cache.ts";
import { type Env, ctLog, validatorObject } from "../workers/env.ts";
import { measureIssuance } from "../src/metrics/measure.ts";
import { flushMetrics } from "../workers/metrics.ts";

export interface IssuedCertificate {
  serial: string;
  fingerprint: string;
  issuerId: string;
  certificatePem: string;
  chainPem: string;
  notBefore: string;
  notAfter: string;
  profile: string;
}

export interface CaCert {
  id: string;
  pem: string;
}

export interface IssuingCaCert extends CaCert {
  notBefore: string;
  notAfter: string;
}

/** A classical issuing CA certified by the ML-DSA root (ACME's alternate chain). */
export interface CrossCert extends CaCert {
  issuingId: string;
}

export interface CaCertificates {
  root: CaCert;
  /** The issuing CA that signs new leaves. */
  issuing: IssuingCaCert;
  /** Issuing CAs rotated out (src/ca/rotation.ts), newest first: they answer for what they issued. */
  retired: IssuingCaCert[];
  /** The ML-DSA hierarchy (src/ca/pq-hierarchy.ts), and one cross-certificate per classical issuing CA (current first). */
  pq: { root: CaCert; issuing: IssuingCaCert; retired: IssuingCaCert[]; cross: CrossCert[] };
}

/** What a rotation did: the issuing CA it retired and the one that now signs. */
export interface Rotation {
  hierarchy: HierarchyName;
  retired: IssuingCaCert;
  issuing: IssuingCaCert;
}

/** An issuing CA the rotation policy says is due, and why. */
export interface DueRotation {
  hierarchy: HierarchyName;
  issuing: string;
  reason: string;
}

const issuingCert = (i: LoadedIssuer): IssuingCaCert => ({ id: i.issuer.id, pem: i.certPem, notBefore: i.issuer.notBefore.toISOString(), notAfter: i.issuer.notAfter.toISOString() });

const FINAL_LOG_DELAY_MS = 200;

export class CaSigner extends DurableObject<Env> {
  #ca: LoadedHierarchy | null = null;
  // post-quantum: the ML-DSA hierarchy, loaded beside the classical one.
  #pq: LoadedHierarchy | null = null;
  // Each classical issuing CA (current first) cross-certified by the ML-DSA root (ACME's alternate chain).
  #cross: (CrossCert & { der: Bytes })[] = [];
  #kek: CryptoKey | null = null;
  #unavailable: Problem | null = null;
  #crlChain: Promise<unknown> = Promise.resolve();
  /** Signed OCSP responses served again to nonce-less requests; cleared by every revocation. */
  #ocspResponses = new OcspResponseCache();
  // Rotations run one at a time, so two approved rotations of one issuing CA cannot both act.
  #rotations: Promise<unknown> = Promise.resolve();
  // Each certificate is indexed together with the quorum certificate that authorized it.
  #index = new GroupCommit<NewCertificate & { quorum: StoredQuorum }>((certs) =>
    insertCertificates(this.env.DB, certs, [insertQuorumsStatement(this.env.DB, certs.map((c) => c.quorum))]),
  );
  // Nothing is signed without a quorum certificate this object verified (src/consensus/ca-guard.ts).
  #guard: QuorumGuard;
  // Final certificates go to the log in batches a little after issuance, so that at low load a
  // precertificate (which an issuance waits for) rarely queues behind a final certificate's round.
  #finals = new GroupCommit<{ ca: IssuingChain; serial: string; der: Uint8Array }>(
    async (items) => void (await Promise.all(items.map((f) => this.#logFinal(f.ca, f.serial, f.der)))),
    256,
    FINAL_LOG_DELAY_MS,
  );

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#guard = new QuorumGuard(ctx.storage.sql, consensusPolicy(env), (id) => validatorObject(env, id).identity(id));
    ctx.blockConcurrencyWhile(() => this.#start());
  }

  async #start(): Promise<void> {
    const kek = await importKek(this.env.CA_KEK);
    if (!(kek instanceof CryptoKey)) {
      // Without the KEK the sealed keys cannot be opened and new ones must not be made.
      this.#unavailable = kekUnavailable(kek, "the CA");
      return;
    }
    this.#kek = kek;
    let stored = await this.ctx.storage.get<StoredHierarchy>("hierarchy");
    const fresh = !stored;
    if (!stored) {
      stored = await bootstrapHierarchy(kek, caUrls(this.env.PUBLIC_URL), new Date());
      await this.ctx.storage.put("hierarchy", stored);
    }
    const unopened = problem(ProblemType.serverInternal, 503, "the CA is not available: its keys do not open with this CA_KEK");
    try {
      this.#ca = await loadHierarchy(kek, stored);
    } catch {
      this.#unavailable = unopened;
      return;
    }
    // post-quantum: created on the first start that lacks it (also on deployments made before it
    // existed), only once the classical keys have proved this is the right KEK.
    let storedPq = await this.ctx.storage.get<StoredPqHierarchy>("pq-hierarchy");
    const freshPq = !storedPq;
    if (!storedPq) {
      storedPq = await bootstrapPqHierarchy(kek, caUrls(this.env.PUBLIC_URL), new Date());
      await this.ctx.storage.put("pq-hierarchy", storedPq);
    }
    try {
      this.#pq = await loadPqHierarchy(kek, storedPq);
    } catch {
      this.#ca = null;
      this.#unavailable = unopened;
      return;
    }
    await this.#crossCertify();
    await this.#publishCaCertificates();
    // The first (empty) CRLs are part of the bootstrap (also of a hierarchy added later, or of a
    // restored deployment whose bucket has none yet); every later one needs a quorum (refreshCrls).
    if (fresh || freshPq || !(await this.env.BLOBS.head(`crl/${this.#ca.issuing.issuer.id}.crl`))) await this.#publishCrls();
  }

  /**
   * One cross-certificate per classical issuing CA, current and retired (a retired one's leaves
   * keep their alternate chain), by the current ML-DSA root. Each is made once: at bootstrap, at a
   * rotation, or on the first start after the upgrade or a restore that lacks it.
   */
  async #crossCertify(): Promise<void> {
    const ca = this.#ca!;
    const pq = this.#pq!;
    const legacy = await this.ctx.storage.get<StoredCrossCertificate>("pq-cross");
    const before = (await this.ctx.storage.get<StoredCrossCertificate[]>("pq-crosses")) ?? (legacy ? [legacy] : []);
    const now = new Date();
    const crosses: StoredCrossCertificate[] = [];
    for (const issuing of [ca.issuing, ...ca.retired.filter((r) => r.issuer.notAfter > now)]) {
      const kept = before.find((c) => c.issuingId === issuing.issuer.id && c.pqRootId === pq.root.issuer.id);
      crosses.push(kept ?? (await crossCertify(pq.root, issuing, caUrls(this.env.PUBLIC_URL), now)));
    }
    if (legacy || crosses.length !== before.length || crosses.some((c, i) => c !== before[i])) {
      await this.ctx.storage.put("pq-crosses", crosses);
      if (legacy) await this.ctx.storage.delete("pq-cross");
    }
    this.#cross = crosses.map((c) => {
      const der = fromBase64(c.certificate)!;
      return { id: crossCertificateId(c), issuingId: c.issuingId, der, pem: toPem("CERTIFICATE", der) };
    });
  }

  async #publishCaCertificates(): Promise<void> {
    const put = (id: string, der: Uint8Array) => this.env.BLOBS.put(`ca/${id}.der`, der, { httpMetadata: { contentType: "application/pkix-cert" } });
    for (const c of this.#cross) await put(c.id, c.der);
    for (const h of this.#all()) for (const ca of [h.root, h.issuing, ...h.retired]) await put(ca.issuer.id, ca.certDer);
  }

  #loaded(hierarchy: HierarchyName = "classical"): LoadedHierarchy | Problem {
    const ca = hierarchy === "pq" ? this.#pq : this.#ca;
    return ca ?? this.#unavailable ?? problem(ProblemType.serverInternal, 503, "the CA is starting");
  }

  /** Both hierarchies, for the operations that serve every CA (CRLs, OCSP, the final-log sweep). */
  #all(): LoadedHierarchy[] {
    return [this.#ca, this.#pq].filter((h): h is LoadedHierarchy => h !== null);
  }

  /** Every issuing CA, current and retired, with its root: what answers for a leaf. */
  #issuingChains(): IssuingChain[] {
    return this.#all().flatMap((h) => [h.issuing, ...h.retired].map((issuing) => ({ root: h.root, issuing })));
  }

  async certificates(): Promise<CaCertificates | Problem> {
    const ca = this.#loaded();
    if (!("root" in ca)) return ca;
    const pq = this.#pq!;
    return {
      root: { id: ca.root.issuer.id, pem: ca.root.certPem },
      issuing: issuingCert(ca.issuing),
      retired: ca.retired.map(issuingCert),
      pq: {
        root: { id: pq.root.issuer.id, pem: pq.root.certPem },
        issuing: issuingCert(pq.issuing),
        retired: pq.retired.map(issuingCert),
        cross: this.#cross.map(({ id, pem, issuingId }) => ({ id, pem, issuingId })),
      },
    };
  }

  // Operations (issue 8): every issuance is counted and timed here, whichever front door asked,
  // refusals (no quorum, bad request) included.
  async issue(request: ConsensusRequest, qc: QuorumCertificate): Promise<IssuedCertificate | Problem> {
    const issued = await measureIssuance(issueRequestOf(request)?.profile ?? "unknown", () => this.#issue(request, qc));
    this.ctx.waitUntil(flushMetrics(this.env));
    return issued;
  }

  async #issue(request: ConsensusRequest, qc: QuorumCertificate): Promise<IssuedCertificate | Problem> {
    const req = issueRequestOf(request);
    if (!req) return problem(ProblemType.malformed, 400, "the consensus request is not a well-formed issuance");
    const ca = this.#loaded(req.hierarchy);
    if (!("root" in ca)) return ca;
    const denied = await this.#guard.authorize(request, qc, "issue", Date.now());
    if (denied) return denied;
    const profile = profileByName(req.profile);
    if (!profile) return problem(ProblemType.malformed, 400, `unknown profile "${req.profile}"`);
    const now = new Date();
    const plan = planLeaf(ca.issuing, caUrls(this.env.PUBLIC_URL), profile, req, now);
    const leaf = await issueLogged(ca, plan, (sub) => ctLog(this.env).submit(sub));
    if (isProblem(leaf)) return leaf;
    // Indexed before it is returned: if the index write fails, the certificate is discarded.
    await this.#index.add({
      serial: plan.serial,
      fingerprint: leaf.fingerprint,
      issuerId: ca.issuing.issuer.id,
      subject: req.commonName ? `CN=${req.commonName}` : "",
      identifiers: req.identifiers,
      keyType: req.keyLabel,
      profile: profile.name,
      notBefore: Math.floor(plan.notBefore.getTime() / 1000),
      notAfter: Math.floor(plan.notAfter.getTime() / 1000),
      der: leaf.der,
      createdAt: Math.floor(now.getTime() / 1000),
      requestedBy: req.requestedBy,
      ctPrecertIndex: leaf.precertIndex,
      ctFinalIndex: null,
      quorum: { serial: plan.serial, requestHash: await requestHash(request), request, qc },
    });
    void this.#finals.add({ ca, serial: plan.serial, der: leaf.der });
    const certificatePem = toPem("CERTIFICATE", leaf.der);
    return {
      serial: plan.serial,
      fingerprint: leaf.fingerprint,
      issuerId: ca.issuing.issuer.id,
      certificatePem,
      chainPem: certificatePem + ca.issuing.certPem,
      notBefore: plan.notBefore.toISOString(),
      notAfter: plan.notAfter.toISOString(),
      profile: profile.name,
    };
  }

  async #logFinal(ca: IssuingChain, serial: string, der: Uint8Array): Promise<void> {
    try {
      const index = await logFinal(ca, der, (sub) => ctLog(this.env).submit(sub));
      if (index !== null) await setFinalLeafIndex(this.env.DB, serial, index);
    } catch (e) {
      console.error(`logging final certificate ${serial} failed; the scheduled sweep retries`, e);
    }
  }

  /** Logs final certificates that issuance could not log at once (the scheduled sweep). */
  async logPendingFinals(): Promise<{ logged: number } | Problem> {
    const ca = this.#loaded();
    if (!("root" in ca)) return ca;
    const pending = await unloggedFinals(this.env.DB, Math.floor(Date.now() / 1000) - 60, 500);
    const byIssuer = new Map(this.#issuingChains().map((c) => [c.issuing.issuer.id, c]));
    await Promise.all(pending.map((p) => this.#logFinal(byIssuer.get(p.issuerId) ?? ca, p.serial, p.der)));
    return { logged: pending.length };
  }

  async revoke(request: ConsensusRequest, qc: QuorumCertificate): Promise<CertificateRecord | Problem> {
    const ca = this.#loaded();
    if (!("root" in ca)) return ca;
    if (request.subject.kind !== "revoke") return problem(ProblemType.malformed, 400, "the consensus request is not a revocation");
    const { serial, reason } = request.subject;
    const denied = await this.#guard.authorize(request, qc, "revoke", Date.now());
    if (denied) return denied;
    const now = Math.floor(Date.now() / 1000);
    const revoked = await markRevoked(this.env.DB, serial, reason, now);
    // After the write: no response signed before it is served again, nor kept by a request that
    // read the status before it (src/revocation/ocsp-cache.ts).
    this.#ocspResponses.clear();
    if (!revoked) {
      const existing = await getCertificate(this.env.DB, serial);
      if (!existing) return problem(ProblemType.about, 404, `no certificate with serial ${serial}`, { title: "Not Found" });
      return problem(ProblemType.alreadyRevoked, 409, `certificate ${serial} was already revoked`);
    }
    // The index is the source of truth (OCSP reads it); the CRL follows at once, and the
    // scheduled refresh republishes it should this write fail.
    await this.#publishCrls();
    return (await getCertificate(this.env.DB, serial))!;
  }

  /** Regenerates and publishes the full CRL of every CA in the hierarchy. */
  async refreshCrls(request: ConsensusRequest, qc: QuorumCertificate): Promise<{ issuerId: string; entries: number }[] | Problem> {
    const ca = this.#loaded();
    if (!("root" in ca)) return ca;
    const denied = await this.#guard.authorize(request, qc, "crl", Date.now());
    if (denied) return denied;
    return this.#publishCrls();
  }

  #publishCrls(): Promise<{ issuerId: string; entries: number }[]> {
    // CRL numbers must increase with content: serialize publications so a slower, older one can
    // never overwrite a newer CRL.
    const run = this.#crlChain.then(async () => {
      const out: { issuerId: string; entries: number }[] = [];
      const nowSeconds = Math.floor(Date.now() / 1000);
      const issuers: { issuer: Issuer; leaves: boolean }[] = [];
      for (const h of this.#all()) {
        issuers.push({ issuer: h.root.issuer, leaves: false }, { issuer: h.issuing.issuer, leaves: true });
        // A retired issuing CA's CRL is kept fresh while any certificate it issued is unexpired;
        // after that its last CRL stays published and nothing it issued can still be relied on.
        for (const r of h.retired) if (await hasUnexpired(this.env.DB, r.issuer.id, nowSeconds)) issuers.push({ issuer: r.issuer, leaves: true });
      }
      for (const { issuer, leaves } of issuers) {
        const now = new Date();
        const entries = leaves ? await revokedUnexpired(this.env.DB, issuer.id, Math.floor(now.getTime() / 1000)) : [];
        const crlNumber = ((await this.ctx.storage.get<number>(`crl-number/${issuer.id}`)) ?? 0) + 1;
        await this.ctx.storage.put(`crl-number/${issuer.id}`, crlNumber);
        const der = await buildCrl({ issuer, crlNumber, thisUpdate: now, entries });
        await this.env.BLOBS.put(`crl/${issuer.id}.crl`, der, {
          httpMetadata: { contentType: "application/pkix-crl" },
          customMetadata: { crlNumber: String(crlNumber), thisUpdate: now.toISOString() },
        });
        out.push({ issuerId: issuer.id, entries: entries.length });
      }
      return out;
    });
    this.#crlChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Retires one hierarchy's issuing CA for a new one signed by the same root, with a quorum
   * certificate for exactly this request. The request names the issuing CA it replaces: once that
   * one is no longer current the request is refused, so an approved rotation rotates once.
   */
  async rotate(request: ConsensusRequest, qc: QuorumCertificate): Promise<Rotation | Problem> {
    if (request.subject.kind !== "rotate") return problem(ProblemType.malformed, 400, "the consensus request is not a rotation");
    const { hierarchy, issuing } = request.subject;
    const ca = this.#loaded(hierarchy);
    if (!("root" in ca)) return ca;
    const denied = await this.#guard.authorize(request, qc, "rotate", Date.now());
    if (denied) return denied;
    const run = this.#rotations.then(() => (hierarchy === "pq" ? this.#rotate(PQ, "pq", issuing) : this.#rotate(CLASSICAL, "classical", issuing)));
    this.#rotations = run.catch(() => undefined);
    return run;
  }

  /** The issuing CAs `policy` says are due at `now`: the scheduled handler asks consensus to rotate them. */
  async rotationsDue(now: number, policy: RotationPolicy): Promise<DueRotation[] | Problem> {
    const due: DueRotation[] = [];
    for (const hierarchy of HIERARCHIES) {
      const h = this.#loaded(hierarchy);
      if (!("root" in h)) return h;
      const reason = rotationDue({ root: h.root.issuer, issuing: h.issuing.issuer }, now, policy);
      if (reason) due.push({ hierarchy, issuing: h.issuing.issuer.id, reason });
    }
    return due;
  }

  async #rotate<S extends StoredAnyHierarchy>(kind: HierarchyKind<S>, name: HierarchyName, retiring: string): Promise<Rotation | Problem> {
    const current = this.#loaded(name);
    if (!("root" in current)) return current;
    if (current.issuing.issuer.id !== retiring) {
      const retired = current.retired.some((r) => r.issuer.id === retiring);
      return problem(ProblemType.malformed, 409, `the rotation names ${retired ? "the retired" : "no"} ${name} issuing CA ${retiring}; the current one is ${current.issuing.issuer.id}. Nothing was rotated`, { title: "Conflict" });
    }
    const stored = await this.ctx.storage.get<S>(kind.storageKey);
    if (stored?.issuing.id !== retiring) return problem(ProblemType.serverInternal, 503, "the stored hierarchy differs from the loaded one; nothing was rotated");
    const next = await rotateIssuing(kind, this.#kek!, stored, current.root.issuer, caUrls(this.env.PUBLIC_URL), new Date());
    const loaded = await kind.load(this.#kek!, next);
    await this.ctx.storage.put(kind.storageKey, next);
    if (name === "pq") this.#pq = loaded;
    else {
      this.#ca = loaded;
      await this.#crossCertify();
    }
    await this.#publishCaCertificates();
    // The new issuing CA's first CRL, authorized by this rotation's quorum like the rest of it.
    await this.#publishCrls();
    console.log(`rotated the ${name} issuing CA: ${retiring} retired, ${loaded.issuing.issuer.id} now signs`);
    return { hierarchy: name, retired: issuingCert(current.issuing), issuing: issuingCert(loaded.issuing) };
  }

  /** The validator set as pinned here (after following any vote-key rollover `votes` reveal), the quarantine list and its evidence. */
  async consensusState(votes: SignedVote[] = []): Promise<{ pinned: ValidatorIdentity[]; quarantined: Quarantine[] }> {
    return { pinned: await this.#guard.pinned(votes), quarantined: this.#guard.quarantines() };
  }

  async quarantinedValidators(): Promise<string[]> {
    return [...this.#guard.quarantined()];
  }

  /** Evidence of a Byzantine validator: verified here, then the validator's votes stop counting. */
  async reportByzantine(evidence: Evidence): Promise<Quarantine | Problem> {
    return this.#guard.report(evidence, Date.now());
  }

  /** An operator lifts a quarantine. */
  async releaseQuarantine(validator: string): Promise<{ released: boolean }> {
    return { released: this.#guard.release(validator) };
  }

  async ocsp(requestDer: Uint8Array): Promise<Uint8Array | Problem> {
    const ca = this.#loaded();
    if (!("root" in ca)) return ca;
    return respondOcsp(requestDer, {
      issuers: this.#issuingChains().map((c) => c.issuing.ocsp),
      lookup: (issuerId, serial) => certificateStatus(this.env.DB, issuerId, serial),
      now: new Date(),
      reuse: this.#ocspResponses,
    });
  }

  // ---- post-quantum: CA key backups sealed to an operator's X-Wing key (src/ca/backup.ts) ----

  /** Every CA key of both hierarchies, sealed to the recipient; nothing leaves unencrypted. */
  async exportBackup(recipientPublicKey: Uint8Array): Promise<SealedEnvelope | Problem> {
    const ca = this.#loaded();
    if (!("root" in ca)) return ca;
    const stored = await this.ctx.storage.get<StoredHierarchy>("hierarchy");
    const storedPq = await this.ctx.storage.get<StoredPqHierarchy>("pq-hierarchy");
    if (!stored || !storedPq || !this.#kek) return problem(ProblemType.serverInternal, 503, "the CA has no keys to back up");
    try {
      const ids = [stored, storedPq].flatMap((h) => [h.root.id, h.issuing.id, ...(h.retired ?? []).map((r) => r.id)]);
      const crlNumbers = Object.fromEntries(await Promise.all(ids.map(async (id) => [id, (await this.ctx.storage.get<number>(`crl-number/${id}`)) ?? 0] as const)));
      return await sealTo(recipientPublicKey, BACKUP_PURPOSE, await exportCaKeys(this.#kek, stored, storedPq, crlNumbers, new Date()));
    } catch (e) {
      return problem(ProblemType.malformed, 400, e instanceof RangeError ? e.message : "the recipient key is not an X-Wing public key");
    }
  }

  /** A one-time X-Wing key (10 minutes) that restore() opens the operator's re-sealed backup with. */
  async restoreKey(): Promise<{ publicKey: string; expiresAt: string } | Problem> {
    const ca = this.#loaded();
    if (!("root" in ca)) return ca;
    const pair = kemKeygen();
    const expiresAt = Date.now() + 10 * 60 * 1000;
    const sealed = await sealKey(this.#kek!, "restore-key", pair.secretKey);
    await this.ctx.storage.put("restore-key", { sealed, publicKey: toBase64(pair.publicKey), expiresAt });
    return { publicKey: toBase64(pair.publicKey), expiresAt: new Date(expiresAt).toISOString() };
  }

  /** Replaces both hierarchies with the backed-up keys; only on a CA that has not issued yet. */
  async restore(envelope: unknown): Promise<CaCertificates | Problem> {
    const ca = this.#loaded();
    if (!("root" in ca)) return ca;
    const rk = await this.ctx.storage.get<{ sealed: SealedKey; publicKey: string; expiresAt: number }>("restore-key");
    if (!rk || rk.expiresAt < Date.now()) return problem(ProblemType.malformed, 409, "no current restore key: ask for one (GET /api/v1/admin/ca-restore-key) and seal the backup to it");
    await this.ctx.storage.delete("restore-key");
    const keys = { publicKey: fromBase64(rk.publicKey)!, secretKey: await unsealKey(this.#kek!, "restore-key", rk.sealed) };
    const opened = await openSealed(keys, BACKUP_PURPOSE, envelope);
    if (isOpenFailure(opened)) return problem(ProblemType.malformed, 400, `the restore envelope does not open: ${opened.detail}`);
    const ids = this.#issuingChains().map((c) => c.issuing.issuer.id);
    const issued = await countIssuedBy(this.env.DB, ids);
    if (issued > 0) return problem(ProblemType.malformed, 409, `this CA has already issued ${issued} certificate(s); restore only into a fresh deployment`);
    const checked = await importCaKeys(this.#kek!, opened);
    if (!checked.ok) return problem(ProblemType.malformed, 400, `the backup was refused: ${checked.detail}`);
    const loaded = { ca: await loadHierarchy(this.#kek!, checked.classical), pq: await loadPqHierarchy(this.#kek!, checked.pq) };
    await this.ctx.storage.put("hierarchy", checked.classical);
    await this.ctx.storage.put("pq-hierarchy", checked.pq);
    for (const [id, n] of Object.entries(checked.crlNumbers)) await this.ctx.storage.put(`crl-number/${id}`, n);
    this.#ca = loaded.ca;
    this.#pq = loaded.pq;
    await this.#crossCertify();
    await this.#publishCaCertificates();
    await this.#publishCrls();
    return (await this.certificates()) as CaCertificates;
  }
}
