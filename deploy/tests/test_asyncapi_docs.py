"""The AsyncAPI documents under docs/asyncapi are generated from the code; these tests fail when they are stale
or when a subscription leaves its payload undocumented."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import structlog

from guichet_common.access import DEAD_LETTER_READERS
from guichet_common.topics import ALL_TOPICS, CONSUMED_BY, PRODUCED_BY, TopicSpec, owner_of
from guichet_deploy.asyncapi import SERVICES, main, service_document

DOCS = Path(__file__).resolve().parents[2] / "docs" / "asyncapi"


@pytest.fixture(autouse=True)
def restore_logging():
    """Building an app configures the process's logging; later tests must not log into this test's streams."""
    yield
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()


def test_committed_documents_match_the_code(capsys) -> None:
    assert main(["--check", "--out", str(DOCS)]) == 0, capsys.readouterr().err


def test_a_stale_document_is_reported(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path)]) == 0
    intake = tmp_path / "intake.json"
    intake.write_text(intake.read_text(encoding="utf-8").replace("claims.submitted.v1", "claims.renamed.v1"))
    assert main(["--check", "--out", str(tmp_path)]) == 1


@pytest.mark.parametrize("service", SERVICES)
def test_every_channel_carries_a_contract_model(service: str) -> None:
    spec = service_document(service)
    messages = spec["components"]["messages"]
    payloads = {name: message["payload"]["$ref"] for name, message in messages.items()}
    assert payloads and "#/components/schemas/EmptyPayload" not in payloads.values(), payloads
    for reference in payloads.values():
        assert reference.rsplit("/", 1)[-1] in spec["components"]["schemas"]


def owned(service: str) -> list[TopicSpec]:
    """The topics whose dead letters `service` writes and replays: those it consumes as their owner."""
    return [topic for topic in CONSUMED_BY[service] if topic.has_dead_letters and owner_of(topic.name) == service]


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_subscribes_to_exactly_the_topics_it_owns(service: str) -> None:
    spec = service_document(service)
    received = {
        spec["channels"][operation["channel"]["$ref"].rsplit("/", 1)[-1]]["address"]
        for operation in spec["operations"].values()
        if operation["action"] == "receive"
    }
    # Each consumed topic, and the replay topic of those it owns, where a replayed dead letter comes back; the
    # back-office also reads every dead-letter topic (its dead-letter page).
    replays = {topic.replay() for topic in owned(service)}
    dead_letters = (
        {t.dead_letter() for t in ALL_TOPICS if t.has_dead_letters} if service in DEAD_LETTER_READERS else set()
    )
    assert received == {topic.name for topic in CONSUMED_BY[service]} | replays | dead_letters


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_publishes_exactly_what_its_acls_allow(service: str) -> None:
    spec = service_document(service)
    sent = {
        spec["channels"][operation["channel"]["$ref"].rsplit("/", 1)[-1]]["address"]
        for operation in spec["operations"].values()
        if operation["action"] == "send"
    }
    dead_letters = {topic.dead_letter() for topic in owned(service)}
    replays = {topic.replay() for topic in owned(service)}
    assert sent == {topic.name for topic in PRODUCED_BY[service]} | dead_letters | replays
