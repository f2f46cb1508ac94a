-- The registry as last published on registry.companies.v1 (compacted): one row per SIREN, tombstones delete.
CREATE TABLE companies (
    siren         char(9) PRIMARY KEY,
    state         char(1) NOT NULL CHECK (state IN ('A', 'C')),
    created_on    date,
    naf_code      text,
    headcount_band text,
    record        jsonb NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Registered claims as eligibility received them, with their current decision. A claim whose company is not
-- (yet) in the registry copy waits, because the registry feed and the claims arrive on different topics; it is
-- judged when the record arrives or, failing that, at its registry deadline.
CREATE TABLE claims (
    claim_id          text PRIMARY KEY,
    programme         text NOT NULL,
    siren             char(9) NOT NULL,
    submitted_at      timestamptz NOT NULL,
    correlation_id    uuid NOT NULL,
    iban              text NOT NULL,
    payload           jsonb NOT NULL,
    status            text NOT NULL CHECK (status IN ('awaiting_registry', 'approved', 'rejected', 'under_review')),
    registry_deadline timestamptz,
    received_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claims_siren_status ON claims (programme, siren, status);
CREATE INDEX claims_awaiting_registry ON claims (registry_deadline) WHERE status = 'awaiting_registry';
CREATE INDEX claims_iban ON claims (programme, iban);

-- Each invoice under every key that identifies it (supplier SIREN and/or VAT number, with its number): how a
-- reused invoice is found on another company's claim.
CREATE TABLE claim_invoices (
    claim_id       text NOT NULL REFERENCES claims (claim_id),
    supplier_key   text NOT NULL,
    invoice_number text NOT NULL,
    PRIMARY KEY (claim_id, supplier_key, invoice_number)
);
CREATE INDEX claim_invoices_by_invoice ON claim_invoices (supplier_key, invoice_number);

-- One decision per claim, explainable line by line: every rule's result and the values it looked at.
CREATE TABLE decisions (
    claim_id     text PRIMARY KEY REFERENCES claims (claim_id),
    outcome      text NOT NULL,
    rule_version text NOT NULL,
    reasons      text[] NOT NULL,
    rule_results jsonb NOT NULL,
    grant_cents  bigint NOT NULL DEFAULT 0,
    decided_at   timestamptz NOT NULL DEFAULT now()
);

-- An operator's decision on a claim sent to review: who, why, when. One per claim: it is final.
CREATE TABLE review_decisions (
    claim_id   text PRIMARY KEY REFERENCES claims (claim_id),
    decision   text NOT NULL CHECK (decision IN ('approved', 'rejected')),
    operator   text NOT NULL CHECK (length(operator) > 0),
    reason     text NOT NULL CHECK (length(reason) > 0),
    decided_at timestamptz NOT NULL DEFAULT now()
);
