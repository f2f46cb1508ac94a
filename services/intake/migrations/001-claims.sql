-- Claims that passed intake checks: registered once per claim_id, whatever the redelivery.
CREATE TABLE claims (
    claim_id       text PRIMARY KEY,
    event_id       uuid NOT NULL,
    programme      text NOT NULL,
    siren          char(9) NOT NULL,
    content_sha256 char(64) NOT NULL,
    payload        jsonb NOT NULL,
    submitted_at   timestamptz NOT NULL,
    registered_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claims_siren ON claims (siren);

-- Submissions refused at intake (never registered), kept for audit with their codes.
CREATE TABLE refusals (
    id         bigserial PRIMARY KEY,
    event_id   uuid NOT NULL UNIQUE,
    claim_id   text,
    codes      text[] NOT NULL,
    details    jsonb NOT NULL DEFAULT '[]',
    refused_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refusals_claim_id ON refusals (claim_id);
