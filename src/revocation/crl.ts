// Full CRLs per issuer (RFC 5280 §5), each with a CRL number and a nextUpdate.

import {
  AuthorityKeyIdentifier,
  CRLNumber,
  CRLReason,
  KeyIdentifier,
  RevokedCertificate,
  TBSCertList,
  Time,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_cRLNumber,
  id_ce_cRLReasons,
} from "@peculiar/asn1-x509";
import type { Bytes } from "../encoding/bytes.ts";
import type { Issuer } from "../ca/hierarchy.ts";
import { extension, serialFromHex, signCrl } from "../x509/build.ts";

export interface CrlEntry {
  serial: string;
  revokedAt: Date;
  reason: number;
}

/** How long a CRL is good for; the scheduled refresh runs well inside this window. */
export const CRL_VALIDITY_SECONDS = 24 * 3600;

export async function buildCrl(p: { issuer: Issuer; crlNumber: number; thisUpdate: Date; entries: CrlEntry[] }): Promise<Bytes> {
  const nextUpdate = new Date(p.thisUpdate.getTime() + CRL_VALIDITY_SECONDS * 1000);
  const tbs = new TBSCertList({
    version: Version.v2,
    issuer: p.issuer.name,
    thisUpdate: new Time(p.thisUpdate),
    nextUpdate: new Time(nextUpdate),
    revokedCertificates: p.entries.length
      ? p.entries.map(
          (e) =>
            new RevokedCertificate({
              userCertificate: serialFromHex(e.serial),
              revocationDate: new Time(e.revokedAt),
              // RFC 5280 §5.3.1: omit the reason code rather than use unspecified (0).
              crlEntryExtensions: e.reason === 0 ? undefined : [extension(id_ce_cRLReasons, false, new CRLReason(e.reason))],
            }),
        )
      : undefined,
    crlExtensions: [
      extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(p.issuer.keyId) })),
      extension(id_ce_cRLNumber, false, new CRLNumber(p.crlNumber)),
    ],
  });
  return signCrl(tbs, p.issuer.signer);
}

