-- Issue 18: notifications is the retention clock (docs/privacy.md).

-- An erased contact keeps its row (claim, programme, when it came) without the person's name, address or IBAN digits.
ALTER TABLE contacts ALTER COLUMN email DROP NOT NULL, ALTER COLUMN full_name DROP NOT NULL;

-- Every claim's latest status, when it became final and paid, and when each kind of its personal data expires
-- (NULL: no deadline yet, or erased already). The deadlines are computed from the programme's [retention] section
-- when the status arrives.
CREATE TABLE claim_statuses (
    claim_id       text PRIMARY KEY,
    programme      text NOT NULL,
    status         text NOT NULL,
    status_at      timestamptz NOT NULL,
    final_at       timestamptz,
    paid_at        timestamptz,
    contact_due_at timestamptz,
    bank_due_at    timestamptz
);
CREATE INDEX claim_statuses_contact_due ON claim_statuses (contact_due_at) WHERE contact_due_at IS NOT NULL;
CREATE INDEX claim_statuses_bank_due ON claim_statuses (bank_due_at) WHERE bank_due_at IS NOT NULL;

-- Each decision on a person's request to erase a claim's data now, granted or refused, with who asked and why.
CREATE TABLE privacy_requests (
    request_id   uuid NOT NULL,
    claim_id     text NOT NULL,
    action       text NOT NULL,
    decision     text NOT NULL CHECK (decision IN ('accepted', 'refused')),
    code         text,
    detail       text NOT NULL,
    claim_status text,
    requested_by text NOT NULL,
    legal_reason text NOT NULL,
    decided_at   timestamptz NOT NULL,
    PRIMARY KEY (request_id, claim_id)
);
CREATE INDEX privacy_requests_claim ON privacy_requests (claim_id);

-- An e-mail owed to a claim whose contact was erased is never sent: 'unaddressed' (counted with the failed ones).
ALTER TABLE emails DROP CONSTRAINT emails_state_check;
ALTER TABLE emails ADD CONSTRAINT emails_state_check
    CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled', 'unaddressed'));
