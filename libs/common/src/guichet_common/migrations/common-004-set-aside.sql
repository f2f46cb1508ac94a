-- Items a background job could not process on their own (a payment attempt whose SEPA file cannot be written, an
-- e-mail whose headers cannot be built, an outbox row the broker refuses...). The job sets the item aside here and
-- in the item's own table, in one transaction, then carries on with the others. Operators see them by kind and
-- release (try again) or cancel them, naming themselves and a reason, as in review.
CREATE TABLE set_aside_items (
    kind            text NOT NULL,
    item_id         text NOT NULL,
    reason          text NOT NULL,
    set_aside_at    timestamptz NOT NULL DEFAULT now(),
    state           text NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'released', 'cancelled')),
    decided_by      text CHECK (decided_by <> ''),
    decision_reason text CHECK (decision_reason <> ''),
    decided_at      timestamptz,
    PRIMARY KEY (kind, item_id)
);

CREATE INDEX set_aside_items_held ON set_aside_items (kind) WHERE state = 'held';
