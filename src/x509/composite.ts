// Composite ML-DSA in X.509 (id-MLDSA65-ECDSA-P256-SHA512, src/crypto/composite.ts): the
// AlgorithmIdentifier is the OID alone (parameters absent) in both the SPKI and the signature; the
// SPKI BIT STRING is mldsaPK || P-256 point and the signature BIT STRING is mldsaSig || ECDSA DER.

import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import type { Bytes } from "../encoding/bytes.ts";
import { bitString, oid, sequence } from "../encoding/der-writer.ts";
import { COMPOSITE_MLDSA65_P256_OID, type CompositeSigningKey } from "../crypto/composite.ts";
import type { Signer } from "./signer.ts";

export function compositeSpki(publicKey: Uint8Array): Bytes {
  return sequence(sequence(oid(COMPOSITE_MLDSA65_P256_OID)), bitString(publicKey));
}

/** Signs certificates, CRLs and OCSP responses with the composite key (empty context). */
export function compositeSigner(key: CompositeSigningKey): Signer {
  return { algorithm: new AlgorithmIdentifier({ algorithm: COMPOSITE_MLDSA65_P256_OID }), sign: (tbs) => key.sign(tbs) };
}
