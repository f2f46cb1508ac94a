-- A claim_id belongs to the first submission that used it, registered or refused: the digest of a refused
-- submission that took its claim_id, so that different content under that id later is a CLAIM_ID_CONFLICT and
-- cannot inherit the refused one's contact (notifications keeps the first contact of a claim). NULL for refusals
-- that did not take their claim_id (conflicts themselves) and for refusals recorded before this column.
ALTER TABLE refusals ADD COLUMN content_sha256 char(64);
CREATE INDEX refusals_owner ON refusals (claim_id, id) WHERE content_sha256 IS NOT NULL;
