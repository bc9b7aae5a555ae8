// PKCS#10 certificate requests (RFC 2986): parse, verify the self-signature, and apply the
// CA's key and name policy. Every rejection is a problem document naming the reason.

import { AsnConvert } from "@peculiar/asn1-schema";
import { CertificationRequest } from "@peculiar/asn1-csr";
import { Extensions, SubjectAlternativeName, type SubjectPublicKeyInfo, id_ce_subjectAltName } from "@peculiar/asn1-x509";
import { type Bytes, toBytes } from "../encoding/bytes.ts";
import { parsePem } from "../encoding/pem.ts";
import { type Identifier, checkDnsName, checkIpAddress, identifierKey } from "../names/identifiers.ts";
import { parseIP } from "../names/ip.ts";
import { type Problem, ProblemType, type Result, fail, ok, problem } from "../problem.ts";
import { OID } from "./oids.ts";
import { type KeyInfo, checkSubjectPublicKey } from "./public-key.ts";
import { verifySignature } from "./signature.ts";

export interface CheckedCsr {
  spkiDer: Bytes;
  spki: SubjectPublicKeyInfo;
  key: KeyInfo;
  identifiers: Identifier[];
  commonName?: string;
}

export const MAX_CSR_BYTES = 64 * 1024;

/** A CSR from a request body: PEM ("CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST") or DER. */
export function csrDerFromBody(body: Uint8Array): Result<Bytes> {
  if (body.length === 0) return fail(problem(ProblemType.malformed, 400, "the request body is empty; send a PEM or DER CSR"));
  if (body[0] === 0x30) return ok(toBytes(body));
  const text = new TextDecoder().decode(body);
  const blocks = parsePem(text);
  const block = blocks?.find((b) => b.label === "CERTIFICATE REQUEST" || b.label === "NEW CERTIFICATE REQUEST");
  if (!block) return fail(problem(ProblemType.badCSR, 400, "the body is neither DER nor a PEM CERTIFICATE REQUEST"));
  return ok(block.der);
}

function badCsr(detail: string, extra?: Partial<Problem>): Result<never> {
  return fail(problem(ProblemType.badCSR, 400, detail, extra));
}

const EXTENSION_REQUEST = "1.2.840.113549.1.9.14"; // PKCS #9 §5.4.2

/**
 * How many ASN.1 elements a CSR naming `maxNames` identifiers may have: one per name, and a few
 * hundred for the key, subject, signature and other extensions. Without it asn1js's default of
 * 10,000 let a 40 KiB CSR of single-letter names or repeated RDNs take 150–250 ms of CPU to
 * decode and map (GeneralName and DirectoryString are CHOICEs, tried alternative by alternative).
 */
const maxCsrNodes = (maxNames: number) => 2 * maxNames + 256;

/** The identifiers listed one by one in a rejection; the rest are counted (the body stays small). */
const MAX_LISTED = 20;

export async function checkCsr(der: Bytes, opts: { maxNames: number }): Promise<Result<CheckedCsr>> {
  let csr: CertificationRequest;
  let spkiDer: Bytes;
  const limits = { berOptions: { maxNodes: maxCsrNodes(opts.maxNames) } };
  try {
    csr = AsnConvert.parse(der, CertificationRequest, limits);
    spkiDer = toBytes(AsnConvert.serialize(csr.certificationRequestInfo.subjectPKInfo));
  } catch (e) {
    if (e instanceof Error && e.message.includes("node count")) {
      return badCsr(`the CSR has more than ${maxCsrNodes(opts.maxNames)} ASN.1 elements; a request for at most ${opts.maxNames} identifiers has fewer`);
    }
    return badCsr("the body is not a well-formed PKCS#10 certificate request");
  }
  const info = csr.certificationRequestInfo;
  const spki = info.subjectPKInfo;
  if (info.version !== 0) return badCsr(`unsupported CSR version ${info.version}`);

  const keyCheck = await checkSubjectPublicKey(spkiDer, spki);
  if (!keyCheck.ok) return badCsr(keyCheck.reason);

  const signed = csr.certificationRequestInfoRaw ? toBytes(csr.certificationRequestInfoRaw) : toBytes(AsnConvert.serialize(info));
  const verdict = await verifySignature(csr.signatureAlgorithm, spkiDer, spki, toBytes(csr.signature), signed);
  if (verdict === "unsupported") return badCsr(`unsupported CSR signature algorithm ${csr.signatureAlgorithm.algorithm}`);
  if (!verdict) return badCsr("the CSR signature does not verify with its public key");

  let extensions: Extensions | null = null;
  for (const attr of info.attributes) {
    if (attr.type !== EXTENSION_REQUEST) continue;
    if (extensions || attr.values.length !== 1) return badCsr("the CSR must carry at most one extensionRequest with one value");
    try {
      extensions = AsnConvert.parse(attr.values[0]!, Extensions, limits);
    } catch {
      return badCsr("the extensionRequest attribute is malformed");
    }
  }
  const sanExts = extensions?.filter((e) => e.extnID === id_ce_subjectAltName) ?? [];
  if (sanExts.length > 1) return badCsr("the CSR has more than one subjectAltName extension");
  const sanExt = sanExts[0];

  const requested: { raw: string; id: Identifier | null; reason?: string }[] = [];
  if (sanExt) {
    let san: SubjectAlternativeName;
    try {
      san = AsnConvert.parse(sanExt.extnValue.buffer, SubjectAlternativeName, limits);
    } catch {
      return badCsr("the subjectAltName extension is malformed");
    }
    for (const gn of san) {
      if (gn.dNSName !== undefined) {
        const c = checkDnsName(gn.dNSName);
        requested.push(c.ok ? { raw: gn.dNSName, id: { type: "dns", value: c.value } } : { raw: gn.dNSName, id: null, reason: c.reason });
      } else if (gn.iPAddress !== undefined) {
        const bytes = parseIP(gn.iPAddress);
        const c = bytes ? checkIpAddress(bytes) : { ok: false as const, reason: "not an IP address" };
        requested.push(c.ok && bytes ? { raw: gn.iPAddress, id: { type: "ip", value: c.value, bytes } } : { raw: gn.iPAddress, id: null, reason: c.ok ? "invalid" : c.reason });
      } else {
        return badCsr("only dNSName and iPAddress subject alternative names are supported");
      }
    }
  }

  const cns = info.subject.flatMap((rdn) => rdn.filter((atv) => atv.type === OID.commonName).map((atv) => atv.value.toString()));
  if (cns.length > 1) return badCsr("the subject has more than one commonName");
  const cn = cns[0];

  if (requested.length === 0) {
    // A CSR with only a commonName asks for that one name (as certbot's older CSRs do).
    if (!cn) return badCsr("the CSR names no identifier: add a subjectAltName or a commonName");
    const ip = parseIP(cn);
    if (ip) {
      const c = checkIpAddress(ip);
      requested.push(c.ok ? { raw: cn, id: { type: "ip", value: c.value, bytes: ip } } : { raw: cn, id: null, reason: c.reason });
    } else {
      const c = checkDnsName(cn);
      requested.push(c.ok ? { raw: cn, id: { type: "dns", value: c.value } } : { raw: cn, id: null, reason: c.reason });
    }
  }

  const rejected = requested.filter((r) => r.id === null);
  if (rejected.length > 0) {
    return fail(
      problem(
        ProblemType.rejectedIdentifier,
        400,
        `the CSR names ${rejected.length} invalid identifier(s): ${rejected.slice(0, MAX_LISTED).map((r) => `"${r.raw.slice(0, 80)}": ${r.reason}`).join("; ")}${rejected.length > MAX_LISTED ? `; and ${rejected.length - MAX_LISTED} more` : ""}`,
        {
          subproblems: rejected.slice(0, MAX_LISTED).map((r) => ({
            type: ProblemType.rejectedIdentifier,
            detail: r.reason ?? "invalid",
            identifier: { type: parseIP(r.raw) ? "ip" : "dns", value: r.raw.slice(0, 255) },
          })),
        },
      ),
    );
  }

  const seen = new Map<string, Identifier>();
  for (const r of requested) seen.set(identifierKey(r.id!), r.id!);
  const identifiers = [...seen.values()];
  if (identifiers.length > opts.maxNames) {
    return fail(problem(ProblemType.rejectedIdentifier, 400, `the CSR names ${identifiers.length} identifiers; at most ${opts.maxNames} are allowed`));
  }

  let commonName: string | undefined;
  if (cn !== undefined) {
    const ip = parseIP(cn);
    const fromCn: Identifier | null = ip
      ? (() => { const c = checkIpAddress(ip); return c.ok ? { type: "ip" as const, value: c.value, bytes: ip } : null; })()
      : (() => { const c = checkDnsName(cn); return c.ok ? { type: "dns" as const, value: c.value } : null; })();
    if (!fromCn || !seen.has(identifierKey(fromCn))) {
      return badCsr(`the commonName "${cn.slice(0, 80)}" is not one of the subject alternative names`);
    }
    commonName = fromCn.value;
  } else {
    // Like Let's Encrypt: the first DNS name becomes the CN when it fits (ub-common-name is 64).
    commonName = identifiers.find((i) => i.type === "dns" && i.value.length <= 64)?.value;
  }

  return ok({ spkiDer, spki, key: keyCheck.key, identifiers, commonName });
}
