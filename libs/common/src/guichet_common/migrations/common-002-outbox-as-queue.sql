-- The relay deletes what it has published instead of stamping it: an UPDATE rewrote each row (value included)
-- and its index entries, a DELETE only marks it, and the table stays as small as the backlog. Rows written before
-- this migration and already published are removed with it.
DELETE FROM outbox WHERE published_at IS NOT NULL;
DROP INDEX outbox_unpublished;
ALTER TABLE outbox DROP COLUMN published_at;
