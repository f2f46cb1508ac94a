"""The gauges that are read, not counted: sampled every few seconds into the service's metrics.

The business figures come from the service's own tables through the readers it wires (`Wiring.figures`), so
they survive restarts and agree between instances; lag comes from the broker, for the service's own groups.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from aiokafka.errors import KafkaError

from guichet_common import outbox, set_aside
from guichet_common.db import TRANSIENT_DB_ERRORS, PoolSlot
from guichet_common.figures import BudgetFigures, StageFigures
from guichet_common.kafka_admin import consumer_lag
from guichet_common.logging import mask_text
from guichet_common.metrics import ServiceMetrics

log = structlog.get_logger()


@dataclass
class FigureReaders:
    """What a service can say about its own work; each reads its tables in the sampler's transaction."""

    stage: Callable[[asyncpg.Connection], Awaitable[StageFigures]] | None = None
    budgets: Callable[[asyncpg.Connection], Awaitable[list[BudgetFigures]]] | None = None
    # Any other per-programme figures, by name (payments: controls and recovery): programme -> figure -> value.
    programmes: Callable[[asyncpg.Connection], Awaitable[Mapping[str, Mapping[str, float]]]] | None = None


@dataclass
class GaugeSampler:
    metrics: ServiceMetrics
    slot: PoolSlot
    bootstrap_servers: str
    group_topics: Mapping[str, str]  # consumer group -> prefixed topic
    readers: FigureReaders
    every_s: float
    client_options: Mapping[str, Any] | None = None  # Kafka authentication; None: from the environment

    async def run(self) -> None:
        while True:
            await self.sample_once()
            await asyncio.sleep(self.every_s)

    async def sample_once(self) -> None:
        try:
            async with self.slot.acquire() as conn, conn.transaction(readonly=True):
                self.metrics.outbox_backlog.labels(self.metrics.service).set(await outbox.backlog(conn))
                self.metrics.set_set_aside(await set_aside.held_counts(conn))
                if self.readers.stage:
                    self.metrics.set_stage(await self.readers.stage(conn))
                if self.readers.budgets:
                    self.metrics.set_budgets(await self.readers.budgets(conn))
                if self.readers.programmes:
                    self.metrics.set_programme_figures(await self.readers.programmes(conn))
        except TRANSIENT_DB_ERRORS as error:
            log.warning("gauges_not_sampled", source="database", error=mask_text(str(error)))
        try:
            if self.group_topics:
                lag = await consumer_lag(self.bootstrap_servers, self.group_topics, client_options=self.client_options)
                self.metrics.set_lag(lag)
        except (KafkaError, OSError, TimeoutError) as error:
            log.warning("gauges_not_sampled", source="broker", error=str(error))
