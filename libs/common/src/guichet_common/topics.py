"""Every Kafka topic the system touches, with how it must be created.

Topics are created explicitly at start-up (never by broker auto-creation) so that partition counts and
compaction are decided here, on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TopicSpec:
    name: str
    compacted: bool = False
    has_dead_letters: bool = False

    def dead_letter(self) -> str:
        return f"{self.name}.dlq"


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
    """The given topics plus one plain `<name>.dlq` topic for each that is consumed from outside input."""
    expanded: list[TopicSpec] = []
    for spec in specs:
        expanded.append(spec)
        if spec.has_dead_letters:
            expanded.append(TopicSpec(spec.dead_letter()))
    return expanded
