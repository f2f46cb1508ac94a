-- The bank's own files, read from the inbound folder (or `guichet finance import`): ISO 20022 pain.002 payment
-- status reports, camt.054 debit/credit notifications and camt.053 statements. A file is known by its SHA-256:
-- importing it again changes nothing. A file that fails its schema is recorded as refused, with why, and nothing
-- in it is applied.
CREATE TABLE bank_files (
    file_sha256  char(64) PRIMARY KEY,
    file_name    text NOT NULL,
    message      text,          -- 'pain.002.001.03', 'camt.054.001.02', 'camt.053.001.02'; null if unreadable
    message_id   text,          -- GrpHdr/MsgId
    outcome      text NOT NULL CHECK (outcome IN ('imported', 'refused')),
    refusal      text,          -- the file, the element and why, when refused
    entry_count  int NOT NULL DEFAULT 0,
    received_at  timestamptz NOT NULL,
    CHECK ((outcome = 'refused') = (refusal IS NOT NULL))
);

-- One row per entry of an imported file that says something about our transfers, and what became of it:
--   reported   it became a payments.settlements.v1 event (settlement_event_id), or a file rejection was applied;
--   duplicate  the same booking was already imported from another file (a camt.053 repeating a camt.054);
--   suspense   it matched nothing, or an attempt in the wrong state: finance settles or discards it;
--   settled / discarded  an operator's decision on a suspense entry (decided_by, decision_reason, decided_at).
CREATE TABLE bank_entries (
    entry_id            text PRIMARY KEY,      -- '<first 16 hex digits of the file's sha256>-<index>'
    file_sha256         char(64) NOT NULL REFERENCES bank_files (file_sha256),
    entry_index         int NOT NULL CHECK (entry_index >= 0),
    effect              text NOT NULL
        CHECK (effect IN ('booked', 'returned', 'rejected', 'credit', 'batch_booked', 'file_rejected')),
    end_to_end_id       text,
    batch_reference     text,                  -- MsgId / PmtInfId of our pain.001, when the entry names a batch
    amount_cents        bigint,
    iban                text,                  -- the counterparty's account as the bank reports it
    remittance          text,
    reason_code         text,
    value_date          date,
    bank_reference      text,                  -- AcctSvcrRef, or the status report's StsId / TxId
    payment_id          text,                  -- the attempt it matched, or an operator assigned it to
    attempt             int,
    matched_by          text CHECK (matched_by IN ('end_to_end_id', 'amount_iban_remittance', 'batch', 'operator')),
    settlement_event_id uuid UNIQUE,
    state               text NOT NULL CHECK (state IN ('reported', 'duplicate', 'suspense', 'settled', 'discarded')),
    suspense_reason     text,
    decided_by          text,
    decision_reason     text,
    decided_at          timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (file_sha256, entry_index)
);
CREATE INDEX bank_entries_suspense ON bank_entries (created_at) WHERE state = 'suspense';
CREATE INDEX bank_entries_attempt ON bank_entries (payment_id, attempt);

-- A pain.002 that rejects a whole file sends its attempts back: each becomes `rejected` (it will never be paid)
-- and its payment is scheduled again as a new attempt, with a new EndToEndId, in a new file. Not a return.
ALTER TABLE payment_attempts DROP CONSTRAINT payment_attempts_status_check;
ALTER TABLE payment_attempts ADD CONSTRAINT payment_attempts_status_check
    CHECK (status IN ('scheduled', 'sent', 'settled', 'returned', 'blocked', 'cancelled', 'rejected'));
ALTER TABLE batches ADD COLUMN rejected_at timestamptz;
ALTER TABLE batches ADD COLUMN rejection_reason text;
-- The pain.001 version the file was written in (per programme: 001.001.03 or 001.001.09).
ALTER TABLE batches ADD COLUMN message_version text NOT NULL DEFAULT 'pain.001.001.03';
-- A return without its EndToEndId is matched by amount, IBAN and remittance: find the attempts by account.
CREATE INDEX payment_attempts_iban ON payment_attempts (iban);
