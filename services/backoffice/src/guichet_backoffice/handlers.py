"""backoffice's subscribers: the services' events in, the read model's rows out."""

from __future__ import annotations

from guichet_common.runtime import Wiring


def register_handlers(wiring: Wiring) -> None:
    """Subscribes to every topic the read model projects (filled in by the projection)."""
