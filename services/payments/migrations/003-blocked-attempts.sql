-- A payment attempt the batcher cannot write into a SEPA file (a name with nothing left in the SEPA character set,
-- an IBAN or a BIC the pain.001 schema refuses) is set aside as `blocked` instead of stopping every file of its
-- programme; an operator releases it (back to `scheduled`) or cancels it (`cancelled`: its grant goes back to the
-- envelope). The batcher's queries take `scheduled` attempts only.
ALTER TABLE payment_attempts DROP CONSTRAINT payment_attempts_status_check;
ALTER TABLE payment_attempts ADD CONSTRAINT payment_attempts_status_check
    CHECK (status IN ('scheduled', 'sent', 'settled', 'returned', 'blocked', 'cancelled'));
DROP INDEX payment_attempts_unbatched;
CREATE INDEX payment_attempts_unbatched ON payment_attempts (created_at)
    WHERE batch_id IS NULL AND status = 'scheduled';

-- A returned payment whose expiry could not be applied (the return-expiry job set it aside): the job skips it
-- until an operator releases it. It stays `returned`, so new bank details can still re-issue it.
ALTER TABLE payments ADD COLUMN expiry_set_aside boolean NOT NULL DEFAULT false;
DROP INDEX payments_returned;
CREATE INDEX payments_returned ON payments (returned_at) WHERE status = 'returned' AND NOT expiry_set_aside;
