"""Payments' bank channel: the ISO 20022 files the bank sends back (pain.002, camt.054, camt.053).

`reading` turns a file's bytes into entries (pure, no I/O); the importer matches them to attempts.
"""
