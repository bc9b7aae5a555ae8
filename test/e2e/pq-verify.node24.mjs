// Run by Node 24 (node:crypto on OpenSSL 3.5), never by our code: verifies an ML-DSA certificate
// chain with X509Certificate.verify() and CRLs with crypto.verify() over the TBSCertList.
// Usage: node pq-verify.node24.mjs <root.pem> <issuing.pem> <leaf.pem>... [--crl <file.der> <issuer.pem>]...
// Prints one JSON line: {"results": [{"what": ..., "ok": bool, "detail": ...}]}.
import { X509Certificate, createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const results = [];
const pem = (f) => new X509Certificate(readFileSync(f));

// DER: the contents of a SEQUENCE and its elements (definite lengths only).
function element(buf, at) {
  const tag = buf[at];
  let len = buf[at + 1];
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[at + 2 + i];
    hdr = 2 + n;
  }
  return { tag, start: at, contentStart: at + hdr, end: at + hdr + len };
}

const certs = [];
const crls = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--crl") {
    crls.push([args[i + 1], args[i + 2]]);
    i += 2;
  } else certs.push(args[i]);
}

const [rootFile, issuingFile, ...leaves] = certs;
const root = pem(rootFile);
const issuing = pem(issuingFile);
results.push({ what: "root self-signature", ok: root.verify(root.publicKey), detail: root.publicKey.asymmetricKeyType });
results.push({ what: "issuing CA signed by root", ok: issuing.verify(root.publicKey) && issuing.checkIssued(root), detail: issuing.publicKey.asymmetricKeyType });
for (const f of leaves) {
  const leaf = pem(f);
  results.push({ what: `leaf ${f.split("/").pop()} signed by issuing CA`, ok: leaf.verify(issuing.publicKey) && leaf.checkIssued(issuing), detail: leaf.publicKey.asymmetricKeyType });
}
for (const [file, issuerFile] of crls) {
  const der = readFileSync(file);
  const outer = element(der, 0);
  const tbs = element(der, outer.contentStart);
  const alg = element(der, tbs.end);
  const sig = element(der, alg.end);
  const signature = der.subarray(sig.contentStart + 1, sig.end); // BIT STRING: skip the unused-bits octet
  const key = createPublicKey(pem(issuerFile).publicKey.export({ type: "spki", format: "pem" }));
  const ok = verify(null, der.subarray(tbs.start, tbs.end), key, signature);
  results.push({ what: `CRL ${file.split("/").pop()}`, ok, detail: key.asymmetricKeyType });
}
console.log(JSON.stringify({ node: process.versions.node, openssl: process.versions.openssl, results }));
