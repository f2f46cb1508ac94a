-- Personal data (issue 18): once a claim's bank data is erased (its retention ran out, or at the person's request,
-- announced by intake on privacy.erased.v1), its attempts keep their accounting fields (amount, EndToEndId, batch,
-- return codes) and lose the account holder's name, IBAN and BIC: the columns may now be NULL.
ALTER TABLE payment_attempts ALTER COLUMN beneficiary_name DROP NOT NULL;
ALTER TABLE payment_attempts ALTER COLUMN iban DROP NOT NULL;
-- When every claim of a batch is erased, its pain.001 (names and IBANs) is deleted from PAYMENTS_FILES_DIR; the
-- batch row keeps the file's name, sha256 and totals, and reconcile checks the row against its attempts only.
ALTER TABLE batches ADD COLUMN file_erased_at timestamptz;
-- "Is every claim of this batch erased?" is asked for the batches of each erased claim.
CREATE INDEX IF NOT EXISTS payment_attempts_batch ON payment_attempts (batch_id);
