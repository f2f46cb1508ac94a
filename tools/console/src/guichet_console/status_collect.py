"""Reads the figures of `guichet status`: one short read-only transaction per service database, and Kafka's
offsets and consumer groups. An unreachable database or broker becomes an error in the figures, not a crash."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import asyncpg
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from guichet_common import outbox, set_aside
from guichet_common.figures import StageFigures
from guichet_common.topics import CONSUMED_BY, consumer_group
from guichet_console import dead_letters
from guichet_console.connect import Stack
from guichet_console.kafka_view import PartitionRange, kafka_view
from guichet_console.operations import describe
from guichet_console.status_model import (
    PIPELINE,
    PipelineStatus,
    ServiceFigures,
    TopicFigures,
    dead_letter_figures,
    lag_of,
)
from guichet_eligibility import operators as eligibility
from guichet_intake import operators as intake
from guichet_notifications import operators as notifications
from guichet_payments import operators as payments

STAGE_FIGURES: Mapping[str, Callable[[asyncpg.Connection], Awaitable[StageFigures]]] = {
    "intake": intake.stage_figures,
    "eligibility": eligibility.stage_figures,
    "payments": payments.stage_figures,
    "notifications": notifications.stage_figures,
}
UNREACHABLE = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)

Ranges = dict[int, tuple[int, int]]  # partition -> (first offset, end offset)


@dataclass(frozen=True)
class ConsumedTopic:
    service: str
    topic: str  # unprefixed
    has_dead_letters: bool


def consumed_topics() -> list[ConsumedTopic]:
    return [
        ConsumedTopic(service, spec.name, spec.has_dead_letters)
        for service in PIPELINE
        for spec in CONSUMED_BY[service]
    ]


async def collect(stack: Stack) -> PipelineStatus:
    """Every figure of the status screen, the databases and Kafka read concurrently."""
    taken_at = dt.datetime.now(dt.UTC)
    services, (kafka, kafka_error) = await asyncio.gather(
        asyncio.gather(*(service_figures(stack, name) for name in PIPELINE)),
        kafka_figures(stack),
    )
    by_name = {figures.service: figures for figures in services}
    return PipelineStatus(taken_at, by_name, combine(stack, by_name, kafka), kafka_error)


async def service_figures(stack: Stack, service: str) -> ServiceFigures:
    dlq_topics = [stack.topic(spec.dead_letter()) for spec in CONSUMED_BY[service] if spec.has_dead_letters]
    try:
        async with stack.connection(service) as conn:
            return ServiceFigures(
                service,
                stage=await STAGE_FIGURES[service](conn),
                outbox_backlog=await outbox.backlog(conn),
                dead_letter_actions=await dead_letters.recorded_actions(conn, dlq_topics),
                budgets=await payments.budget_figures(conn) if service == "payments" else (),
                set_aside=await set_aside.held_counts(conn),
                controls=await control_figures(conn) if service == "payments" else {},
            )
    except UNREACHABLE as error:
        return ServiceFigures(service, error=describe(error))


async def control_figures(conn: asyncpg.Connection) -> Mapping[str, Mapping[str, object]]:
    try:
        return await payments.control_and_recovery_figures(conn)
    except asyncpg.UndefinedTableError:  # payments started before its controls and recovery migrations
        return {}


@dataclass(frozen=True)
class KafkaFigures:
    lags: Mapping[str, int]  # prefixed topic -> lag of its consumer group
    dlq_ranges: Mapping[str, Ranges]  # prefixed .dlq topic -> its partitions


async def kafka_figures(stack: Stack) -> tuple[KafkaFigures | None, str | None]:
    topics = consumed_topics()
    try:
        async with kafka_view(stack.kafka_bootstrap) as view:
            names = [stack.topic(t.topic) for t in topics]
            dlq_names = [name + ".dlq" for name, t in zip(names, topics) if t.has_dead_letters]
            ranges = await view.ranges([*names, *dlq_names])
            lags = {}
            for consumed, name in zip(topics, names):
                partitions = _partitions_of(ranges, name)
                tps = [TopicPartition(name, p) for p in partitions]
                committed = await view.committed(consumer_group(consumed.service, name), tps) if tps else {}
                lags[name] = lag_of(partitions, {tp.partition: offset for tp, offset in committed.items()})
            return KafkaFigures(lags, {name: _partitions_of(ranges, name) for name in dlq_names}), None
    except (TimeoutError, KafkaError, OSError) as error:
        return None, describe(error)


def combine(stack: Stack, services: Mapping[str, ServiceFigures], kafka: KafkaFigures | None) -> list[TopicFigures]:
    """Per consumed topic: its lag, and its dead letters net of the owner's recorded actions."""
    figures = []
    for consumed in consumed_topics():
        name = stack.topic(consumed.topic)
        owner = services[consumed.service]
        dlq = None
        if kafka is not None and consumed.has_dead_letters and owner.reachable:
            dlq = dead_letter_figures(kafka.dlq_ranges.get(name + ".dlq", {}), owner.dead_letter_actions, name + ".dlq")
        figures.append(
            TopicFigures(consumed.topic, consumed.service, kafka.lags.get(name) if kafka is not None else None, dlq)
        )
    return figures


def _partitions_of(ranges: Mapping[TopicPartition, PartitionRange], topic: str) -> Ranges:
    return {tp.partition: (r.beginning, r.end) for tp, r in ranges.items() if tp.topic == topic}
