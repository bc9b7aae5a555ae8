// What a CA key backup holds and how a restore checks it: both hierarchies' certificates and
// private keys (PKCS#8: ECDSA for the classical CAs, RFC 9881 seed form for the ML-DSA ones),
// retired issuing CAs included (they still sign the CRLs and OCSP answers of what they issued).
// Exported keys are unsealed from the KEK only to be sealed again to the backup recipient
// (backup.ts); restored keys are checked against their certificates, then sealed under this
// deployment's own KEK.

import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate } from "@peculiar/asn1-x509";
import { mlDsaKeygen } from "../crypto/ml-dsa.ts";
import { bytesEqual, fromBase64, toBase64, toBytes, utf8 } from "../encoding/bytes.ts";
import { ecdsaSigner, ecdsaVerify } from "../x509/signer.ts";
import { mlDsaSeedFromPkcs8 } from "../x509/ml-dsa.ts";
import type { StoredHierarchy, StoredIssuer } from "./authority.ts";
import { issuerFromCertificate } from "./hierarchy.ts";
import { sealKey, unsealKey } from "./key-vault.ts";
import type { StoredPqHierarchy, StoredPqIssuer } from "./pq-hierarchy.ts";

export const BACKUP_PURPOSE = "ca-keys";

/** Far more retired issuing CAs than decades of yearly rotation make: bounds a restore's work. */
const MAX_RETIRED = 100;

type Plain<T> = Omit<T, "key"> & { pkcs8: string };

export interface CaKeyBackup {
  version: 1;
  createdAt: string;
  classical: { root: Plain<StoredIssuer>; issuing: Plain<StoredIssuer>; retired?: Plain<StoredIssuer>[] };
  pq: { root: Plain<StoredPqIssuer>; issuing: Plain<StoredPqIssuer>; retired?: Plain<StoredPqIssuer>[] };
  /** Last CRL number per issuer id: a restored CA continues the sequence (RFC 5280 §5.2.3). */
  crlNumbers: Record<string, number>;
}

async function plain<T extends StoredIssuer | StoredPqIssuer>(kek: CryptoKey, slot: string, s: T): Promise<Plain<T>> {
  const { key, ...rest } = s;
  return { ...rest, pkcs8: toBase64(await unsealKey(kek, `${slot}/${s.id}`, key)) } as Plain<T>;
}

export async function exportCaKeys(kek: CryptoKey, classical: StoredHierarchy, pq: StoredPqHierarchy, crlNumbers: Record<string, number>, now: Date): Promise<Uint8Array> {
  const backup: CaKeyBackup = {
    version: 1,
    createdAt: now.toISOString(),
    crlNumbers,
    classical: {
      root: await plain(kek, "root", classical.root),
      issuing: await plain(kek, "issuing", classical.issuing),
      retired: await Promise.all((classical.retired ?? []).map((r) => plain(kek, "issuing", r))),
    },
    pq: {
      root: await plain(kek, "pq-root", pq.root),
      issuing: await plain(kek, "pq-issuing", pq.issuing),
      retired: await Promise.all((pq.retired ?? []).map((r) => plain(kek, "pq-issuing", r))),
    },
  };
  return utf8(JSON.stringify(backup));
}

export type RestoreCheck =
  | { ok: true; classical: StoredHierarchy; pq: StoredPqHierarchy; crlNumbers: Record<string, number> }
  | { ok: false; detail: string };

function certOf(b64: unknown, what: string): { der: Uint8Array<ArrayBuffer>; cert: Certificate } | string {
  const der = typeof b64 === "string" ? fromBase64(b64) : null;
  if (!der) return `${what}: certificate is not base64`;
  try {
    return { der, cert: AsnConvert.parse(der, Certificate) };
  } catch {
    return `${what}: not a certificate`;
  }
}

async function checkClassical(kek: CryptoKey, slot: string, p: Plain<StoredIssuer>, what = slot): Promise<StoredIssuer | string> {
  const c = certOf(p.certificate, what);
  if (typeof c === "string") return c;
  if (p.curve !== "P-256" && p.curve !== "P-384") return `${what}: unknown curve`;
  const pkcs8 = fromBase64(p.pkcs8 ?? "");
  if (!pkcs8) return `${what}: key is not base64`;
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: p.curve }, false, ["sign"]);
  } catch {
    return `${what}: key is not an ECDSA ${p.curve} PKCS#8 key`;
  }
  if (issuerFromCertificate(c.der, ecdsaSigner(key, p.curve)).id !== p.id) return `${what}: certificate does not match its id`;
  const spki = toBytes(AsnConvert.serialize(c.cert.tbsCertificate.subjectPublicKeyInfo));
  const pub = await crypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: p.curve }, false, ["verify"]);
  const probe = utf8(`trustchain restore probe ${what}`);
  if (!(await ecdsaVerify(pub, p.curve, await ecdsaSigner(key, p.curve).sign(probe), probe))) return `${what}: the key does not belong to the certificate`;
  return { id: p.id, curve: p.curve, certificate: p.certificate, key: await sealKey(kek, `${slot}/${p.id}`, pkcs8) };
}

async function checkPq(kek: CryptoKey, slot: string, p: Plain<StoredPqIssuer>, what = slot): Promise<StoredPqIssuer | string> {
  const c = certOf(p.certificate, what);
  if (typeof c === "string") return c;
  const pkcs8 = fromBase64(p.pkcs8 ?? "");
  const key = pkcs8 ? mlDsaSeedFromPkcs8(pkcs8) : null;
  if (!pkcs8 || !key || key.level !== p.level) return `${what}: key is not an ${String(p.level)} seed`;
  const spkiKey = new Uint8Array(c.cert.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
  if (!bytesEqual(mlDsaKeygen(key.level, key.seed).publicKey, spkiKey)) return `${what}: the key does not belong to the certificate`;
  if (issuerFromCertificate(c.der, { algorithm: c.cert.signatureAlgorithm, sign: async () => new Uint8Array(0) }).id !== p.id) {
    return `${what}: certificate does not match its id`;
  }
  return { id: p.id, level: p.level, certificate: p.certificate, key: await sealKey(kek, `${slot}/${p.id}`, pkcs8) };
}

/** Parses a decrypted backup, checks every key against its certificate and seals them under `kek`. */
export async function importCaKeys(kek: CryptoKey, plaintext: Uint8Array): Promise<RestoreCheck> {
  let b: CaKeyBackup;
  try {
    b = JSON.parse(new TextDecoder().decode(plaintext)) as CaKeyBackup;
  } catch {
    return { ok: false, detail: "the backup is not JSON" };
  }
  if (b?.version !== 1 || !b.classical?.root || !b.classical.issuing || !b.pq?.root || !b.pq.issuing) return { ok: false, detail: "not a version 1 CA key backup" };
  // Backups made before rotation existed have no retired list.
  const retired = [b.classical.retired ?? [], b.pq.retired ?? []];
  if (!retired.every((r) => Array.isArray(r) && r.length <= MAX_RETIRED)) return { ok: false, detail: `"retired" must be a list of at most ${MAX_RETIRED} issuing CAs` };
  const root = await checkClassical(kek, "root", b.classical.root);
  const issuing = await checkClassical(kek, "issuing", b.classical.issuing);
  const pqRoot = await checkPq(kek, "pq-root", b.pq.root);
  const pqIssuing = await checkPq(kek, "pq-issuing", b.pq.issuing);
  const classicalRetired = await Promise.all((b.classical.retired ?? []).map((r, i) => checkClassical(kek, "issuing", r, `retired issuing CA ${i}`)));
  const pqRetired = await Promise.all((b.pq.retired ?? []).map((r, i) => checkPq(kek, "pq-issuing", r, `retired ML-DSA issuing CA ${i}`)));
  for (const r of [root, issuing, pqRoot, pqIssuing, ...classicalRetired, ...pqRetired]) if (typeof r === "string") return { ok: false, detail: r };
  return {
    ok: true,
    classical: { version: 1, root: root as StoredIssuer, issuing: issuing as StoredIssuer, retired: classicalRetired as StoredIssuer[] },
    pq: { version: 1, root: pqRoot as StoredPqIssuer, issuing: pqIssuing as StoredPqIssuer, retired: pqRetired as StoredPqIssuer[] },
    crlNumbers: Object.fromEntries(Object.entries(b.crlNumbers ?? {}).filter(([, n]) => Number.isSafeInteger(n) && n > 0)),
  };
}
