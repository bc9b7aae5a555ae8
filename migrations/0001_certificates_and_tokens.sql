-- Certificate index: every certificate the CA signs is indexed here before it is returned.
CREATE TABLE certificates (
  serial            TEXT PRIMARY KEY,          -- lowercase hex, as in the DER INTEGER
  fingerprint       TEXT NOT NULL UNIQUE,      -- SHA-256 of the DER, lowercase hex
  issuer_id         TEXT NOT NULL,             -- hex SubjectKeyIdentifier of the issuing CA
  subject           TEXT NOT NULL,             -- RFC 4514 subject DN
  names             TEXT NOT NULL,             -- JSON array of SANs, e.g. ["dns:example.com","ip:2001:db8::1"]
  key_type          TEXT NOT NULL,             -- rsa-2048, ecdsa-p256, ecdsa-p384, ed25519
  profile           TEXT NOT NULL,
  not_before        INTEGER NOT NULL,          -- unix seconds
  not_after         INTEGER NOT NULL,
  status            TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'revoked')),
  revoked_at        INTEGER,
  revocation_reason INTEGER,
  der               BLOB NOT NULL,
  created_at        INTEGER NOT NULL,
  requested_by      TEXT NOT NULL              -- token id or account that asked for it
);
CREATE INDEX certificates_issuer_status ON certificates (issuer_id, status, not_after);
CREATE INDEX certificates_created ON certificates (created_at);

-- One row per SAN so that a name search is an index lookup.
CREATE TABLE certificate_names (
  name   TEXT NOT NULL,                        -- dns name (lowercase A-labels) or IP text
  serial TEXT NOT NULL REFERENCES certificates (serial) ON DELETE CASCADE,
  PRIMARY KEY (name, serial)
);

-- API tokens: only the SHA-256 of the token is stored.
CREATE TABLE api_tokens (
  id          TEXT PRIMARY KEY,                -- public id, shown in listings and audit entries
  token_hash  TEXT NOT NULL UNIQUE,            -- hex SHA-256 of the secret token
  role        TEXT NOT NULL,                   -- admin | issuer | revoker | reader | zone:<name>
  label       TEXT,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER,
  revoked_at  INTEGER
);
