-- A refusal's details name fields, never values; but a schema message quotes a sender's own field names, which may
-- be an e-mail address or an IBAN. New refusals are masked by intake (guichet_common.logging.mask_text); those
-- recorded before are masked here the same way, so that no refusal keeps a person's address or account (issue 18).
UPDATE refusals
SET details = regexp_replace(
        regexp_replace(details::text, '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+', '***@***', 'g'),
        '\m([A-Za-z]{2})[0-9]{2}[A-Za-z0-9]{11,30}\M', '\1*****', 'g'
    )::jsonb
WHERE details::text ~ '@|\m[A-Za-z]{2}[0-9]{2}[A-Za-z0-9]{11,30}\M';
