-- Data keys of the subjects (claims, SEPA batches) whose personal fields travel sealed (guichet_common.privacy).
-- The owner (intake for claims, payments for batches) makes them; notifications, payments and the back-office keep
-- a copy from privacy.claim-keys.v1. Each is wrapped by the master key. Destroying one sets wrapped_key to NULL and
-- keeps the row, so that an older announcement replayed later cannot bring the key back.
CREATE TABLE privacy_keys (
    subject      text NOT NULL,
    kind         text NOT NULL,
    wrapped_key  bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    destroyed_at timestamptz,
    PRIMARY KEY (subject, kind),
    CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL))
);
