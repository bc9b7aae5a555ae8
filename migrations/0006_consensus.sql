-- Consensus (issue 6): the quorum certificate each certificate was signed under, every vote the
-- coordinator or validate_proofs saw (to catch a validator signing two verdicts for one request),
-- and per-validator history for trust scores.
CREATE TABLE certificate_quorums (
  serial        TEXT PRIMARY KEY,              -- certificates.serial
  request_hash  TEXT NOT NULL,                 -- hex SHA-256 of the consensus request
  request       TEXT NOT NULL,                 -- the request as JSON (what was voted on)
  quorum        TEXT NOT NULL                  -- the quorum certificate as JSON (signed votes)
);
CREATE INDEX certificate_quorums_hash ON certificate_quorums (request_hash);

CREATE TABLE consensus_votes (
  request_hash  TEXT NOT NULL,
  validator     TEXT NOT NULL,
  verdict       TEXT NOT NULL,                 -- approve | reject
  vote          TEXT NOT NULL,                 -- the signed vote as JSON
  seen_at       INTEGER NOT NULL,              -- unix ms
  PRIMARY KEY (request_hash, validator, verdict)
);

CREATE TABLE consensus_validator_stats (
  validator     TEXT PRIMARY KEY,
  approve       INTEGER NOT NULL DEFAULT 0,
  reject        INTEGER NOT NULL DEFAULT 0,
  unavailable   INTEGER NOT NULL DEFAULT 0,
  invalid       INTEGER NOT NULL DEFAULT 0,
  equivocations INTEGER NOT NULL DEFAULT 0
);
