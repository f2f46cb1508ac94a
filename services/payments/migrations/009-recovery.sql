-- Recovery orders (ordres de reversement): what a non-compliant or unanswered control orders a company to pay back,
-- one per claim at most, and the bank credits that repay them (bank entry id UNIQUE: a repeated entry counts once).
CREATE TABLE recovery_orders (
    order_id            text PRIMARY KEY,                  -- 'RO-' + 12 characters [0-9A-Z], from the claim_id
    claim_id            text NOT NULL UNIQUE REFERENCES controls (claim_id),
    payment_id          text NOT NULL,
    programme           text NOT NULL,
    siren               char(9) NOT NULL,
    reason_code         text NOT NULL,
    amount_cents        bigint NOT NULL CHECK (amount_cents > 0),
    repaid_cents        bigint NOT NULL DEFAULT 0 CHECK (repaid_cents BETWEEN 0 AND amount_cents),
    payment_reference   text NOT NULL UNIQUE,              -- ISO 11649 creditor reference the firm quotes ('RF..')
    issued_on           date,                              -- Paris dates
    due_on              date,
    reminders_sent      int NOT NULL DEFAULT 0,
    state               text CHECK (state IN ('outstanding', 'settled', 'in_collection')),
    issued_at           timestamptz,
    settled_at          timestamptz,
    collection_at       timestamptz,
    returns_to_envelope boolean NOT NULL,                  -- the programme's choice when the order was issued
    source              text
);
-- The follow-up job's walk: outstanding orders by due date.
CREATE INDEX recovery_orders_outstanding ON recovery_orders (due_on) WHERE state = 'outstanding';

CREATE TABLE repayments (
    bank_entry           text PRIMARY KEY,                 -- bank_entries.entry_id of the credit
    order_id             text NOT NULL REFERENCES recovery_orders (order_id),
    amount_cents         bigint NOT NULL CHECK (amount_cents > 0),
    value_date           date,
    received_at          timestamptz NOT NULL,
    returned_to_envelope boolean NOT NULL
);
CREATE INDEX repayments_order ON repayments (order_id);

-- Recovered money may go back to the envelope: reserved = held by payments - recovered, so paid may exceed what
-- stays reserved by what was recovered. budgets_check1 is 001's unnamed `paid_cents <= reserved_cents` (its name
-- as PostgreSQL gave it, checked on a database migrated from 001).
ALTER TABLE budgets ADD COLUMN recovered_cents bigint NOT NULL DEFAULT 0;
ALTER TABLE budgets DROP CONSTRAINT budgets_check1;
ALTER TABLE budgets ADD CONSTRAINT budgets_paid_within_reserved
    CHECK (paid_cents >= 0 AND paid_cents - recovered_cents <= reserved_cents);
ALTER TABLE budgets ADD CONSTRAINT budgets_recovered_within_paid
    CHECK (recovered_cents BETWEEN 0 AND paid_cents);

-- A credit applied to a recovery order is a bank entry of its own state.
ALTER TABLE bank_entries DROP CONSTRAINT bank_entries_state_check;
ALTER TABLE bank_entries ADD CONSTRAINT bank_entries_state_check
    CHECK (state IN ('reported', 'duplicate', 'suspense', 'settled', 'discarded', 'repayment'));
