"""/healthz and /readyz answer as orchestrators expect, without a running broker or database."""

from __future__ import annotations

from typing import Any

import orjson

from guichet_common.db import PoolSlot
from guichet_common.http import operational_routes
from guichet_common.metrics import ServiceMetrics


class UnreachableBroker:
    async def ping(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109 (the broker's own signature)
        return False


async def get(app: Any, path: str) -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}
    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


def routes() -> dict[str, Any]:
    metrics = ServiceMetrics("intake")
    metrics.count_published(["claims.status.v1", "claims.submitted.v1.dlq"])
    return dict(operational_routes(UnreachableBroker(), PoolSlot(), metrics))  # type: ignore[arg-type]


async def test_alive_even_when_nothing_is_reachable() -> None:
    status, body = await get(routes()["/healthz"], "/healthz")
    assert status == 200 and orjson.loads(body) == {"status": "alive"}


async def test_not_ready_names_what_does_not_answer() -> None:
    status, body = await get(routes()["/readyz"], "/readyz")
    assert status == 503
    assert orjson.loads(body) == {"service": "intake", "database": "starting", "broker": "unreachable"}


async def test_metrics_count_dead_letters_by_the_topic_they_came_from() -> None:
    status, body = await get(routes()["/metrics"], "/metrics")
    text = body.decode()
    assert status == 200
    assert 'guichet_dead_lettered_messages_total{app_name="intake",topic="claims.submitted.v1"} 1.0' in text
    assert 'guichet_outbox_published_messages_total{app_name="intake",topic="claims.status.v1"} 1.0' in text
