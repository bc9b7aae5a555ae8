// Object identifiers this project writes or checks, with the document that assigns each.

export const OID = {
  // RFC 5480 / RFC 5758 / RFC 8410
  ecPublicKey: "1.2.840.10045.2.1",
  p256: "1.2.840.10045.3.1.7",
  p384: "1.3.132.0.34",
  p521: "1.3.132.0.35",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  ecdsaWithSha384: "1.2.840.10045.4.3.3",
  ed25519: "1.3.101.112",
  rsaEncryption: "1.2.840.113549.1.1.1",
  // RFC 5280 access methods
  ocsp: "1.3.6.1.5.5.7.48.1",
  caIssuers: "1.3.6.1.5.5.7.48.2",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  // CA/Browser Forum Baseline Requirements §7.1.6.1: domain-validated.
  domainValidated: "2.23.140.1.2.1",
  // RFC 6960
  ocspBasic: "1.3.6.1.5.5.7.48.1.1",
  ocspNonce: "1.3.6.1.5.5.7.48.1.2",
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
  // X.520 attribute types
  commonName: "2.5.4.3",
  organizationName: "2.5.4.10",
  countryName: "2.5.4.6",
} as const;
