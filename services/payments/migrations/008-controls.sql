-- Post-payment controls (décret 2021-69, article 6). What eligibility knew of each approved claim, kept when its
-- payment is scheduled, so that a campaign's risk rules can be judged long after the approval.
CREATE TABLE claim_risk_facts (
    claim_id           text PRIMARY KEY,
    reviewed_reasons   text[] NOT NULL DEFAULT '{}',
    approved_by_person boolean NOT NULL DEFAULT false,
    supplier_sirens    text[] NOT NULL DEFAULT '{}'
);

-- A campaign, with everything needed to draw its selection again: the seed, the sampling rate and risk rules in
-- force when it was opened, and the cut-off of the settlements it looked at.
CREATE TABLE control_campaigns (
    campaign_id      text PRIMARY KEY,
    programme        text NOT NULL REFERENCES budgets (programme),
    seed             bigint NOT NULL,
    sampling_percent numeric NOT NULL,
    risk_rules       text[] NOT NULL,
    paid_before      timestamptz NOT NULL,
    opened_at        timestamptz NOT NULL,
    opened_by        text NOT NULL,
    population       int NOT NULL,
    selected         int NOT NULL
);

-- One control per claim, ever: a claim selected once is never drawn again by a later campaign.
CREATE TABLE controls (
    claim_id           text PRIMARY KEY,
    campaign_id        text NOT NULL REFERENCES control_campaigns (campaign_id),
    payment_id         text NOT NULL REFERENCES payments (payment_id),
    programme          text NOT NULL,
    siren              char(9) NOT NULL,
    paid_cents         bigint NOT NULL,
    grounds            text[] NOT NULL,
    reply_by           date NOT NULL,
    selected_at        timestamptz NOT NULL,
    outcome            text CHECK (outcome IN ('compliant', 'non_compliant', 'no_answer')),
    reason_code        text,
    amount_undue_cents bigint CHECK (amount_undue_cents > 0 AND amount_undue_cents <= paid_cents),
    decided_by         text,
    seconded_by        text,
    decided_at         timestamptz
);
CREATE INDEX controls_campaign ON controls (campaign_id);
