-- A claim the registry-deadline job could not judge on its own is set aside (kind `registry_deadline` in
-- set_aside_items, with its reason): it keeps its status `awaiting_registry` (it still holds the company's place)
-- but neither the deadline job nor a later registry record takes it again until an operator releases it (back to
-- waiting) or cancels it (sent to manual review).
ALTER TABLE claims ADD COLUMN set_aside_at timestamptz;
DROP INDEX claims_awaiting_registry;
CREATE INDEX claims_awaiting_registry ON claims (registry_deadline)
    WHERE status = 'awaiting_registry' AND set_aside_at IS NULL;
