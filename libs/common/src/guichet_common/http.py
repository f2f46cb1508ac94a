"""The operational HTTP endpoints every service serves beside its consumers.

GET /healthz   200 while the process runs (liveness: restart me if this stops answering)
GET /readyz    200 when the broker and the database answer, else 503 with which one does not (readiness)
GET /metrics   Prometheus text format (see guichet_common.metrics)
GET /docs/asyncapi   the service's AsyncAPI document (HTML; `.json` / `.yaml` beside it)
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from faststream.asgi import AsgiResponse, get
from faststream.kafka import KafkaBroker
from prometheus_client import make_asgi_app

from guichet_common.db import PoolSlot
from guichet_common.logging import mask_text
from guichet_common.metrics import ServiceMetrics

CHECK_TIMEOUT_S = 3.0


async def database_check(slot: PoolSlot) -> str:
    """ "ok", or why the database does not answer (passwords masked)."""
    if not slot.filled:
        return "starting"
    try:
        async with slot.acquire(timeout=CHECK_TIMEOUT_S) as conn:
            await conn.fetchval("SELECT 1", timeout=CHECK_TIMEOUT_S)
    except Exception as error:  # any failure means not ready; say which
        return mask_text(f"{type(error).__name__}: {error}")
    return "ok"


async def broker_check(broker: KafkaBroker) -> str:
    try:
        return "ok" if await broker.ping(timeout=CHECK_TIMEOUT_S) else "unreachable"
    except Exception as error:  # any failure means not ready; say which
        return f"{type(error).__name__}: {error}"


def operational_routes(broker: KafkaBroker, slot: PoolSlot, metrics: ServiceMetrics) -> list[tuple[str, Any]]:
    @get(include_in_schema=False)
    async def healthz(scope: Any) -> AsgiResponse:
        return AsgiResponse(b'{"status":"alive"}', 200, headers={"content-type": "application/json"})

    @get(include_in_schema=False)
    async def readyz(scope: Any) -> AsgiResponse:
        database, kafka = await asyncio.gather(database_check(slot), broker_check(broker))
        checks = {"service": metrics.service, "database": database, "broker": kafka}
        ready = database == "ok" and kafka == "ok"
        return AsgiResponse(orjson.dumps(checks), 200 if ready else 503, headers={"content-type": "application/json"})

    return [("/healthz", healthz), ("/readyz", readyz), ("/metrics", make_asgi_app(metrics.registry))]
