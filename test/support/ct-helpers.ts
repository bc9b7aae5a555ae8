// Helpers for CT log tests inside workerd: certificates issued through our own API, submission,
// and reading the log back through its public endpoints only (as a monitor would).

import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { Certificate, Extension } from "@peculiar/asn1-x509";
import { env, runInDurableObject } from "cloudflare:test";
import type { StoredHierarchy } from "../../src/ca/authority.ts";
import { importKek, unsealKey } from "../../src/ca/key-vault.ts";
import { logConfig } from "../../src/ct/log-config.ts";
import { loadLogKeys, signTreeHeadAndCheckpoint } from "../../src/ct/log-keys.ts";
import { LogStore } from "../../src/ct/log-store.ts";
import { type SequencedBatch, type TreeState, entryIdentity, sequenceBatch } from "../../src/ct/sequencer.ts";
import { OID_CT_POISON } from "../../src/ct/precert.ts";
import { type Bytes, fromBase64, sha256, toBase64, toBytes, toHex } from "../../src/encoding/bytes.ts";
import { parsePem } from "../../src/encoding/pem.ts";
import { TILE_WIDTH, rootFromTiles, tilePath, tilesForRoot } from "../../src/merkle/tiles.ts";
import { ecdsaSigner } from "../../src/x509/signer.ts";
import { call, makeCsr, mintToken } from "./worker-helpers.ts";

export const LOG = "trustchain-2026";
export const ORIGIN = `trustchain.test/${LOG}`;

export interface IssuedChain {
  leaf: Bytes;
  intermediate: Bytes;
}

let token: string | null = null;

/** Issues a fresh leaf through POST /api/v1/certificates and returns it with its intermediate. */
export async function issueChain(name = `host-${crypto.randomUUID().slice(0, 8)}.example.com`): Promise<IssuedChain> {
  token ??= await mintToken("issuer");
  const csr = await makeCsr("p256", [name]);
  const res = await call("/api/v1/certificates", { method: "POST", body: csr.pem, token, headers: { "content-type": "application/x-pem-file" } });
  const body = (await res.json()) as { chain: string };
  if (res.status !== 201) throw new Error(`issuance failed: ${JSON.stringify(body)}`);
  const blocks = parsePem(body.chain)!;
  return { leaf: blocks[0]!.der, intermediate: blocks[1]!.der };
}

/**
 * A leaf under the test-only extra root (vitest.config.ts): accepted by the log, never issued or
 * logged by our CA. The returned "intermediate" is that root itself.
 */
export async function unloggedChain(name = `other-${crypto.randomUUID().slice(0, 8)}.example.net`): Promise<IssuedChain> {
  const { x509 } = await import("../../src/x509/peculiar.ts");
  const root = new x509.X509Certificate(env.CT_EXTRA_ROOTS!);
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const signingKey = await crypto.subtle.importKey("pkcs8", fromBase64(env.TEST_EXTRA_ROOT_KEY)!, alg, false, ["sign"]);
  const keys = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: toHex(crypto.getRandomValues(new Uint8Array(8))).replace(/^[89a-f]/, "1"),
    subject: `CN=${name}`,
    issuer: root.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: alg,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: name }])],
  });
  return { leaf: toBytes(leaf.rawData), intermediate: toBytes(root.rawData) };
}

export function submit(kind: "add-chain" | "add-pre-chain", chain: Uint8Array[], base = `/${LOG}/ct/v1`): Promise<Response> {
  return call(`${base}/${kind}`, { method: "POST", body: JSON.stringify({ chain: chain.map(toBase64) }), headers: { "content-type": "application/json" } });
}

export interface SctJson {
  sct_version: number;
  id: string;
  timestamp: number;
  extensions: string;
  signature: string;
}

export interface LogV3 {
  log_id: string;
  key: string;
  mmd: number;
  checkpoint_origin: string;
  note_verifier_key: string;
  submission_url: string;
}

export async function logV3(): Promise<LogV3> {
  return (await (await call(`/${LOG}/log.v3.json`)).json()) as LogV3;
}

export async function logPublicKey(): Promise<{ key: CryptoKey; spki: Bytes; logId: Bytes }> {
  const meta = await logV3();
  const spki = fromBase64(meta.key)!;
  const key = await crypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  return { key, spki, logId: fromBase64(meta.log_id)! };
}

export async function getBytes(path: string): Promise<Bytes | null> {
  const res = await call(path);
  if (res.status === 404) return null;
  if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Recomputes the root of a tree of `size` leaves from the tiles the log serves. */
export async function rootFromServedTiles(size: number): Promise<Bytes> {
  const tiles = new Map<string, Uint8Array>();
  for (const t of tilesForRoot(size)) {
    const data = await getBytes(`/${LOG}/${tilePath(t)}`);
    if (data === null) throw new Error(`tile ${tilePath(t)} is missing`);
    if (data.length !== t.width * 32) throw new Error(`tile ${tilePath(t)} has ${data.length} bytes`);
    tiles.set(`${t.level}/${t.index}`, data);
  }
  return rootFromTiles(size, (l, i) => tiles.get(`${l}/${i}`));
}

export { TILE_WIDTH };

/**
 * A precertificate for the same subject as `leaf`, signed as our issuing CA. Only a test can do
 * this: it holds the CA_KEK of the test run and opens the CA's sealed key from the CaSigner's
 * storage. The returned `tbs` is the leaf's own TBSCertificate, which is exactly what RFC 6962
 * §3.2 says the log must reconstruct by removing the poison extension.
 */
export async function precertificateFor(leaf: Uint8Array): Promise<{ precert: Bytes; tbs: Bytes }> {
  const stub = env.CA_SIGNER.get(env.CA_SIGNER.idFromName("classical"));
  const stored = await runInDurableObject(stub, async (_instance, state) => state.storage.get<StoredHierarchy>("hierarchy"));
  if (!stored) throw new Error("the CA has no stored hierarchy");
  const kek = await importKek(env.CA_KEK);
  if (!(kek instanceof CryptoKey)) throw new Error("no CA_KEK in the test environment");
  const pkcs8 = await unsealKey(kek, `issuing/${stored.issuing.id}`, stored.issuing.key);
  const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  const cert = AsnConvert.parse(leaf, Certificate);
  const tbsOriginal = toBytes(AsnConvert.serialize(cert.tbsCertificate));
  // RFC 6962 §3.1: critical poison extension whose extnValue is an ASN.1 NULL.
  cert.tbsCertificate.extensions!.push(new Extension({ extnID: OID_CT_POISON, critical: true, extnValue: new OctetString(new Uint8Array([0x05, 0x00])) }));
  const tbs = toBytes(AsnConvert.serialize(cert.tbsCertificate));
  const signer = ecdsaSigner(key, "P-256");
  cert.signatureValue = (await signer.sign(tbs)).slice().buffer;
  return { precert: toBytes(AsnConvert.serialize(cert)), tbs: tbsOriginal };
}

/** Steps 3-4 of a round, played inside the log object: one entry sequenced after the committed tree, its checkpoint signed. */
export interface PlayedRound {
  store: LogStore;
  from: TreeState;
  seq: SequencedBatch;
  checkpoint: string;
  identity: Bytes;
}

export async function playRound(state: DurableObjectState, leaf: Uint8Array, intermediate: Uint8Array, cosign: boolean): Promise<PlayedRound> {
  const config = logConfig(env);
  const kek = await importKek(env.CA_KEK);
  if (!(kek instanceof CryptoKey)) throw new Error("no KEK");
  const store = new LogStore(state.storage);
  const keys = await loadLogKeys(kek, config.name, config.origin, store.keys()!);
  const from = store.load()!.tree;
  const entry = { type: "x509" as const, certificate: leaf };
  const seq = sequenceBatch(from, [{ entry, chainFingerprints: [await sha256(intermediate as Uint8Array<ArrayBuffer>)] }], Math.max(Date.now(), from.timestamp));
  const head = await signTreeHeadAndCheckpoint(keys, config.origin, seq.tree.size, seq.tree.root, seq.tree.timestamp, cosign);
  return { store, from, seq, checkpoint: head.checkpoint, identity: entryIdentity(entry) };
}

/** Step 5: commits a played round as the sequencer does; returns the entry's index. */
export function commitPlayedRound(r: PlayedRound, cosigned: boolean): number {
  const e = r.seq.entries[0]!;
  r.store.commitRound({
    from: r.from,
    log: { tree: r.seq.tree, checkpoint: r.checkpoint, cosigned },
    entries: [{ identity: r.identity, index: e.index, timestamp: r.seq.tree.timestamp, leafHash: e.leafHash }],
    issuers: [],
    staged: r.seq.tiles.filter((t) => t.full),
  });
  return e.index;
}
