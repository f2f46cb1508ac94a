-- Where to write about each claim (first contact wins: a conflicting resubmission cannot redirect mail).
CREATE TABLE contacts (
    claim_id    text PRIMARY KEY,
    programme   text NOT NULL,
    email       text NOT NULL,
    full_name   text NOT NULL,
    iban_last4  text,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- At most one e-mail per claim and kind. 'sending' is committed before the SMTP exchange, so a crash in
-- mid-send leaves the row 'sending' (uncertain) instead of sending it a second time.
CREATE TABLE emails (
    claim_id        text NOT NULL,
    kind            text NOT NULL,
    programme       text NOT NULL,
    reasons         text[] NOT NULL DEFAULT '{}',
    amount_cents    bigint,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    message_id      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    PRIMARY KEY (claim_id, kind)
);
CREATE INDEX emails_pending ON emails (next_attempt_at) WHERE state = 'pending';
