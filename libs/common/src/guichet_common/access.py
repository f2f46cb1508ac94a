"""What each service may do on Kafka: the least-privilege grants its principal gets, derived from the topic maps.

One principal per service (`guichet-<service>`). It may read the topics it consumes, write the topics it
produces, and use its own consumer groups (a prefix). For the topics it owns (`topics.owner_of`: the one
consumer that dead-letters and replays them) it may also write the dead-letter topic and read and write the replay
topic (`<topic>.replay`: the owner queues a replayed dead letter in its outbox, publishes it and consumes it; no
other principal may, and nobody gets a write right on a topic its producers own). A service that reads a topic it
does not own (the back-office projects claims.status.v1, which notifications owns) gets neither: a record it
cannot use is set aside in its own database, never written to the owner's dead letters.

The back-office also reads every dead-letter topic (its dead-letter page shows them; replays and discards travel
as commands to the owner). Nothing else: topics are created by the platform (the launcher's admin, or Strimzi's
KafkaTopic resources), not by the services. The local secured broker and the Kubernetes KafkaUser resources are
both built from `grants_for`, so they cannot drift apart.

Systems outside Guichet that speak Kafka to it get a principal too (`EXTERNAL_PRINCIPALS`), with exactly the topic
rights listed there and no consumer group: finance's system only sends its settlement reports. `PRINCIPALS` names
every principal the platform creates; `grants_for` answers for any of them.

Portals that publish on Kafka themselves (GUICHET_KAFKA_PORTALS) get one principal each, `guichet-portal-<name>`
(model name `portal-<name>`): Write on their own door `portals.<name>.claims.submitted.v1` and nothing else there,
Read on claims.status.v1 (with a consumer-group prefix of their own) to follow their claims. Intake consumes each
door (literal grants, one per configured portal: a prefixed grant on `portals.` would also let intake write the
portals' doors); `principals(portals)` and `grants_for(..., kafka_portals=portals)` include them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from guichet_common.topics import (
    ALL_TOPICS,
    CLAIMS_STATUS,
    CONSUMED_BY,
    PAYMENTS_SETTLEMENTS,
    PRODUCED_BY,
    TopicSpec,
    consumer_group_prefix,
    owner_of,
    portal_claims_topic,
)

SERVICES = tuple(CONSUMED_BY)
# Systems outside Guichet, by name, with the operations each may do on which topic. Only Write + Describe here:
# idempotent producing needs no cluster right since Kafka 3.0 (KIP-679: Write on a topic is enough), no Read (the
# bank's payment orders reach finance as pain.001 files, not through Kafka), no group, no dead letter (those are the
# consuming service's), no replay.
EXTERNAL_PRINCIPALS: dict[str, tuple[tuple[TopicSpec, tuple[str, ...]], ...]] = {
    "finance": ((PAYMENTS_SETTLEMENTS, ("Describe", "Write")),),
}
PRINCIPALS = (*SERVICES, *EXTERNAL_PRINCIPALS)
PORTAL_PRINCIPAL_PREFIX = "portal-"
# Services that read every `<topic>.dlq`, whoever owns it: only to show them, never to replay them themselves.
DEAD_LETTER_READERS = frozenset({"backoffice"})


@dataclass(frozen=True, order=True)
class Grant:
    resource: Literal["topic", "group"]
    name: str
    pattern: Literal["literal", "prefix"]
    operations: tuple[str, ...]  # Kafka's operation names: Read, Write, Describe


def principal(name: str) -> str:
    """The Kafka user of a service or of an external system (`guichet-finance`)."""
    return f"guichet-{name}"


def portal_principal_name(portal: str) -> str:
    """The model name of a Kafka portal's principal (`portal-alpha`; its Kafka user is `guichet-portal-alpha`)."""
    return PORTAL_PRINCIPAL_PREFIX + portal


def principals(kafka_portals: Sequence[str] = ()) -> tuple[str, ...]:
    """Every principal the platform creates: the services, the external systems, one per Kafka portal."""
    return (*PRINCIPALS, *(portal_principal_name(portal) for portal in kafka_portals))


def grants_for(name: str, prefix: str = "", kafka_portals: Sequence[str] = ()) -> list[Grant]:
    """The grants of a service, an external system or a Kafka portal (a name in `principals(kafka_portals)`).
    `kafka_portals` adds intake's rights on those portals' doors."""
    if name in EXTERNAL_PRINCIPALS:
        return sorted(
            Grant("topic", prefix + spec.name, "literal", tuple(sorted(operations)))
            for spec, operations in EXTERNAL_PRINCIPALS[name]
        )
    if name.startswith(PORTAL_PRINCIPAL_PREFIX):
        return _portal_grants(name, name.removeprefix(PORTAL_PRINCIPAL_PREFIX), prefix)
    return _service_grants(name, prefix, kafka_portals if name == "intake" else ())


def _portal_grants(name: str, portal: str, prefix: str) -> list[Grant]:
    """Write its own door, read the statuses (to pick out its claims by `source`), in groups of its own."""
    return sorted(
        [
            Grant("topic", prefix + portal_claims_topic(portal).name, "literal", ("Describe", "Write")),
            Grant("topic", prefix + CLAIMS_STATUS.name, "literal", ("Describe", "Read")),
            Grant("group", consumer_group_prefix(name) + prefix, "prefix", ("Describe", "Read")),
        ]
    )


def _service_grants(service: str, prefix: str, kafka_portals: Sequence[str] = ()) -> list[Grant]:
    """One grant per topic (its operations merged) and one for the service's consumer-group prefix."""
    topics: dict[str, set[str]] = {}

    def allow(topic: str, *operations: str) -> None:
        topics.setdefault(prefix + topic, {"Describe"}).update(operations)

    for spec in (*CONSUMED_BY[service], *(portal_claims_topic(portal) for portal in kafka_portals)):
        allow(spec.name, "Read")
        if spec.has_dead_letters and owner_of(spec.name) == service:
            allow(spec.dead_letter(), "Write")
            allow(spec.replay(), "Read", "Write")
    for spec in PRODUCED_BY[service]:
        allow(spec.name, "Write")
    if service in DEAD_LETTER_READERS:
        for spec in ALL_TOPICS:
            if spec.has_dead_letters:
                allow(spec.dead_letter(), "Read")
    grants = [Grant("topic", name, "literal", tuple(sorted(operations))) for name, operations in topics.items()]
    grants.append(Grant("group", consumer_group_prefix(service) + prefix, "prefix", ("Describe", "Read")))
    return sorted(grants)
