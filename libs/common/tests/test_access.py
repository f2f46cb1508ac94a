"""The Kafka grants derived from the topic maps: dead letters and replays belong to a topic's owner alone, and the
back-office reads what it projects and every dead-letter topic but writes only its commands (issue 15)."""

from __future__ import annotations

import pytest

from guichet_common.access import (
    PRINCIPALS,
    SERVICES,
    Grant,
    grants_for,
    portal_principal_name,
    principal,
    principals,
)
from guichet_common.topics import ALL_TOPICS, CONSUMED_BY, PRODUCED_BY, owner_of, portal_claims_topic, portal_of

WITH_DEAD_LETTERS = [spec for spec in ALL_TOPICS if spec.has_dead_letters]


def topics_with(service: str, operation: str) -> set[str]:
    return {g.name for g in grants_for(service) if g.resource == "topic" and operation in g.operations}


def owned_by_the_backoffice() -> list:
    """Topics only the back-office consumes (outcomes, facts): it dead-letters and replays those itself."""
    return [
        spec for spec in WITH_DEAD_LETTERS if spec in CONSUMED_BY["backoffice"] and owner_of(spec.name) == "backoffice"
    ]


@pytest.mark.parametrize("spec", WITH_DEAD_LETTERS, ids=lambda spec: spec.name)
def test_only_the_owner_writes_a_topics_dead_letters_and_replays(spec) -> None:
    owner = owner_of(spec.name)
    assert [s for s in SERVICES if spec.dead_letter() in topics_with(s, "Write")] == [owner]
    assert [s for s in SERVICES if spec.replay() in topics_with(s, "Write")] == [owner]
    assert [s for s in SERVICES if spec.replay() in topics_with(s, "Read")] == [owner]


def test_a_reader_that_does_not_own_a_topic_gets_no_dead_letter_or_replay_right_on_it() -> None:
    for topic in ("claims.status.v1", "intake.claims-registered.v1"):
        assert topic in topics_with("backoffice", "Read") and owner_of(topic) != "backoffice"
        assert topic + ".dlq" not in topics_with("backoffice", "Write")
        assert topic + ".replay" not in topics_with("backoffice", "Read") | topics_with("backoffice", "Write")


def test_the_backoffice_reads_what_it_projects_and_every_dead_letter_topic() -> None:
    projected = {spec.name for spec in CONSUMED_BY["backoffice"]}
    own_replays = {spec.replay() for spec in owned_by_the_backoffice()}
    every_dead_letter = {spec.dead_letter() for spec in WITH_DEAD_LETTERS}
    assert topics_with("backoffice", "Read") == projected | every_dead_letter | own_replays
    assert "claims.submitted.v1" not in topics_with("backoffice", "Read")


def test_the_backoffice_writes_its_commands_and_its_own_dead_letters_only() -> None:
    commands = {spec.name for spec in PRODUCED_BY["backoffice"]}
    assert commands == {"backoffice.review-decisions.v1", "backoffice.control-decisions.v1", "privacy.erased.v1"} | {
        f"backoffice.{service}-commands.v1"
        for service in ("intake", "eligibility", "payments", "notifications", "gateway")
    }
    owned = owned_by_the_backoffice()
    assert topics_with("backoffice", "Write") == commands | {
        name for spec in owned for name in (spec.dead_letter(), spec.replay())
    }
    assert "claims.status.v1" not in topics_with("backoffice", "Write")


@pytest.mark.parametrize("service", SERVICES)
def test_one_grant_per_topic_and_the_services_own_group_prefix(service: str) -> None:
    grants = grants_for(service, "p.")
    names = [g.name for g in grants if g.resource == "topic"]
    assert len(names) == len(set(names)) and all(name.startswith("p.") for name in names)
    [group] = [g for g in grants if g.resource == "group"]
    assert (group.name, group.pattern) == (f"guichet-{service}.p.", "prefix")
    assert all("Describe" in g.operations for g in grants)


def test_finance_may_write_settlements_and_nothing_else() -> None:
    """Issue 16: finance's own system sends settlement reports; it reads nothing and joins no group."""
    only_settlements = Grant("topic", "p.payments.settlements.v1", "literal", ("Describe", "Write"))
    assert grants_for("finance", "p.") == [only_settlements]
    assert principal("finance") == "guichet-finance"
    assert "finance" in PRINCIPALS and "finance" not in SERVICES


def test_payments_writes_the_settlements_its_bank_files_produce() -> None:
    assert "payments.settlements.v1" in topics_with("payments", "Write") & topics_with("payments", "Read")


def test_a_kafka_portal_writes_its_own_door_and_reads_the_statuses_in_groups_of_its_own() -> None:
    """Issue 17: a portal on Kafka publishes claims only through its own topic, whose writer intake trusts."""
    assert grants_for("portal-beta", "p.") == [
        Grant("group", "guichet-portal-beta.p.", "prefix", ("Describe", "Read")),
        Grant("topic", "p.claims.status.v1", "literal", ("Describe", "Read")),
        Grant("topic", "p.portals.beta.claims.submitted.v1", "literal", ("Describe", "Write")),
    ]
    assert principal(portal_principal_name("beta")) == "guichet-portal-beta"
    assert principals(("alpha", "beta"))[-2:] == ("portal-alpha", "portal-beta")
    assert principals() == PRINCIPALS


def test_intake_reads_each_portal_s_door_and_owns_its_dead_letters_and_replays() -> None:
    door = portal_claims_topic("beta")
    assert door.name == "portals.beta.claims.submitted.v1" and owner_of(door.replay()) == "intake"
    grants = {g.name: g.operations for g in grants_for("intake", "", kafka_portals=("alpha", "beta"))}
    assert grants[door.name] == ("Describe", "Read")
    assert grants[door.dead_letter()] == ("Describe", "Write")
    assert grants[door.replay()] == ("Describe", "Read", "Write")
    assert door.name not in topics_with("intake", "Read")  # no portal configured: no right on any door
    others = {g.name for g in grants_for("eligibility", "", kafka_portals=("beta",))}
    assert not any(name.startswith("portals.") for name in others)


def test_a_topic_names_its_portal_only_when_it_is_a_portal_s_door() -> None:
    assert portal_of("portals.a-1.claims.submitted.v1.dlq") == "a-1"
    assert portal_of("claims.submitted.v1") is None and portal_of("portals.x.claims.status.v1") is None
