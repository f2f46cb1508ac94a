-- The `source` of the claims.submitted.v1 event (the portal that sent the claim), as intake registered it: every
-- status eligibility announces carries it, so that a portal can pick out its own. NULL for claims registered
-- before intake passed it on.
ALTER TABLE claims ADD COLUMN source text;
