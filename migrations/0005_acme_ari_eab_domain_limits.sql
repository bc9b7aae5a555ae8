-- ACME additions: ARI order replacement (RFC 9773), External Account Binding keys (RFC 8555
-- §7.3.4), and per-registered-domain rate-limit events.

-- RFC 9773 §5: the certificate (its ARI certID) a new order replaces.
ALTER TABLE acme_orders ADD COLUMN replaces TEXT;
CREATE INDEX acme_orders_replaces ON acme_orders (replaces) WHERE replaces IS NOT NULL;

-- External Account Binding keys an operator hands out: the key identifier and the HMAC key
-- (base64url) the CA needs in clear to check the binding's MAC. A key binds one account, once.
CREATE TABLE acme_eab_keys (
  kid         TEXT PRIMARY KEY,
  hmac_key    TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  account_id  TEXT UNIQUE,                     -- the account it bound, once used
  bound_at    INTEGER
);

-- Rate-limit events per registered domain (the public suffix + one label): new orders and
-- failed validations, counted over a sliding window.
CREATE TABLE acme_domain_events (
  domain      TEXT NOT NULL,
  kind        TEXT NOT NULL,                   -- order | failed
  created_at  INTEGER NOT NULL
);
CREATE INDEX acme_domain_events_window ON acme_domain_events (domain, kind, created_at);
