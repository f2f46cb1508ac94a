-- A post's digest is kept keyed by the master key (an HMAC of its SHA-256): a replayed post still matches, but nobody
-- without the key can test a guessed body against it (a bank-details body is an IBAN, a BIC and a name: few enough
-- unknowns to guess). Rows written before stay plain SHA-256 until their claim's data is erased, when the gateway
-- keys them (guichet_gateway.privacy.service).
ALTER TABLE claims ADD COLUMN body_digest_keyed boolean NOT NULL DEFAULT false;
ALTER TABLE bank_details_posts ADD COLUMN body_digest_keyed boolean NOT NULL DEFAULT false;
