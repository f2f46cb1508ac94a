-- The `source` of the claim (the portal that sent it, from eligibility's decision): every status payments announces
-- carries it, so that a portal can pick out its own. NULL for payments scheduled before it was passed on.
ALTER TABLE payments ADD COLUMN source text;
