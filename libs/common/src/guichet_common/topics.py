"""Every Kafka topic the system touches, with how it must be created.

Topics are created explicitly at start-up (never by broker auto-creation) so that partition counts and
compaction are decided here, on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

DEAD_LETTER_SUFFIX = ".dlq"
REPLAY_SUFFIX = ".replay"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    compacted: bool = False
    has_dead_letters: bool = False

    def dead_letter(self) -> str:
        return f"{self.name}{DEAD_LETTER_SUFFIX}"

    def replay(self) -> str:
        """Where `guichet dlq replay` sends this topic's dead letters back: the owner writes it (through its outbox)
        and consumes it with the same handler. The original topic is the producers'; under the ACLs the owner may
        only read it, so a replay published there would be refused."""
        return f"{self.name}{REPLAY_SUFFIX}"


# External contracts (../shared/contracts): their names are fixed; a deployment may only prefix them.
CLAIMS_SUBMITTED = TopicSpec("claims.submitted.v1", has_dead_letters=True)
CLAIMS_BANK_DETAILS = TopicSpec("claims.bank-details.v1", has_dead_letters=True)
REGISTRY_COMPANIES = TopicSpec("registry.companies.v1", compacted=True, has_dead_letters=True)
CLAIMS_STATUS = TopicSpec("claims.status.v1", has_dead_letters=True)
PAYMENTS_ISSUED = TopicSpec("payments.issued.v1")
PAYMENTS_SETTLEMENTS = TopicSpec("payments.settlements.v1", has_dead_letters=True)

# Internal topics: ours to design, only additive changes within a version.
CLAIMS_REGISTERED = TopicSpec("intake.claims-registered.v1", has_dead_letters=True)
APPLICANT_CONTACTS = TopicSpec("intake.applicant-contacts.v1", has_dead_letters=True)
ELIGIBILITY_DECISIONS = TopicSpec("eligibility.decisions.v1", has_dead_letters=True)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    CLAIMS_SUBMITTED,
    CLAIMS_BANK_DETAILS,
    REGISTRY_COMPANIES,
    CLAIMS_STATUS,
    PAYMENTS_ISSUED,
    PAYMENTS_SETTLEMENTS,
    CLAIMS_REGISTERED,
    APPLICANT_CONTACTS,
    ELIGIBILITY_DECISIONS,
)


def topic_names_with_dead_letters(specs: tuple[TopicSpec, ...] = ALL_TOPICS) -> list[TopicSpec]:
    """The given topics plus, for each one consumed from outside input, a plain `<name>.dlq` topic for its dead
    letters and a plain `<name>.replay` topic for the dead letters operators replay."""
    expanded: list[TopicSpec] = []
    for spec in specs:
        expanded.append(spec)
        if spec.has_dead_letters:
            expanded += (TopicSpec(spec.dead_letter()), TopicSpec(spec.replay()))
    return expanded


# Who consumes what: each input topic has exactly one owning service, which writes its dead letters and is the
# one to replay them. The services subscribe to exactly these (a test checks it); the console reads it.
CONSUMED_BY: dict[str, tuple[TopicSpec, ...]] = {
    "intake": (CLAIMS_SUBMITTED,),
    "eligibility": (REGISTRY_COMPANIES, CLAIMS_REGISTERED),
    "payments": (ELIGIBILITY_DECISIONS, PAYMENTS_SETTLEMENTS, CLAIMS_BANK_DETAILS),
    "notifications": (APPLICANT_CONTACTS, CLAIMS_STATUS),
}


# What each service writes (through its outbox), besides the dead letters of what it consumes. The AsyncAPI test
# checks the services declare exactly these; the Kafka ACLs (guichet_common.access) are built from both maps.
PRODUCED_BY: dict[str, tuple[TopicSpec, ...]] = {
    "intake": (CLAIMS_STATUS, CLAIMS_REGISTERED, APPLICANT_CONTACTS),
    "eligibility": (CLAIMS_STATUS, ELIGIBILITY_DECISIONS),
    "payments": (CLAIMS_STATUS, PAYMENTS_ISSUED),
    "notifications": (),
}


def consumer_group(service: str, prefixed_topic: str) -> str:
    """A group per subscription: two topics of one service never stall each other's rebalances."""
    return f"{consumer_group_prefix(service)}{prefixed_topic}"


def consumer_group_prefix(service: str) -> str:
    """Every consumer group of `service` starts with this (its ACLs grant the prefix)."""
    return f"guichet-{service}."


def original_topic(topic_name: str) -> str:
    """`topic_name` without a `.dlq` or `.replay` suffix (prefix kept)."""
    return topic_name.removesuffix(DEAD_LETTER_SUFFIX).removesuffix(REPLAY_SUFFIX)


def owner_of(topic_name: str) -> str:
    """The service consuming `topic_name` (unprefixed; a `.dlq` or `.replay` suffix is allowed)."""
    base = original_topic(topic_name)
    for service, specs in CONSUMED_BY.items():
        if any(spec.name == base for spec in specs):
            return service
    raise KeyError(f"no service consumes {base}")
