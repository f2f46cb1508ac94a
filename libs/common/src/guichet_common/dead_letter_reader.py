"""One dead letter read back from its `.dlq` topic by its coordinates, for the service that owns it.

A service replaying a dead letter on the back-office's command needs the record itself (key, value, headers). It
reads it from the broker, where it was written, rather than keeping a copy: the broker is the one place every dead
letter is (those written before the back-office existed too), the command names it by its broker coordinates, and a
copy would need the relay to learn each record's offset. The read is short: a consumer without a group (nothing is
committed, no group grant is needed), authenticated as the service itself, opened for the one record and closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError

from guichet_common.dead_letter_actions import DeadLetter, DeadLetterId
from guichet_common.operator_commands import CommandRefused

TIMEOUT_S = 15.0


class DeadLettersUnreachable(ConnectionError):
    """The broker did not answer: nothing is decided about the dead letter. A ConnectionError (an OSError), so the
    batch consumer retries the command later instead of dead-lettering it."""


class KafkaDeadLetters:
    """Reads dead letters from the broker with the service's own client options (`kafka_security.client_options`)."""

    def __init__(
        self, bootstrap_servers: str, client_options: Mapping[str, Any] | None = None, timeout_s: float = TIMEOUT_S
    ) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._client_options = dict(client_options or {})
        self._timeout_s = timeout_s

    async def read(self, dead_letter_id: DeadLetterId) -> DeadLetter | None:
        """The dead letter at those coordinates; None when the broker holds no record there (never written, or gone
        with the topic's retention). Raises `DeadLettersUnreachable`, or `CommandRefused` when the service's grants
        do not let it read the topic."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            request_timeout_ms=int(self._timeout_s * 1000),
            **self._client_options,
        )
        try:
            await asyncio.wait_for(consumer.start(), self._timeout_s)
            return await asyncio.wait_for(_read_one(consumer, dead_letter_id), self._timeout_s)
        except TopicAuthorizationFailedError:
            # Not the broker's health but this service's grants: retrying would hold every command behind it.
            raise CommandRefused(f"lecture de {dead_letter_id.topic} refusée par Kafka (droits du service)") from None
        except (KafkaError, TimeoutError) as error:
            raise DeadLettersUnreachable(f"{dead_letter_id} could not be read: {type(error).__name__}") from error
        finally:
            await consumer.stop()


async def _read_one(consumer: AIOKafkaConsumer, dead_letter_id: DeadLetterId) -> DeadLetter | None:
    # The cluster's metadata as `consumer.topics()` fetches it, partitions included (which that call drops).
    cluster = await consumer._client.fetch_all_metadata()
    if dead_letter_id.partition not in (cluster.partitions_for_topic(dead_letter_id.topic) or ()):
        return None  # no such topic or partition: assigning it would wait for metadata that never comes
    tp = TopicPartition(dead_letter_id.topic, dead_letter_id.partition)
    consumer.assign([tp])
    beginning = (await consumer.beginning_offsets([tp]))[tp]
    end = (await consumer.end_offsets([tp]))[tp]
    if not beginning <= dead_letter_id.offset < end:
        return None
    consumer.seek(tp, dead_letter_id.offset)
    while True:
        batch = (await consumer.getmany(tp, timeout_ms=1000, max_records=1)).get(tp, [])
        if batch:
            record = batch[0]
            # A compacted or transactional topic may skip the offset: the next record is another one.
            if record.offset != dead_letter_id.offset:
                return None
            return DeadLetter(
                id=dead_letter_id,
                key=record.key,
                value=record.value,
                headers=tuple(record.headers or ()),
                timestamp_ms=record.timestamp or 0,
            )
