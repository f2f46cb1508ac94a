"""Placeholder until its helper lands it (issue 16)."""


def import_files() -> None:
    """Not built yet."""
    raise NotImplementedError
