"""Placeholder until its helper lands it (issue 16)."""


def reconcile() -> None:
    """Not built yet."""
    raise NotImplementedError
