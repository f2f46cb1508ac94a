-- A waiting approval's bank details are sealed (issue 18): its IBAN can no longer be compared in SQL. Payments keeps
-- the IBAN's keyed fingerprint (HMAC under the master key, as eligibility's IBAN_SHARED) to refuse new bank details
-- that name an account another company waits to be paid on. NULL for rows queued before, and once erased.
ALTER TABLE waitlist ADD COLUMN iban_fingerprint text;
CREATE INDEX waitlist_iban_fingerprint ON waitlist (iban_fingerprint) WHERE iban_fingerprint IS NOT NULL;
