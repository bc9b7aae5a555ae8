-- Where each certificate sits in our CT log: its precertificate's leaf index (whose SCT is embedded
-- in the certificate) and the final certificate's own leaf index (logged after issuance).
ALTER TABLE certificates ADD COLUMN ct_precert_index INTEGER;
ALTER TABLE certificates ADD COLUMN ct_final_index INTEGER;
