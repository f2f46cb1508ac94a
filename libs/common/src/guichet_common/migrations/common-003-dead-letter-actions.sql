-- What operators did with dead letters: each one replayed or discarded once at most, in the database of the
-- service that dead-lettered it (the owner of the original topic). Keyed by the dead letter's coordinates on the
-- broker (the `.dlq` topic as named there, prefix included), so a second replay or discard is refused.
CREATE TABLE dead_letter_actions (
    dlq_topic     text NOT NULL,
    dlq_partition integer NOT NULL,
    dlq_offset    bigint NOT NULL,
    action        text NOT NULL CHECK (action IN ('replayed', 'discarded')),
    operator      text NOT NULL CHECK (operator <> ''),
    reason        text NOT NULL CHECK (reason <> ''),
    acted_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dlq_topic, dlq_partition, dlq_offset)
);
