"""Helpers of tests/e2e/test_controls_recovery.py: a small envelope, paid claims, the back-office's controls API,
the control and recovery topics, and what payments and the mail sink hold."""
