// Post-quantum test helpers: ML-DSA CSRs (nothing in the JS ecosystem writes them yet) and a
// check of any signed X.509 structure (certificate, CRL) against an issuer's SPKI with our verifier.

import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, Certificate, SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import { type MlDsaLevel, mlDsaKeygen, mlDsaSigningKey } from "../../src/crypto/ml-dsa.ts";
import { type Bytes, toBytes } from "../../src/encoding/bytes.ts";
import { readChildren, readSingle } from "../../src/encoding/der-reader.ts";
import { TAG, bitString, extensionDer, oid, sequence, tlv, unsignedInteger, utf8String } from "../../src/encoding/der-writer.ts";
import { toPem } from "../../src/encoding/pem.ts";
import { mlDsaAlgorithmDer, mlDsaSpki } from "../../src/x509/ml-dsa.ts";
import { verifySignature } from "../../src/x509/signature.ts";

/** A PKCS#10 request for `names` with a fresh ML-DSA key, self-signed with ML-DSA (RFC 9881). */
export async function mlDsaCsr(level: MlDsaLevel, names: string[], opts: { corruptSignature?: boolean } = {}): Promise<{ pem: string; der: Bytes; seed: Bytes; publicKey: Bytes }> {
  const pair = mlDsaKeygen(level);
  const san = extensionDer("2.5.29.17", false, sequence(...names.map((n) => tlv(0x82, new TextEncoder().encode(n)))));
  const extensionRequest = sequence(oid("1.2.840.113549.1.9.14"), tlv(TAG.set, sequence(san)));
  const info = sequence(
    unsignedInteger(Uint8Array.of(0)),
    sequence(tlv(TAG.set, sequence(oid("2.5.4.3"), utf8String(names[0]!)))),
    mlDsaSpki(level, pair.publicKey),
    tlv(0xa0, extensionRequest),
  );
  const sig = await (await mlDsaSigningKey(level, pair.seed)).sign(info);
  if (opts.corruptSignature) sig[10] = sig[10]! ^ 0xff;
  const der = sequence(info, mlDsaAlgorithmDer(level), bitString(sig));
  return { pem: toPem("CERTIFICATE REQUEST", der), der, seed: pair.seed, publicKey: pair.publicKey };
}

/** Splits SEQUENCE { tbs, signatureAlgorithm, signature BIT STRING } (certificates and CRLs). */
export function signedParts(der: Uint8Array): { tbs: Bytes; alg: AlgorithmIdentifier; signature: Bytes; sigOffset: number } {
  const outer = readSingle(der);
  const [tbs, alg, sig] = readChildren(outer.content);
  return {
    tbs: toBytes(tbs!.raw),
    alg: AsnConvert.parse(toBytes(alg!.raw), AlgorithmIdentifier),
    signature: toBytes(sig!.content.subarray(1)),
    sigOffset: der.length - sig!.content.length + 1,
  };
}

/** Our verifier: does `signerSpkiDer` verify the signature of this certificate or CRL? */
export async function verifiesWith(der: Uint8Array, signerSpkiDer: Uint8Array): Promise<boolean> {
  let parts;
  try {
    parts = signedParts(der);
  } catch {
    return false;
  }
  const spki = AsnConvert.parse(toBytes(signerSpkiDer), SubjectPublicKeyInfo);
  return (await verifySignature(parts.alg, toBytes(signerSpkiDer), spki, parts.signature, parts.tbs)) === true;
}

export function spkiDerOf(certDer: Uint8Array): Bytes {
  return toBytes(AsnConvert.serialize(AsnConvert.parse(toBytes(certDer), Certificate).tbsCertificate.subjectPublicKeyInfo));
}
