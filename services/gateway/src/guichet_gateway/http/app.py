"""Placeholder the API part replaces: `create_web(wiring)` gives the ASGI app serving /v1."""

from __future__ import annotations

from starlette.applications import Starlette

from guichet_common.runtime import Wiring


def create_web(wiring: Wiring) -> Starlette:
    return Starlette(routes=[])
