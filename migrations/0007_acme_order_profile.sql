-- ACME profiles (draft-aaron-acme-profiles): the profile a newOrder asked for; NULL = the default.
ALTER TABLE acme_orders ADD COLUMN profile TEXT;
