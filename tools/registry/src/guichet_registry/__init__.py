"""Imports INSEE's SIRENE stock file of legal units onto `registry.companies.v1`, and synthesises such files."""
