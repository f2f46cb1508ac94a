-- Personal data (issue 18). Eligibility compares IBANs by intake's keyed fingerprint and never reads one: the IBAN
-- column goes, with its index. A claim stored before has no fingerprint (NULL) until the service's upgrade job
-- (before_sealing.py, with the master key) computes it from the IBAN its payload still holds in clear; meanwhile
-- IBAN_SHARED matches it with nothing. The job then nulls the clear values of decided claims; a claim still waiting
-- or under review keeps them until decided (its approval passes them to payments).
ALTER TABLE claims ADD COLUMN iban_fingerprint text CHECK (iban_fingerprint ~ '^[0-9a-f]{64}$');
DROP INDEX claims_iban;
ALTER TABLE claims DROP COLUMN iban;
CREATE INDEX claims_iban_fingerprint ON claims (programme, iban_fingerprint) WHERE iban_fingerprint IS NOT NULL;

-- The registry copy keeps only what the rules read (state, creation date, activity, headcount band): the record as
-- published went, with a sole trader's denomination (a person's name) and whatever else a producer added to it.
ALTER TABLE companies DROP COLUMN record;
