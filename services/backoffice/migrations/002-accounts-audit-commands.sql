-- People who use the back-office, their sessions and API tokens, the audit trail, and the decisions they take.

CREATE TABLE accounts (
    login text PRIMARY KEY CHECK (login ~ '^[a-z0-9][a-z0-9._@-]{0,99}$'),
    role text NOT NULL CHECK (role IN ('caseworker', 'supervisor', 'finance', 'auditor', 'admin')),
    -- argon2id (argon2-cffi's encoded form); NULL for an account that signs in only through the identity provider
    password_hash text,
    -- a one-time password (first admin, `guichet users add`): it opens only the page that replaces it
    must_change_password boolean NOT NULL DEFAULT false,
    disabled boolean NOT NULL DEFAULT false,
    failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until timestamptz,
    oidc_subject text UNIQUE,  -- issuer + ' ' + sub, for accounts the identity provider signs in
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Personal API tokens for the console: only the sha256 of the token is kept, the token is shown once.
CREATE TABLE api_tokens (
    token_sha256 bytea PRIMARY KEY,
    login text NOT NULL REFERENCES accounts (login),
    label text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_tokens_by_login ON api_tokens (login);

-- Server-side sessions: the cookie holds a random id, the table its sha256 (a copy of the table opens nothing).
-- A session without login is a visitor's before sign-in: it carries the sign-in form's CSRF token and the
-- identity provider's state.
CREATE TABLE web_sessions (
    id_sha256 bytea PRIMARY KEY,
    login text REFERENCES accounts (login),
    csrf_token text NOT NULL,
    data jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);

-- The audit trail: append-only. Each row carries row_hash = sha256(previous row's row_hash + its own canonical
-- content), so that a row changed or removed behind the trigger's back breaks the chain (`guichet audit verify`).
CREATE TABLE audit_trail (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    target text NOT NULL DEFAULT '',
    reason text NOT NULL DEFAULT '',
    details jsonb NOT NULL DEFAULT '{}',
    previous_hash text NOT NULL,
    row_hash text NOT NULL UNIQUE
);

CREATE FUNCTION audit_trail_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_trail_append_only BEFORE UPDATE OR DELETE ON audit_trail
    FOR EACH ROW EXECUTE FUNCTION audit_trail_is_append_only();
CREATE TRIGGER audit_trail_no_truncate BEFORE TRUNCATE ON audit_trail
    FOR EACH STATEMENT EXECUTE FUNCTION audit_trail_is_append_only();

-- A person's decision, and its second person's when four eyes are needed. A complete decision has left as a
-- command (command_id is the command event's id).
CREATE TABLE decisions (
    id uuid PRIMARY KEY,
    action text NOT NULL CHECK (action IN (
        'review_approve', 'review_reject',
        'dead_letter_replay', 'dead_letter_discard', 'set_aside_release', 'set_aside_cancel')),
    service text NOT NULL,
    target text NOT NULL,
    kind text,
    codes text[] NOT NULL DEFAULT '{}',
    reason text NOT NULL,
    state text NOT NULL CHECK (state IN ('pending', 'complete', 'withdrawn')),
    requested_by text NOT NULL REFERENCES accounts (login),
    requested_at timestamptz NOT NULL,
    seconded_by text REFERENCES accounts (login) CHECK (seconded_by <> requested_by),
    closed_at timestamptz,
    command_id uuid UNIQUE
);
-- One open decision per thing at a time: a second request waits for the first to be seconded or withdrawn.
CREATE UNIQUE INDEX decisions_one_pending ON decisions (service, target) WHERE state = 'pending';
CREATE INDEX decisions_by_state ON decisions (state, requested_at);
