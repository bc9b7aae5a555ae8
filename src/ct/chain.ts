// Submission checks for add-chain and add-pre-chain (RFC 6962 §4.1, §4.2): parse the submitted
// certificates, check that each is signed by the next and that the chain ends at (or is signed
// by) an accepted root, then build the log entry (RFC 6962 §3.1) and the issuer list the
// static-ct-api TileLeaf references.
//
// What is checked and what is not: signatures, issuer/subject name chaining, that issuers are CAs
// (or, for precertificates, a Precertificate Signing Certificate), the poison extension. Validity
// periods are not: RFC 6962 logs accept expired chains as evidence, and temporal sharding is a
// policy this log does not apply yet.

import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import { type Bytes, bytesEqual, sha256Sync, toBytes, toHex } from "../encoding/bytes.ts";
import { DerError, type DerElement, oidFromContents, readChildren, readSingle } from "../encoding/der-reader.ts";
import { TAG } from "../encoding/der-writer.ts";
import { type Result, ProblemType, fail, ok, problem } from "../problem.ts";
import { verifySignature } from "../x509/signature.ts";
import type { SignedEntry } from "./structures.ts";
import { OID_CT_POISON, OID_CT_PRECERT_SIGNING, precertTbs, tbsParts } from "./precert.ts";

/** RFC 6962 has no limit; real chains are 2-4 certificates. Bounds the work one request can cause. */
export const MAX_CHAIN_LENGTH = 10;
const OID_BASIC_CONSTRAINTS = "2.5.29.19";
const OID_EXT_KEY_USAGE = "2.5.29.37";

/** One submitted certificate, with the exact bytes signatures and fingerprints are computed over. */
export interface ChainCert {
  readonly der: Bytes;
  readonly tbsDer: Bytes;
  readonly spkiDer: Bytes;
  readonly issuerName: Bytes;
  readonly subjectName: Bytes;
  /** The outer signatureAlgorithm and the signature (the BIT STRING's bits). */
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signatureValue: Bytes;
  readonly extensions: readonly CertExtension[];
  /** SHA-256 of the DER certificate: the static-ct-api issuer fingerprint. */
  readonly fingerprint: Bytes;
}

/** An Extension (RFC 5280 §4.1): its OID, criticality and the extnValue OCTET STRING's contents. */
export interface CertExtension {
  readonly id: string;
  readonly critical: boolean;
  readonly value: Bytes;
}

// Submissions repeat the same few intermediates and roots: parsed issuers and verified
// issuer→subject links are remembered per isolate (keyed by SHA-256 of the DER, so an entry can
// only ever be reused for byte-identical certificates). Leaves are unique and not cached.
const CACHE_LIMIT = 256;
const parsedIssuers = new Map<string, ChainCert>();
const verifiedLinks = new Set<string>();

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  if (map.size >= CACHE_LIMIT) map.delete(map.keys().next().value!);
  map.set(key, value);
}

/** Parses one DER certificate; the error text names what is wrong for a 400 response. */
export async function parseChainCert(der: Uint8Array): Promise<ChainCert | string> {
  const fingerprint = sha256Sync(der);
  const cached = parsedIssuers.get(toHex(fingerprint));
  if (cached) return cached;
  const parsed = await parseUncached(der, fingerprint);
  if (typeof parsed !== "string" && isCa(parsed)) remember(parsedIssuers, toHex(fingerprint), parsed);
  return parsed;
}

// Certificates are taken apart with the DER reader rather than a schema parser: a submission
// needs only the TBSCertificate's bytes, names, key and extensions and the outer signature, and
// a full @peculiar/asn1-schema parse of every (unique, uncached) leaf cost about 0.5 ms of the
// log's CPU per entry (bench:ct). Whatever the CA put in the other fields is its signed content.
async function parseUncached(der: Uint8Array, fingerprint: Bytes): Promise<ChainCert | string> {
  try {
    const outer = readSingle(der);
    const children = readChildren(outer.content);
    if (outer.tag !== TAG.sequence || children.length !== 3) return "not a DER X.509 certificate";
    const tbsDer = toBytes(children[0]!.raw);
    const parts = tbsParts(tbsDer);
    const subjectAt = parts.issuerAt + 2;
    return {
      der: toBytes(der),
      tbsDer,
      spkiDer: toBytes(parts.subjectPublicKeyInfo.raw),
      issuerName: toBytes(parts.fields[parts.issuerAt]!.raw),
      subjectName: toBytes(parts.fields[subjectAt]!.raw),
      signatureAlgorithm: algorithmIdentifier(children[1]!),
      signatureValue: bitStringBytes(children[2]!),
      extensions: parts.extensions.map(certExtension),
      fingerprint,
    };
  } catch (e) {
    return e instanceof DerError ? `not a DER X.509 certificate: ${e.message}` : "not a DER X.509 certificate";
  }
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL } */
function algorithmIdentifier(e: DerElement): AlgorithmIdentifier {
  const [id, params, ...rest] = readChildren(e.content);
  if (e.tag !== TAG.sequence || id?.tag !== TAG.oid || rest.length > 0) throw new DerError("malformed signatureAlgorithm");
  return new AlgorithmIdentifier({ algorithm: oidFromContents(id.content), parameters: params ? toBytes(params.raw).buffer : undefined });
}

/** A BIT STRING of whole octets (signatures always are), without its unused-bits octet. */
function bitStringBytes(e: DerElement): Bytes {
  if (e.tag !== TAG.bitString || e.content.length < 1 || e.content[0] !== 0) throw new DerError("malformed signatureValue");
  return toBytes(e.content.subarray(1));
}

/** Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
function certExtension(e: DerElement): CertExtension {
  const c = readChildren(e.content);
  const critical = c.length === 3 ? c[1] : undefined;
  const value = c[c.length - 1];
  if (e.tag !== TAG.sequence || c[0]?.tag !== TAG.oid || (c.length !== 2 && c.length !== 3) || value?.tag !== TAG.octetString) throw new DerError("malformed Extension");
  if (critical && (critical.tag !== TAG.boolean || critical.content.length !== 1)) throw new DerError("malformed Extension criticality");
  return { id: oidFromContents(c[0].content), critical: critical !== undefined && critical.content[0] !== 0, value: toBytes(value.content) };
}

function extension(c: ChainCert, id: string): CertExtension | undefined {
  return c.extensions.find((e) => e.id === id);
}

// Issuers' keys as the signature check wants them, parsed once per certificate (issuers are
// the cached, repeated part of chains).
const issuerKeys = new WeakMap<ChainCert, SubjectPublicKeyInfo>();
function issuerKey(c: ChainCert): SubjectPublicKeyInfo {
  let k = issuerKeys.get(c);
  if (!k) issuerKeys.set(c, (k = AsnConvert.parse(c.spkiDer, SubjectPublicKeyInfo)));
  return k;
}

export function isPrecertificate(c: ChainCert): boolean {
  return extension(c, OID_CT_POISON) !== undefined;
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL } (RFC 5280 §4.2.1.9) */
function isCa(c: ChainCert): boolean {
  const ext = extension(c, OID_BASIC_CONSTRAINTS);
  if (!ext) return false;
  try {
    const seq = readSingle(ext.value);
    const first = readChildren(seq.content)[0];
    return seq.tag === TAG.sequence && first?.tag === TAG.boolean && first.content.length === 1 && first.content[0] !== 0;
  } catch {
    return false;
  }
}

/** ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId (RFC 5280 §4.2.1.12) */
function isPrecertSigningCert(c: ChainCert): boolean {
  const ext = extension(c, OID_EXT_KEY_USAGE);
  if (!ext) return false;
  try {
    const seq = readSingle(ext.value);
    return seq.tag === TAG.sequence && readChildren(seq.content).some((p) => p.tag === TAG.oid && oidFromContents(p.content) === OID_CT_PRECERT_SIGNING);
  } catch {
    return false;
  }
}

/** True when `issuer` issued `subject`: names chain and the signature verifies with issuer's key. */
async function issued(issuer: ChainCert, subject: ChainCert): Promise<boolean> {
  if (!bytesEqual(issuer.subjectName, subject.issuerName)) return false;
  const link = `${toHex(issuer.fingerprint)}>${toHex(subject.fingerprint)}`;
  if (verifiedLinks.has(link)) return true;
  // A submitted "CA" needs no valid signature to get here (matching names and the CA bit do), so
  // its key may be any DER: one the SPKI parser refuses issued nothing, rather than throwing out
  // of add-chain as a 500.
  let key: SubjectPublicKeyInfo;
  try {
    key = issuerKey(issuer);
  } catch {
    return false;
  }
  const verdict = await verifySignature(subject.signatureAlgorithm, issuer.spkiDer, key, subject.signatureValue, subject.tbsDer);
  if (verdict === true && isCa(subject)) {
    if (verifiedLinks.size >= CACHE_LIMIT) verifiedLinks.delete(verifiedLinks.values().next().value!);
    verifiedLinks.add(link);
  }
  return verdict === true;
}

const bad = (detail: string) => fail<never>(problem(ProblemType.malformed, 400, detail));

/**
 * Checks that chain[0] leads to one of the roots. Returns the full chain, ending with the root
 * (appended when the submitter left it out, as RFC 6962 §4.1 allows).
 */
export async function verifyChain(chain: readonly ChainCert[], roots: readonly ChainCert[], precert: boolean): Promise<Result<ChainCert[]>> {
  if (chain.length === 0) return bad("the chain is empty");
  if (chain.length > MAX_CHAIN_LENGTH) return bad(`the chain has more than ${MAX_CHAIN_LENGTH} certificates`);
  const out: ChainCert[] = [];
  for (let i = 0; i < chain.length; i++) {
    const c = chain[i]!;
    out.push(c);
    if (roots.some((r) => bytesEqual(r.fingerprint, c.fingerprint))) {
      if (i === 0) return bad("the submitted certificate is itself an accepted root");
      if (i !== chain.length - 1) return bad("the chain continues past an accepted root");
      return ok(out);
    }
    const next = chain[i + 1];
    if (next === undefined) {
      const root = await findIssuer(roots, c);
      if (root === undefined) return bad("the chain does not lead to an accepted root (see get-roots)");
      out.push(root);
      return ok(out);
    }
    // RFC 6962 §3.1: a precertificate may be signed by a Precertificate Signing Certificate,
    // which is not a CA but is issued directly by the CA that will issue the final certificate.
    const pscAllowed = precert && i === 0 && isPrecertSigningCert(next);
    if (!isCa(next) && !pscAllowed) return bad(`certificate ${i + 1} of the chain is not a CA certificate`);
    if (!(await issued(next, c))) return bad(`certificate ${i} of the chain is not signed by certificate ${i + 1}`);
  }
  return bad("the chain does not lead to an accepted root (see get-roots)");
}

async function findIssuer(roots: readonly ChainCert[], c: ChainCert): Promise<ChainCert | undefined> {
  for (const r of roots) if (await issued(r, c)) return r;
  return undefined;
}

/** What the sequencer logs for one submission. */
export interface LogEntryInput {
  readonly entry: SignedEntry;
  /** RFC 6962 §3.1 pre_certificate, present for precert entries. */
  readonly preCertificate?: Bytes;
  /** The chain after the end-entity (or precertificate), root included: the TileLeaf fingerprints. */
  readonly issuers: readonly Bytes[];
}

/**
 * RFC 6962 §3.1/§3.2: the SignedEntry of a verified chain. For a precertificate the issuer key
 * hash is over the final issuer's SubjectPublicKeyInfo: chain[1], or chain[2] when chain[1] is a
 * Precertificate Signing Certificate.
 */
export async function entryFromChain(full: readonly ChainCert[], precert: boolean): Promise<Result<LogEntryInput>> {
  const leaf = full[0]!;
  const issuers = full.slice(1).map((c) => c.der);
  if (!precert) {
    if (isPrecertificate(leaf)) return bad("add-chain was given a precertificate (it carries the CT poison extension); use add-pre-chain");
    return ok({ entry: { type: "x509", certificate: leaf.der }, issuers });
  }
  const poison = extension(leaf, OID_CT_POISON);
  if (!poison) return bad("add-pre-chain needs a precertificate: the CT poison extension 1.3.6.1.4.1.11129.2.4.3 is missing");
  if (!poison.critical) return bad("the CT poison extension must be critical (RFC 6962 §3.1)");
  const signer = full[1]!;
  const psc = isPrecertSigningCert(signer);
  const finalIssuer = psc ? full[2] : signer;
  if (finalIssuer === undefined) return bad("a precertificate signing certificate must be followed by the CA that issued it");
  try {
    const tbs = precertTbs(leaf.tbsDer, psc ? { tbsDer: signer.tbsDer } : undefined);
    return ok({
      entry: { type: "precert", issuerKeyHash: sha256Sync(finalIssuer.spkiDer), tbsCertificate: tbs },
      preCertificate: leaf.der,
      issuers,
    });
  } catch (e) {
    return bad(e instanceof DerError ? `the precertificate cannot be logged: ${e.message}` : "the precertificate cannot be logged");
  }
}
