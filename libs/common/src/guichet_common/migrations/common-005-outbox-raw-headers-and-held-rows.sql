-- Outbox headers as bytes, not jsonb. Kafka header values are arbitrary bytes (and names any UTF-8, NUL included);
-- jsonb refuses \u0000, so one record with a NUL in a header could not even be dead-lettered and its partition
-- stopped. `headers` now holds guichet_common.outbox.encode_headers: per header, a 4-byte big-endian length and
-- the name's UTF-8, then a 4-byte signed length (-1: null value) and the value. Rows still queued are converted.
ALTER TABLE outbox ADD COLUMN raw_headers bytea NOT NULL DEFAULT ''::bytea;
UPDATE outbox SET raw_headers = (
    SELECT coalesce(string_agg(
               int4send(octet_length(convert_to(pair ->> 0, 'UTF8'))) || convert_to(pair ->> 0, 'UTF8')
               || int4send(octet_length(convert_to(pair ->> 1, 'UTF8'))) || convert_to(pair ->> 1, 'UTF8'),
               ''::bytea ORDER BY position), ''::bytea)
    FROM jsonb_array_elements(outbox.headers) WITH ORDINALITY AS header (pair, position)
)
WHERE headers <> '[]'::jsonb;
ALTER TABLE outbox DROP COLUMN headers;
ALTER TABLE outbox RENAME COLUMN raw_headers TO headers;

-- A row the broker refuses on its own (a topic this service may not write, a record too large, a topic that does
-- not exist) is held: the relay skips it and publishes the rows behind it. Its reason is in set_aside_items (kind
-- outbox_row, item id = the outbox id); an operator releases it (back in the queue) or cancels it (deleted).
ALTER TABLE outbox ADD COLUMN held boolean NOT NULL DEFAULT false;
