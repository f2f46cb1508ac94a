-- The gateway's own data: the portals and their keys, the claims each one sent (for idempotency and ownership),
-- the status history of those claims, and the webhook deliveries with their journal.

CREATE TABLE portals (
    name                  text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    -- The key's public part (its id, in the key itself) finds the row; only the SHA-256 of the whole key is kept:
    -- keys are 256-bit random, so a slow password hash would add CPU per request and no strength.
    key_id                text NOT NULL UNIQUE,
    key_sha256            bytea NOT NULL,
    rate_limit_per_minute integer CHECK (rate_limit_per_minute > 0),
    webhook_url           text,
    webhook_secret        text,  -- Standard Webhooks' whsec_… secret: symmetric, so it must be kept to sign
    created_at            timestamptz NOT NULL,
    key_rotated_at        timestamptz,
    disabled_at           timestamptz
);

-- One row per claim_id first posted through the gateway: who sent it, and the first answer, given again to a
-- repeated post with the same body (the body's SHA-256 tells "same" from "different": 409).
CREATE TABLE claims (
    claim_id      text PRIMARY KEY,
    portal        text NOT NULL REFERENCES portals (name),
    body_sha256   bytea NOT NULL,
    event_id      uuid NOT NULL UNIQUE,  -- of the claims.submitted.v1 event published through the outbox
    programme     text NOT NULL,
    accepted_at   timestamptz NOT NULL
);
CREATE INDEX claims_by_portal ON claims (portal, accepted_at);

-- Bank details posted for a claim: same body again returns the first answer, as for claims.
CREATE TABLE bank_details_posts (
    claim_id      text NOT NULL REFERENCES claims (claim_id),
    body_sha256   bytea NOT NULL,
    event_id      uuid NOT NULL UNIQUE,  -- of the claims.bank-details.v1 event
    accepted_at   timestamptz NOT NULL,
    PRIMARY KEY (claim_id, body_sha256)
);

-- claims.status.v1 events of the gateway's claims, in the order they were consumed (per claim, the topic's order).
CREATE TABLE statuses (
    event_id      uuid PRIMARY KEY,
    seq           bigserial NOT NULL UNIQUE,
    claim_id      text NOT NULL REFERENCES claims (claim_id),
    status        text NOT NULL,
    occurred_at   timestamptz NOT NULL,
    payload       jsonb NOT NULL  -- the event as published, for the history and the webhook body
);
CREATE INDEX statuses_by_claim ON statuses (claim_id, seq);

-- One delivery per (portal, status event): the webhook-id is the status's event_id, stable across redeliveries.
CREATE TABLE webhook_deliveries (
    delivery_id     bigserial PRIMARY KEY,
    portal          text NOT NULL REFERENCES portals (name),
    claim_id        text NOT NULL,
    event_id        uuid NOT NULL,
    seq             bigint NOT NULL,  -- statuses.seq: deliveries of one claim go out in this order
    state           text NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    delivered_at    timestamptz,
    failed_at       timestamptz,
    UNIQUE (portal, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_claim ON webhook_deliveries (claim_id, seq);

-- The journal: every attempt, its answer or its error (never the body, which the statuses table keeps).
CREATE TABLE webhook_attempts (
    delivery_id   bigint NOT NULL REFERENCES webhook_deliveries (delivery_id),
    attempt       integer NOT NULL,
    attempted_at  timestamptz NOT NULL,
    http_status   integer,
    error         text,
    duration_ms   integer NOT NULL,
    redelivery_by text,  -- the operator who asked for it, on an operator's redelivery
    PRIMARY KEY (delivery_id, attempt)
);
