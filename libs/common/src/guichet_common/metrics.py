"""Prometheus metrics of one service process, served on `/metrics`.

Message counts, sizes, handler latency histograms and handler errors per topic come from FastStream's Kafka
Prometheus middleware (`guichet_received_*`). This module adds what the framework cannot see: what the outbox
relay published and dead-lettered, the outbox backlog, consumer lag per partition, and the business gauges
(claims by state at each stage, the envelope per programme) read from the service's own tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry, Counter, Gauge

from guichet_common.figures import BudgetFigures, StageFigures

PREFIX = "guichet"
DEAD_LETTER_SUFFIX = ".dlq"


class ServiceMetrics:
    """One registry per process (not the global one), so tests can build several apps in one interpreter."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.middleware = KafkaPrometheusMiddleware(registry=self.registry, app_name=service, metrics_prefix=PREFIX)
        self.published = Counter(
            f"{PREFIX}_outbox_published_messages",
            "Messages the outbox relay published, by topic",
            ["app_name", "topic"],
            registry=self.registry,
        )
        self.dead_lettered = Counter(
            f"{PREFIX}_dead_lettered_messages",
            "Messages sent to a dead-letter topic, by the topic they could not be processed from",
            ["app_name", "topic"],
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            f"{PREFIX}_outbox_backlog_messages",
            "Outbox rows written and not yet published",
            ["app_name"],
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            f"{PREFIX}_consumer_lag_messages",
            "Messages on a partition beyond its consumer group's committed offset",
            ["app_name", "topic", "partition"],
            registry=self.registry,
        )
        self.claims = Gauge(
            f"{PREFIX}_claims",
            "Claims (payments, e-mails at their stages) by state, counted in the service's own tables",
            ["app_name", "stage", "state"],
            registry=self.registry,
        )
        self._set_aside_kinds: set[str] = set()
        self.set_aside = Gauge(
            f"{PREFIX}_set_aside_items",
            "Items a background job set aside (held) until an operator releases or cancels them, by kind",
            ["app_name", "kind"],
            registry=self.registry,
        )
        self.budget = Gauge(
            f"{PREFIX}_budget_cents",
            "A programme's envelope in cents: total, reserved, paid, released, available",
            ["app_name", "programme", "kind"],
            registry=self.registry,
        )
        self.programme_figures = Gauge(
            f"{PREFIX}_programme_figures",
            "Other figures of a programme the service counts in its own tables, by name (payments: controls and"
            " recovery orders, counts and cents)",
            ["app_name", "programme", "figure"],
            registry=self.registry,
        )

    def count_published(self, topics: Iterable[str]) -> None:
        for topic in topics:
            self.published.labels(self.service, topic).inc()
            if topic.endswith(DEAD_LETTER_SUFFIX):
                self.dead_lettered.labels(self.service, topic.removesuffix(DEAD_LETTER_SUFFIX)).inc()

    def set_lag(self, lag: dict[tuple[str, int], int]) -> None:
        for (topic, partition), messages in lag.items():
            self.consumer_lag.labels(self.service, topic, str(partition)).set(messages)

    def set_stage(self, figures: StageFigures) -> None:
        for state, count in figures.counts.items():
            self.claims.labels(self.service, figures.service, state).set(count)

    def set_set_aside(self, held: Mapping[str, int]) -> None:
        # A kind whose last item was released drops to 0 instead of keeping its last count.
        self._set_aside_kinds |= set(held)
        for kind in self._set_aside_kinds:
            self.set_aside.labels(self.service, kind).set(held.get(kind, 0))

    def set_programme_figures(self, figures: Mapping[str, Mapping[str, float]]) -> None:
        for programme, named in figures.items():
            for figure, value in named.items():
                self.programme_figures.labels(self.service, programme, figure).set(value)

    def set_budgets(self, budgets: Sequence[BudgetFigures]) -> None:
        for budget in budgets:
            for kind, cents in (
                ("total", budget.total_cents),
                ("reserved", budget.reserved_cents),
                ("paid", budget.paid_cents),
                ("released", budget.released_cents),
                ("available", budget.available_cents),
            ):
                self.budget.labels(self.service, budget.programme, kind).set(cents)
