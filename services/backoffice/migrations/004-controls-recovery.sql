-- Issue 19: post-payment controls and recovery orders. Decisions on controls (a campaign opened, an outcome
-- recorded) keep their terms beside them; the read model follows payments.controls.v1 and
-- payments.recovery-orders.v1 (payments' topics, read here only) for the pages and the dashboard.

ALTER TABLE decisions DROP CONSTRAINT decisions_action_check;
ALTER TABLE decisions ADD CONSTRAINT decisions_action_check CHECK (action IN (
    'review_approve', 'review_reject',
    'dead_letter_replay', 'dead_letter_discard', 'set_aside_release', 'set_aside_cancel',
    'control_open', 'control_compliant', 'control_non_compliant', 'control_no_answer'));
ALTER TABLE decisions
    ADD COLUMN campaign_id text,
    ADD COLUMN programme text,
    ADD COLUMN seed bigint CHECK (seed >= 0),
    ADD COLUMN paid_before timestamptz,
    ADD COLUMN outcome text CHECK (outcome IN ('compliant', 'non_compliant', 'no_answer')),
    ADD COLUMN reason_code text,
    ADD COLUMN amount_undue_cents bigint CHECK (amount_undue_cents > 0);

-- A claim selected for control, and its outcome once payments applied it.
CREATE TABLE controls (
    claim_id text PRIMARY KEY,
    campaign_id text NOT NULL,
    programme text NOT NULL,
    siren text NOT NULL,
    payment_id text NOT NULL,
    paid_cents bigint NOT NULL,
    grounds text[] NOT NULL DEFAULT '{}',
    reply_by date,
    selected_at timestamptz,
    outcome text,
    reason_code text,
    amount_undue_cents bigint,
    recovery_order_id text,
    decided_by text,
    seconded_by text,
    decided_at timestamptz
);
CREATE INDEX controls_by_campaign ON controls (campaign_id, claim_id);
CREATE INDEX controls_by_programme ON controls (programme);

-- Every control event, for the claim's timeline (once each, by its event id).
CREATE TABLE control_events (
    event_id uuid PRIMARY KEY,
    claim_id text NOT NULL,
    campaign_id text NOT NULL,
    kind text NOT NULL,
    grounds text[] NOT NULL DEFAULT '{}',
    reply_by date,
    outcome text,
    reason_code text,
    amount_undue_cents bigint,
    recovery_order_id text,
    decided_by text,
    seconded_by text,
    occurred_at timestamptz NOT NULL
);
CREATE INDEX control_events_by_claim ON control_events (claim_id, occurred_at);

-- Each recovery order as its latest step says it stands.
CREATE TABLE recovery_orders (
    order_id text PRIMARY KEY,
    claim_id text NOT NULL,
    programme text NOT NULL,
    siren text NOT NULL,
    payment_id text NOT NULL,
    reason_code text NOT NULL,
    amount_cents bigint NOT NULL,
    repaid_cents bigint NOT NULL,
    outstanding_cents bigint NOT NULL,
    issued_on date NOT NULL,
    due_on date NOT NULL,
    payment_reference text NOT NULL,
    reminders integer NOT NULL DEFAULT 0,
    state text NOT NULL CHECK (state IN ('outstanding', 'settled', 'in_collection')),
    last_step text NOT NULL,
    as_of timestamptz NOT NULL
);
CREATE INDEX recovery_orders_by_state ON recovery_orders (state, due_on);
CREATE INDEX recovery_orders_by_claim ON recovery_orders (claim_id);

-- Every step of every order, for the claim's timeline.
CREATE TABLE recovery_steps (
    event_id uuid PRIMARY KEY,
    order_id text NOT NULL,
    claim_id text NOT NULL,
    step text NOT NULL,
    reminder integer,
    repayment_cents bigint,
    repaid_cents bigint NOT NULL,
    outstanding_cents bigint NOT NULL,
    returned_to_envelope boolean NOT NULL DEFAULT false,
    occurred_at timestamptz NOT NULL
);
CREATE INDEX recovery_steps_by_claim ON recovery_steps (claim_id, occurred_at);
