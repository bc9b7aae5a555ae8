-- ACME (RFC 8555) state: nonces, accounts, orders, authorizations and their challenges.

-- Replay nonces (RFC 8555 §6.5): one row per nonce handed out; a nonce is consumed by deleting
-- its row, so a second use anywhere (any isolate) finds nothing and gets badNonce.
CREATE TABLE acme_nonces (
  nonce       TEXT PRIMARY KEY,
  expires_at  INTEGER NOT NULL                 -- unix seconds
);
CREATE INDEX acme_nonces_expiry ON acme_nonces (expires_at);

-- Accounts (§7.1.2), keyed by the RFC 7638 thumbprint of their public key.
CREATE TABLE acme_accounts (
  id          TEXT PRIMARY KEY,
  thumbprint  TEXT NOT NULL UNIQUE,
  jwk         TEXT NOT NULL,                   -- the public JWK as JSON
  contact     TEXT NOT NULL,                   -- JSON array of URLs
  status      TEXT NOT NULL,                   -- valid | deactivated | revoked
  tos_agreed  INTEGER NOT NULL,
  created_at  INTEGER NOT NULL
);

-- Orders (§7.1.3). status holds pending | processing | valid | invalid as stored; "ready" is
-- derived from the authorizations.
CREATE TABLE acme_orders (
  id                 TEXT PRIMARY KEY,
  account_id         TEXT NOT NULL,
  status             TEXT NOT NULL,
  identifiers        TEXT NOT NULL,            -- JSON [{type, value}]
  authorizations     TEXT NOT NULL,            -- JSON [authorization id]
  expires_at         INTEGER NOT NULL,
  error              TEXT,                     -- JSON problem document
  certificate_serial TEXT,
  created_at         INTEGER NOT NULL
);
CREATE INDEX acme_orders_account ON acme_orders (account_id, created_at);

-- Authorizations (§7.1.4), one identifier each.
CREATE TABLE acme_authorizations (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL,
  type        TEXT NOT NULL,                   -- dns | ip
  value       TEXT NOT NULL,                   -- without "*." for a wildcard
  wildcard    INTEGER NOT NULL,
  status      TEXT NOT NULL,                   -- pending | valid | invalid | deactivated | expired | revoked
  expires_at  INTEGER NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX acme_authz_reuse ON acme_authorizations (account_id, type, value, wildcard, status);

-- Challenges (§7.1.5, §8).
CREATE TABLE acme_challenges (
  id          TEXT PRIMARY KEY,
  authz_id    TEXT NOT NULL,
  type        TEXT NOT NULL,                   -- http-01 | dns-01
  token       TEXT NOT NULL,
  status      TEXT NOT NULL,                   -- pending | processing | valid | invalid
  validated   INTEGER,
  error       TEXT
);
CREATE INDEX acme_challenges_authz ON acme_challenges (authz_id);
