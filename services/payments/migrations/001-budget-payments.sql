-- One envelope per programme. reserved = committed to payments in flight or paid; available = total - reserved.
-- The CHECKs make overshoot impossible whatever the code does.
CREATE TABLE budgets (
    programme      text PRIMARY KEY,
    total_cents    bigint NOT NULL CHECK (total_cents > 0),
    reserved_cents bigint NOT NULL DEFAULT 0,
    paid_cents     bigint NOT NULL DEFAULT 0,
    released_cents bigint NOT NULL DEFAULT 0,
    CHECK (reserved_cents >= 0 AND reserved_cents <= total_cents),
    CHECK (paid_cents >= 0 AND paid_cents <= reserved_cents)
);

-- One payment per claim, and per company and programme: a company is never paid twice.
CREATE TABLE payments (
    payment_id     text PRIMARY KEY,
    claim_id       text NOT NULL UNIQUE,
    programme      text NOT NULL REFERENCES budgets (programme),
    siren          char(9) NOT NULL,
    amount_cents   bigint NOT NULL CHECK (amount_cents > 0),
    submitted_at   timestamptz NOT NULL,
    attempt        int NOT NULL DEFAULT 1,
    status         text NOT NULL CHECK (status IN ('scheduled', 'sent', 'settled', 'returned', 'released')),
    returned_at    timestamptz,
    return_reason  text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (programme, siren)
);
CREATE INDEX payments_returned ON payments (returned_at) WHERE status = 'returned';

-- Each try at paying: its own EndToEndId and bank details; batched once into exactly one SEPA file.
CREATE TABLE payment_attempts (
    payment_id       text NOT NULL REFERENCES payments (payment_id),
    attempt          int NOT NULL CHECK (attempt >= 1),
    end_to_end_id    text NOT NULL UNIQUE,
    beneficiary_name text NOT NULL,
    iban             text NOT NULL,
    bic              text,
    amount_cents     bigint NOT NULL CHECK (amount_cents > 0),
    status           text NOT NULL CHECK (status IN ('scheduled', 'sent', 'settled', 'returned')),
    batch_id         text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    reported_at      timestamptz,
    PRIMARY KEY (payment_id, attempt)
);
CREATE INDEX payment_attempts_unbatched ON payment_attempts (created_at) WHERE batch_id IS NULL;

-- A SEPA credit-transfer file (pain.001.001.03) and what it holds, for finance and reconciliation.
CREATE TABLE batches (
    batch_id                 text PRIMARY KEY,
    programme                text NOT NULL REFERENCES budgets (programme),
    file_path                text NOT NULL,
    file_sha256              char(64) NOT NULL,
    transfer_count           int NOT NULL,
    control_sum_cents        bigint NOT NULL,
    requested_execution_date date NOT NULL,
    created_at               timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE payment_attempts ADD FOREIGN KEY (batch_id) REFERENCES batches (batch_id);

-- Approved claims the envelope could not cover, served in submission order when money is released.
CREATE TABLE waitlist (
    claim_id     text PRIMARY KEY,
    programme    text NOT NULL,
    siren        char(9) NOT NULL,
    submitted_at timestamptz NOT NULL,
    decision     jsonb NOT NULL,
    queued_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX waitlist_order ON waitlist (programme, submitted_at, claim_id);
