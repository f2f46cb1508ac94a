-- Issue 18: personal data. The back-office keeps opened copies of a claim's contact and bank details (to show them
-- to caseworkers), and erases them when intake announces the claim's erasure: the columns that held them become
-- nullable. SEPA files arrive sealed under their batch's key and stay sealed here (opened at download time): once
-- payments destroys the batch key, the stored file can no longer be read.
ALTER TABLE emails ALTER COLUMN recipient DROP NOT NULL;
ALTER TABLE payment_attempts ALTER COLUMN beneficiary_name DROP NOT NULL, ALTER COLUMN iban_last4 DROP NOT NULL;
ALTER TABLE sepa_files ALTER COLUMN content_gzip DROP NOT NULL, ADD COLUMN content_sealed text;

-- A person's subject-access requests (article 15) asked through the privacy API, and each service's answer.
-- Both hold personal data in clear: they are deleted EXPORTS_KEPT_DAYS after the request (privacy_requests.py).
CREATE TABLE privacy_exports (
    request_id   uuid PRIMARY KEY,
    requested_by text NOT NULL,
    reason       text NOT NULL,
    subject      jsonb NOT NULL,   -- {"email"|"siren"|"claim_id": value}: what the person was found by
    claim_ids    text[] NOT NULL,
    services     text[] NOT NULL,  -- the services asked; the export is complete once each answered
    requested_at timestamptz NOT NULL
);
CREATE INDEX privacy_exports_by_time ON privacy_exports (requested_at);

CREATE TABLE privacy_access_responses (
    request_id  uuid NOT NULL,
    service     text NOT NULL,
    claim_ids   text[] NOT NULL,
    records     jsonb NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (request_id, service)
);
