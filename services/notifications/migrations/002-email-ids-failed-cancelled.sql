-- An e-mail that cannot be built or that the SMTP server refuses for good is set aside as 'failed' (and listed in
-- set_aside_items, kind 'email') so the sender carries on with the others. An operator then releases it (back to
-- 'pending') or cancels it ('cancelled': it will never be sent). Operators name it by a short number of its own,
-- because a claim_id from outside may hold characters nobody can type.
ALTER TABLE emails ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE emails ADD CONSTRAINT emails_id_unique UNIQUE (id);
ALTER TABLE emails DROP CONSTRAINT emails_state_check;
ALTER TABLE emails ADD CONSTRAINT emails_state_check
    CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled'));
