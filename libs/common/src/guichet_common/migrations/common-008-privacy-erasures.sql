-- What this service erased of each claim's personal data, when and why (guichet_common.privacy.erasures): an erasure
-- is applied once however often its trigger arrives, and the service's views say "effacé le DATE" from here.
CREATE TABLE privacy_erasures (
    claim_id   text NOT NULL,
    kind       text NOT NULL,
    erased_at  timestamptz NOT NULL,
    reason     text NOT NULL,
    request_id uuid,
    PRIMARY KEY (claim_id, kind)
);
