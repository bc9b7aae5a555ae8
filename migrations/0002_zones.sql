-- Hosted DNS zones. The zone content lives in each zone's Durable Object; this table is only the
-- registry the Worker reads to route a query name to its zone (longest-suffix match).
CREATE TABLE zones (
  apex        TEXT PRIMARY KEY,                -- canonical name with the trailing dot, e.g. "example.test."
  created_at  INTEGER NOT NULL                 -- unix seconds
);

-- Zones the system created by itself (the demo zone) are made once: deleting one later through
-- the API does not bring it back on the next start.
CREATE TABLE zone_bootstrap (
  apex        TEXT PRIMARY KEY,
  created_at  INTEGER NOT NULL
);
