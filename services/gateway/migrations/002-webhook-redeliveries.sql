-- An operator's redelivery of a webhook delivery: who asked, written on the next attempt's journal row and then
-- cleared, and when, which restarts the give-up clock (a redelivered delivery is retried for as long as a new one).
ALTER TABLE webhook_deliveries
    ADD COLUMN redelivery_by  text,
    ADD COLUMN redelivered_at timestamptz;
