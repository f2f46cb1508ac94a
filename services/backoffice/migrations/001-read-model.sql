-- The back-office's read model: what the services announce, projected for its pages. Nothing here is the truth of
-- record (each service's own database is); every row can be rebuilt by consuming the topics again. Events may come
-- in any order (a status before the registration, a batch's file before its payments): rows are upserted, and a
-- "current" value only moves forward in its event's time.

-- One row per claim, whatever arrived first. `status` is the claim's latest status on claims.status.v1;
-- `eligibility_status` the latest judgement's (NULL: registered, not judged yet, i.e. eligibility's
-- awaiting_registry). Company fields come with the registration; the applicant's contact and bank details are
-- personal data the pages need little of: only the IBAN's last four characters are kept, and the contact block
-- is kept for the pages to show masked.
CREATE TABLE claims (
    claim_id            text PRIMARY KEY,
    programme           text,
    siren               text,
    company_name        text,
    applicant           jsonb,
    contact             jsonb,
    iban_last4          text,
    registered          boolean NOT NULL DEFAULT false,
    received_at         timestamptz,
    status              text,
    status_reasons      text[] NOT NULL DEFAULT '{}',
    status_at           timestamptz,
    amount_cents        bigint,
    payment_id          text,
    eligibility_status  text,
    eligibility_reasons text[] NOT NULL DEFAULT '{}',
    judged_at           timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
-- The review queue: claims under review, longest waiting first (status_at is when they went under review), by
-- programme or not; a reason code filter reads the GIN index.
CREATE INDEX claims_review_queue ON claims (programme, status_at, claim_id) WHERE status = 'under_review';
CREATE INDEX claims_review_queue_all ON claims (status_at, claim_id) WHERE status = 'under_review';
CREATE INDEX claims_review_reasons ON claims USING gin (status_reasons) WHERE status = 'under_review';
CREATE INDEX claims_by_siren ON claims (siren);
CREATE INDEX claims_by_status ON claims (status, programme);
CREATE INDEX claims_waitlist ON claims (programme, status_at) WHERE status = 'waitlisted';

-- Every status a claim went through (its timeline), once each.
CREATE TABLE claim_statuses (
    event_id     uuid PRIMARY KEY,
    claim_id     text NOT NULL,
    status       text NOT NULL,
    reasons      text[] NOT NULL DEFAULT '{}',
    amount_cents bigint,
    payment_id   text,
    rule_version text,
    occurred_at  timestamptz NOT NULL
);
CREATE INDEX claim_statuses_by_claim ON claim_statuses (claim_id, occurred_at);

-- Eligibility's judgements: every rule's result and the values it observed; a review decision's carries decided_by.
CREATE TABLE judgements (
    event_id           uuid PRIMARY KEY,
    claim_id           text NOT NULL,
    programme          text NOT NULL,
    siren              text NOT NULL,
    status             text NOT NULL,
    rule_version       text NOT NULL,
    reasons            text[] NOT NULL DEFAULT '{}',
    rules              jsonb NOT NULL DEFAULT '[]',
    grant_amount_cents bigint,
    decided_by         text,
    occurred_at        timestamptz NOT NULL
);
CREATE INDEX judgements_by_claim ON judgements (claim_id, occurred_at);

-- The claim's invoices, from its registration.
CREATE TABLE invoices (
    claim_id              text NOT NULL,
    position              integer NOT NULL,
    invoice_number        text NOT NULL,
    issued_on             date NOT NULL,
    supplier_name         text NOT NULL,
    supplier_siren        text,
    amount_excl_tax_cents bigint NOT NULL,
    amount_incl_tax_cents bigint NOT NULL,
    category              text NOT NULL,
    PRIMARY KEY (claim_id, position)
);

-- Payments: the status follows the claim's payment statuses (payment_scheduled -> scheduled, payment_sent -> sent,
-- paid -> settled, payment_returned -> returned, rejected after a cancelled attempt -> released).
CREATE TABLE payments (
    payment_id   text PRIMARY KEY,
    claim_id     text NOT NULL,
    programme    text NOT NULL,
    siren        text,
    amount_cents bigint,
    status       text NOT NULL,
    status_at    timestamptz NOT NULL,
    reasons      text[] NOT NULL DEFAULT '{}',
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_by_claim ON payments (claim_id);
CREATE INDEX payments_by_status ON payments (status, programme);

-- Each attempt at paying, as payments.issued.v1 announced it to finance (the IBAN's last four characters only).
CREATE TABLE payment_attempts (
    payment_id               text NOT NULL,
    attempt                  integer NOT NULL,
    claim_id                 text NOT NULL,
    programme                text NOT NULL,
    end_to_end_id            text NOT NULL,
    batch_id                 text NOT NULL,
    amount_cents             bigint NOT NULL,
    beneficiary_name         text NOT NULL,
    iban_last4               text NOT NULL,
    requested_execution_date date NOT NULL,
    issued_at                timestamptz NOT NULL,
    PRIMARY KEY (payment_id, attempt)
);
CREATE INDEX payment_attempts_by_batch ON payment_attempts (batch_id);

-- Each pain.001 file payments wrote, whole (gzip-compressed, as it travelled), for finance to download.
CREATE TABLE sepa_files (
    batch_id     text PRIMARY KEY,
    programme    text,
    file_name    text NOT NULL,
    payments     integer NOT NULL,
    total_cents  bigint NOT NULL,
    sha256       text NOT NULL,
    content_gzip bytea NOT NULL,
    written_at   timestamptz NOT NULL
);

-- E-mails notifications sent or gave up on. The recipient is personal data: the pages mask it.
CREATE TABLE emails (
    event_id    uuid PRIMARY KEY,
    claim_id    text NOT NULL,
    programme   text NOT NULL,
    status      text NOT NULL,
    subject     text NOT NULL,
    recipient   text NOT NULL,
    outcome     text NOT NULL,
    occurred_at timestamptz NOT NULL
);
CREATE INDEX emails_by_claim ON emails (claim_id, occurred_at);

-- Every dead letter of the system, read from the `<topic>.dlq` topics as named on the broker (prefix included),
-- with the raw key, value and headers (guichet_common.outbox.encode_headers): personal data, masked by the pages.
CREATE TABLE dead_letters (
    dlq_topic          text NOT NULL,
    dlq_partition      integer NOT NULL,
    dlq_offset         bigint NOT NULL,
    id                 text GENERATED ALWAYS AS (dlq_topic || ':' || dlq_partition || ':' || dlq_offset) STORED,
    owner              text NOT NULL,
    original_topic     text NOT NULL,
    original_partition integer,
    original_offset    bigint,
    reason             text NOT NULL,
    attempts           integer,
    key                bytea,
    value              bytea NOT NULL,
    headers            bytea NOT NULL,
    dead_lettered_at   timestamptz NOT NULL,
    projected_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dlq_topic, dlq_partition, dlq_offset)
);
CREATE UNIQUE INDEX dead_letters_by_id ON dead_letters (id);
CREATE INDEX dead_letters_by_original ON dead_letters (original_topic, dead_lettered_at);

-- Items the services set aside (operations.set-aside.v1), their latest state. The back-office's own set-aside
-- records (what it could not project) are in guichet_common's set_aside_items table, like every service's.
CREATE TABLE service_set_aside (
    service         text NOT NULL,
    kind            text NOT NULL,
    item_id         text NOT NULL,
    state           text NOT NULL,
    reason          text NOT NULL DEFAULT '',  -- why it was set aside
    decided_by      text,
    decision_reason text,                      -- the operator's, once released or cancelled
    set_aside_at    timestamptz NOT NULL,
    state_at        timestamptz NOT NULL,
    PRIMARY KEY (service, kind, item_id)
);
CREATE INDEX service_set_aside_held ON service_set_aside (service, kind) WHERE state = 'held';

-- Each programme's envelope as payments last announced it.
CREATE TABLE budgets (
    programme      text PRIMARY KEY,
    total_cents    bigint NOT NULL,
    reserved_cents bigint NOT NULL,
    paid_cents     bigint NOT NULL,
    released_cents bigint NOT NULL,
    waitlisted     integer NOT NULL,
    as_of          timestamptz NOT NULL
);

-- What the owning services did with the back-office's commands (joined to its decisions by command_id).
CREATE TABLE command_outcomes (
    command_id  uuid PRIMARY KEY,
    service     text NOT NULL,
    outcome     text NOT NULL,
    detail      text NOT NULL DEFAULT '',
    occurred_at timestamptz NOT NULL
);
