"""Post-payment controls: campaigns that select paid claims (risk rules, then a reproducible random sample), and
the outcome of each control, which may issue a recovery order (`guichet_payments.recovery`)."""
