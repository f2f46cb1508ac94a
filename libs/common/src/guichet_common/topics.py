"""Every Kafka topic the system touches, with how it must be created.

Topics are created explicitly at start-up (never by broker auto-creation) so that partition counts and
compaction are decided here, on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

DEAD_LETTER_SUFFIX = ".dlq"
REPLAY_SUFFIX = ".replay"


# Topics that carry personal data in clear by contract (from portals, to finance) keep it this long, and their dead
# letters and replays too: two weeks covers a replay after an incident found late, and stays short for the register
# (docs/privacy.md). Internal topics carry such fields sealed (guichet_common.privacy) and keep Kafka's default.
PERSONAL_TOPIC_RETENTION_MS = 14 * 24 * 3600 * 1000
# Subject-access answers are personal data in clear, read once by the back-office within minutes.
ACCESS_RESPONSES_RETENTION_MS = 24 * 3600 * 1000
# The key topic rolls a segment every hour, and max.compaction.lag.ms makes every record older than an hour eligible
# for compaction even on a quiet topic (KIP-354): a destroyed key's older announcements (which still hold it, wrapped)
# leave the log within hours of its destruction, then the null that replaced it an hour later (delete.retention.ms).
KEY_TOPIC_CONFIG = (
    ("segment.ms", "3600000"),
    ("max.compaction.lag.ms", "3600000"),
    ("delete.retention.ms", "3600000"),
    ("min.cleanable.dirty.ratio", "0.1"),
)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    compacted: bool = False
    has_dead_letters: bool = False
    retention_ms: int | None = None  # None: the broker's default
    extra_config: tuple[tuple[str, str], ...] = ()

    def config(self) -> dict[str, str]:
        """The topic's configuration at creation."""
        config = dict(self.extra_config)
        if self.compacted:
            config["cleanup.policy"] = "compact"
        if self.retention_ms is not None:
            config["retention.ms"] = str(self.retention_ms)
        return config

    def dead_letter(self) -> str:
        return f"{self.name}{DEAD_LETTER_SUFFIX}"

    def replay(self) -> str:
        """Where `guichet dlq replay` sends this topic's dead letters back: the owner writes it (through its outbox)
        and consumes it with the same handler. The original topic is the producers'; under the ACLs the owner may
        only read it, so a replay published there would be refused."""
        return f"{self.name}{REPLAY_SUFFIX}"


# External contracts (../shared/contracts): their names are fixed; a deployment may only prefix them.
CLAIMS_SUBMITTED = TopicSpec("claims.submitted.v1", has_dead_letters=True, retention_ms=PERSONAL_TOPIC_RETENTION_MS)
CLAIMS_BANK_DETAILS = TopicSpec(
    "claims.bank-details.v1", has_dead_letters=True, retention_ms=PERSONAL_TOPIC_RETENTION_MS
)
REGISTRY_COMPANIES = TopicSpec("registry.companies.v1", compacted=True, has_dead_letters=True)
CLAIMS_STATUS = TopicSpec("claims.status.v1", has_dead_letters=True)
PAYMENTS_ISSUED = TopicSpec("payments.issued.v1", retention_ms=PERSONAL_TOPIC_RETENTION_MS)
PAYMENTS_SETTLEMENTS = TopicSpec("payments.settlements.v1", has_dead_letters=True)

# Internal topics: ours to design, only additive changes within a version.
CLAIMS_REGISTERED = TopicSpec("intake.claims-registered.v1", has_dead_letters=True)
APPLICANT_CONTACTS = TopicSpec("intake.applicant-contacts.v1", has_dead_letters=True)
ELIGIBILITY_DECISIONS = TopicSpec("eligibility.decisions.v1", has_dead_letters=True)

# The back-office's commands (guichet_common.contracts.backoffice): one topic per owning service, so that each
# topic has one consumer, which writes its dead letters and replays them.
REVIEW_DECISIONS = TopicSpec("backoffice.review-decisions.v1", has_dead_letters=True)
OPERATOR_COMMANDS = {
    service: TopicSpec(f"backoffice.{service}-commands.v1", has_dead_letters=True)
    for service in ("intake", "eligibility", "payments", "notifications", "gateway")
}
# What the services tell the back-office: outcomes of its commands, and the facts its read model needs.
COMMAND_OUTCOMES = TopicSpec("operations.command-outcomes.v1", has_dead_letters=True)
SET_ASIDE_ITEMS = TopicSpec("operations.set-aside.v1", has_dead_letters=True)
JUDGEMENTS = TopicSpec("eligibility.judgements.v1", has_dead_letters=True)
BUDGETS = TopicSpec("payments.budgets.v1", compacted=True, has_dead_letters=True)
EMAILS = TopicSpec("notifications.emails.v1", has_dead_letters=True)
SEPA_FILES = TopicSpec("payments.sepa-files.v1", has_dead_letters=True)
# After the money (guichet_common.contracts.controls): people's decisions on controls, for payments; the controls
# and the recovery orders payments announces, for notifications (their owner) and the back-office.
CONTROL_DECISIONS = TopicSpec("backoffice.control-decisions.v1", has_dead_letters=True)
CONTROLS = TopicSpec("payments.controls.v1", has_dead_letters=True)
RECOVERY_ORDERS = TopicSpec("payments.recovery-orders.v1", has_dead_letters=True)
# Personal data (guichet_common.contracts.privacy): the data keys (intake's for claims, payments' for SEPA batches),
# the erasures every service announces, and the services' parts of a subject-access request.
CLAIM_KEYS = TopicSpec("privacy.claim-keys.v1", compacted=True, has_dead_letters=True, extra_config=KEY_TOPIC_CONFIG)
PRIVACY_ERASED = TopicSpec("privacy.erased.v1", has_dead_letters=True)
ACCESS_RESPONSES = TopicSpec(
    "privacy.access-responses.v1", has_dead_letters=True, retention_ms=ACCESS_RESPONSES_RETENTION_MS
)

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
    REVIEW_DECISIONS,
    *OPERATOR_COMMANDS.values(),
    COMMAND_OUTCOMES,
    SET_ASIDE_ITEMS,
    JUDGEMENTS,
    BUDGETS,
    EMAILS,
    SEPA_FILES,
    CONTROL_DECISIONS,
    CONTROLS,
    RECOVERY_ORDERS,
    CLAIM_KEYS,
    PRIVACY_ERASED,
    ACCESS_RESPONSES,
)


# Portals that speak Kafka directly each get a door of their own (GUICHET_KAFKA_PORTALS): only the portal's principal
# may write it, so intake knows who sent a claim from the topic it came on, and checks the record's `source` by it.
PORTAL_TOPIC_PREFIX = "portals."
PORTAL_CLAIMS_SUFFIX = ".claims.submitted.v1"


def portal_claims_topic(portal: str) -> TopicSpec:
    """`portals.<portal>.claims.submitted.v1`: the claims.submitted.v1 contract, written by that portal alone and
    consumed by intake (its owner: intake writes its dead letters and replays them)."""
    return TopicSpec(
        f"{PORTAL_TOPIC_PREFIX}{portal}{PORTAL_CLAIMS_SUFFIX}",
        has_dead_letters=True,
        retention_ms=PERSONAL_TOPIC_RETENTION_MS,
    )


def portal_of(topic_name: str) -> str | None:
    """The portal whose door `topic_name` (unprefixed; `.dlq`/`.replay` allowed) is, or None for any other topic."""
    base = original_topic(topic_name)
    if base.startswith(PORTAL_TOPIC_PREFIX) and base.endswith(PORTAL_CLAIMS_SUFFIX):
        return base.removeprefix(PORTAL_TOPIC_PREFIX).removesuffix(PORTAL_CLAIMS_SUFFIX) or None
    return None


def topic_names_with_dead_letters(specs: tuple[TopicSpec, ...] = ALL_TOPICS) -> list[TopicSpec]:
    """The given topics plus, for each one consumed from outside input, a plain `<name>.dlq` topic for its dead
    letters and a plain `<name>.replay` topic for the dead letters operators replay."""
    expanded: list[TopicSpec] = []
    for spec in specs:
        expanded.append(spec)
        if spec.has_dead_letters:
            # Dead letters and replays keep what the topic keeps, no longer (a dead letter's payload is the record's).
            expanded += (
                TopicSpec(spec.dead_letter(), retention_ms=spec.retention_ms),
                TopicSpec(spec.replay(), retention_ms=spec.retention_ms),
            )
    return expanded


# Who consumes what: each input topic has exactly one owning service, which writes its dead letters and is the
# one to replay them. The services subscribe to exactly these (a test checks it); the console reads it.
# The back-office comes last: where it reads a topic another service consumes too (claims.status.v1,
# intake.claims-registered.v1), that service stays the owner `owner_of` names, the one that writes and replays its
# dead letters. The back-office projects such a topic; a record it cannot project is set aside in its own database.
CONSUMED_BY: dict[str, tuple[TopicSpec, ...]] = {
    # intake owns privacy.erased.v1: it destroys a claim's keys when notifications announces an erasure is due.
    "intake": (CLAIMS_SUBMITTED, OPERATOR_COMMANDS["intake"], PRIVACY_ERASED),
    "eligibility": (
        REGISTRY_COMPANIES,
        CLAIMS_REGISTERED,
        REVIEW_DECISIONS,
        OPERATOR_COMMANDS["eligibility"],
        PRIVACY_ERASED,
    ),
    # payments owns the key topic: it reads the bank keys (and writes its SEPA batches' keys there too).
    "payments": (
        ELIGIBILITY_DECISIONS,
        PAYMENTS_SETTLEMENTS,
        CLAIMS_BANK_DETAILS,
        OPERATOR_COMMANDS["payments"],
        CONTROL_DECISIONS,
        CLAIM_KEYS,
        PRIVACY_ERASED,
    ),
    "notifications": (
        APPLICANT_CONTACTS,
        CLAIMS_STATUS,
        OPERATOR_COMMANDS["notifications"],
        CLAIM_KEYS,
        CONTROLS,
        RECOVERY_ORDERS,
    ),
    "backoffice": (
        COMMAND_OUTCOMES,
        SET_ASIDE_ITEMS,
        JUDGEMENTS,
        BUDGETS,
        EMAILS,
        SEPA_FILES,
        ACCESS_RESPONSES,
        CLAIMS_STATUS,
        CONTROLS,
        RECOVERY_ORDERS,
        CLAIMS_REGISTERED,
        PAYMENTS_ISSUED,
        CLAIM_KEYS,
        PRIVACY_ERASED,
    ),
    # The HTTP gateway reads the statuses of the claims portals posted to it (notifications stays their owner).
    "gateway": (CLAIMS_STATUS, OPERATOR_COMMANDS["gateway"], PRIVACY_ERASED),
}


# What each service writes (through its outbox), besides the dead letters of what it consumes. The AsyncAPI test
# checks the services declare exactly these; the Kafka ACLs (guichet_common.access) are built from both maps.
PRODUCED_BY: dict[str, tuple[TopicSpec, ...]] = {
    "intake": (
        CLAIMS_STATUS,
        CLAIMS_REGISTERED,
        APPLICANT_CONTACTS,
        COMMAND_OUTCOMES,
        SET_ASIDE_ITEMS,
        CLAIM_KEYS,
        PRIVACY_ERASED,
        ACCESS_RESPONSES,
    ),
    "eligibility": (
        CLAIMS_STATUS,
        ELIGIBILITY_DECISIONS,
        JUDGEMENTS,
        COMMAND_OUTCOMES,
        SET_ASIDE_ITEMS,
        PRIVACY_ERASED,
        ACCESS_RESPONSES,
    ),
    # payments also writes settlements: its bank-file adapter turns the bank's files into finance's reports.
    "payments": (
        CLAIMS_STATUS,
        PAYMENTS_ISSUED,
        PAYMENTS_SETTLEMENTS,
        BUDGETS,
        SEPA_FILES,
        CONTROLS,
        RECOVERY_ORDERS,
        COMMAND_OUTCOMES,
        SET_ASIDE_ITEMS,
        CLAIM_KEYS,
        PRIVACY_ERASED,
        ACCESS_RESPONSES,
    ),
    "notifications": (EMAILS, COMMAND_OUTCOMES, SET_ASIDE_ITEMS, PRIVACY_ERASED, ACCESS_RESPONSES),
    "backoffice": (REVIEW_DECISIONS, CONTROL_DECISIONS, *OPERATOR_COMMANDS.values(), PRIVACY_ERASED),
    # The gateway publishes what portals post over HTTP on the same contract topics Kafka portals write.
    "gateway": (
        CLAIMS_SUBMITTED,
        CLAIMS_BANK_DETAILS,
        COMMAND_OUTCOMES,
        SET_ASIDE_ITEMS,
        PRIVACY_ERASED,
        ACCESS_RESPONSES,
    ),
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
    if portal_of(base) is not None:
        return "intake"
    for service, specs in CONSUMED_BY.items():
        if any(spec.name == base for spec in specs):
            return service
    raise KeyError(f"no service consumes {base}")
