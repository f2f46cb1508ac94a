"""Status webhooks: a delivery per status of a portal's claim, sent signed (Standard Webhooks), retried with
backoff, journaled, set aside when it fails for good, redelivered on an operator's command."""
