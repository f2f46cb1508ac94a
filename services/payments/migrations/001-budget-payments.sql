-- One envelope per programme. The CHECK makes overshoot impossible whatever the code does.
CREATE TABLE budgets (
    programme      text PRIMARY KEY,
    total_cents    bigint NOT NULL CHECK (total_cents > 0),
    reserved_cents bigint NOT NULL DEFAULT 0,
    CHECK (reserved_cents >= 0 AND reserved_cents <= total_cents)
);

-- One payment per company and programme (never paid twice), one per claim.
CREATE TABLE payments (
    payment_id       text PRIMARY KEY,
    claim_id         text NOT NULL UNIQUE,
    programme        text NOT NULL REFERENCES budgets (programme),
    siren            char(9) NOT NULL,
    amount_cents     bigint NOT NULL CHECK (amount_cents > 0),
    beneficiary_name text NOT NULL,
    iban             text NOT NULL,
    bic              text,
    attempt          int NOT NULL DEFAULT 1,
    batch_id         text NOT NULL,
    status           text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (programme, siren)
);

-- Approved claims the envelope could not cover, served in arrival order when money is released.
CREATE TABLE waitlist (
    claim_id     text PRIMARY KEY,
    programme    text NOT NULL,
    siren        char(9) NOT NULL,
    submitted_at timestamptz NOT NULL,
    decision     jsonb NOT NULL,
    queued_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX waitlist_order ON waitlist (programme, submitted_at, claim_id);
