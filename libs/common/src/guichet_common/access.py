"""What each service may do on Kafka: the least-privilege grants its principal gets, derived from the topic maps.

One principal per service (`guichet-<service>`). It may read the topics it consumes, write the topics it
produces and the dead-letter topics of what it consumes, read and write the replay topics of what it consumes
(`guichet dlq replay` queues a dead letter in the owner's outbox for `<topic>.replay`; the owner publishes and
consumes it: no other principal, and no write right on a topic its producers own), and use its own consumer
groups (a prefix). Nothing
else: topics are created by the platform (the launcher's admin, or Strimzi's KafkaTopic resources), not by the
services. The local secured broker and the Kubernetes KafkaUser resources are both built from `grants_for`, so
they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from guichet_common.topics import CONSUMED_BY, PRODUCED_BY, consumer_group_prefix

SERVICES = tuple(CONSUMED_BY)


@dataclass(frozen=True, order=True)
class Grant:
    resource: Literal["topic", "group"]
    name: str
    pattern: Literal["literal", "prefix"]
    operations: tuple[str, ...]  # Kafka's operation names: Read, Write, Describe


def principal(service: str) -> str:
    return f"guichet-{service}"


def grants_for(service: str, prefix: str = "") -> list[Grant]:
    consumed = [prefix + spec.name for spec in CONSUMED_BY[service]]
    produced = [prefix + spec.name for spec in PRODUCED_BY[service]]
    dead_letters = [prefix + spec.dead_letter() for spec in CONSUMED_BY[service] if spec.has_dead_letters]
    replays = [prefix + spec.replay() for spec in CONSUMED_BY[service] if spec.has_dead_letters]
    grants = [Grant("topic", topic, "literal", ("Describe", "Read")) for topic in consumed]
    grants += [Grant("topic", topic, "literal", ("Describe", "Write")) for topic in [*produced, *dead_letters]]
    grants += [Grant("topic", topic, "literal", ("Describe", "Read", "Write")) for topic in replays]
    grants.append(Grant("group", consumer_group_prefix(service) + prefix, "prefix", ("Describe", "Read")))
    return sorted(grants)
