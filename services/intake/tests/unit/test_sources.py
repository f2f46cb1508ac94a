"""Whose claim a status is: every status and registered claim carries the submission's `source`, and a Kafka portal's
name is accepted only through that portal's own topic (issue 17)."""

from __future__ import annotations

import itertools
import json
import uuid
from functools import partial
from typing import Any

from guichet_common.pipeline import Subscription
from guichet_common.records import InboundRecord
from guichet_intake.app import create_app
from guichet_intake.handlers import IntakeHandlers, decode_submission
from guichet_intake.service import IntakeService
from guichet_intake.settings import IntakeSettings

from .fakes import FakeIntakeUnitOfWork
from .test_claims_submitted import CLAIM_ID, PREFIX, SUBMITTED, event, malformed, outbox, record

PORTALS = frozenset({"alpha", "beta"})
HANDLERS = IntakeHandlers(
    IntakeService(frozenset({"cheque-france-num-2021"}), topic_prefix=PREFIX, kafka_portals=PORTALS)
)
SHARED: Subscription[Any, Any] = Subscription(HANDLERS.on_claims_submitted, decode_submission)
BETA: Subscription[Any, Any] = Subscription(HANDLERS.on_claims_submitted, partial(decode_submission, door="beta"))
BETA_TOPIC = PREFIX + "portals.beta.claims.submitted.v1"
ALPHA: Subscription[Any, Any] = Subscription(HANDLERS.on_claims_submitted, partial(decode_submission, door="alpha"))
OFFSETS = itertools.count(10_000)


def on_beta(value: dict[str, Any]) -> InboundRecord:
    return InboundRecord(BETA_TOPIC, 0, next(OFFSETS), b"642515712", json.dumps(value).encode())


def on_alpha(value: dict[str, Any]) -> InboundRecord:
    topic = PREFIX + "portals.alpha.claims.submitted.v1"
    return InboundRecord(topic, 0, next(OFFSETS), b"642515712", json.dumps(value).encode())


def statuses(uow: FakeIntakeUnitOfWork) -> list[tuple[str, list[str], str | None]]:
    return [(s["status"], s["reasons"], s.get("source")) for s in outbox(uow, "claims.status.v1")]


async def test_a_registered_claim_s_status_and_registration_carry_its_source() -> None:
    uow = FakeIntakeUnitOfWork()
    await SHARED.apply(uow, [record(event())])
    assert statuses(uow) == [("received", [], "portal:cheque.francenum.gouv.fr")]
    [registered] = outbox(uow, "intake.claims-registered.v1")
    assert registered["source"] == "portal:cheque.francenum.gouv.fr"


async def test_a_refused_claim_s_statuses_carry_its_source_even_when_schema_invalid() -> None:
    uow = FakeIntakeUnitOfWork()
    await SHARED.apply(uow, [record(event(programme="unknown-programme"))])
    await SHARED.apply(uow, [record(malformed(claim_id="CFN-2021-0000999"))])
    assert {source for *_, source in statuses(uow)} == {"portal:cheque.francenum.gouv.fr"}
    assert [reasons for status, reasons, _ in statuses(uow) if status == "refused"] == [
        ["UNKNOWN_PROGRAMME"],
        ["SCHEMA_INVALID"],
    ]


async def test_a_claim_on_a_portal_s_topic_with_that_portal_as_source_is_registered() -> None:
    uow = FakeIntakeUnitOfWork()
    submitted = event()
    submitted["source"] = "beta"
    await BETA.apply(uow, [on_beta(submitted)])
    assert statuses(uow) == [("received", [], "beta")]
    assert CLAIM_ID in uow.claims.registered


async def test_a_claim_on_beta_s_topic_naming_alpha_is_refused_as_beta_s_and_takes_nothing() -> None:
    uow = FakeIntakeUnitOfWork()
    impostor = event()
    impostor["source"] = "alpha"
    await BETA.apply(uow, [on_beta(impostor)])
    assert statuses(uow) == [("received", [], "beta"), ("refused", ["SOURCE_MISMATCH"], "beta")]
    assert outbox(uow, "intake.applicant-contacts.v1") == []  # alpha's applicant is not written to
    assert outbox(uow, "intake.claims-registered.v1") == []
    [refusal] = uow.claims.refusals
    assert refusal.codes == ["SOURCE_MISMATCH"]


async def test_an_impostor_s_refusal_can_never_be_mailed_to_the_claim_id_s_next_submitter() -> None:
    """The `refused` it announced is owed an e-mail under its claim_id, sent once a contact is known: so the
    claim_id stays the impostor's (its first submission), and alpha's own submission of it, even with the very same
    content, is a conflict that passes no contact either (notifications mails nobody about that claim_id)."""
    uow = FakeIntakeUnitOfWork()
    impostor = event()
    impostor["source"] = "alpha"
    await BETA.apply(uow, [on_beta(impostor)])
    genuine = {**impostor, "event_id": str(uuid.uuid4()), "source": "alpha"}
    await ALPHA.apply(uow, [on_alpha(genuine)])
    assert statuses(uow)[2:] == [("received", [], "alpha"), ("refused", ["CLAIM_ID_CONFLICT"], "alpha")]
    assert outbox(uow, "intake.applicant-contacts.v1") == []
    assert uow.claims.registered == {}


async def test_a_claim_on_the_shared_topic_naming_a_kafka_portal_is_refused_without_a_source() -> None:
    uow = FakeIntakeUnitOfWork()
    impostor = event()
    impostor["source"] = "alpha"
    await SHARED.apply(uow, [record(impostor)])
    assert statuses(uow) == [("received", [], None), ("refused", ["SOURCE_MISMATCH"], None)]
    assert uow.claims.registered == {}


async def test_a_schema_invalid_claim_on_a_portal_s_topic_naming_another_is_refused_source_mismatch() -> None:
    uow = FakeIntakeUnitOfWork()
    impostor = malformed()
    impostor["source"] = {"not": "a name"}
    await BETA.apply(uow, [on_beta(impostor)])
    assert statuses(uow)[-1] == ("refused", ["SOURCE_MISMATCH"], "beta")


async def test_an_impostor_under_a_registered_claim_id_is_dead_lettered_never_announced() -> None:
    uow = FakeIntakeUnitOfWork()
    await SHARED.apply(uow, [record(event())])
    impostor = event()
    impostor["source"] = "alpha"
    await BETA.apply(uow, [on_beta(impostor)])
    assert statuses(uow) == [("received", [], "portal:cheque.francenum.gouv.fr")]
    reasons = [dict(m.headers)["dlq.reason"].decode() for m in uow.committed if m.topic == BETA_TOPIC + ".dlq"]
    assert [r.split(" ")[0] for r in reasons] == ["SOURCE_MISMATCH"]
    assert [m for m in uow.committed if m.topic == SUBMITTED + ".dlq"] == []


def test_intake_subscribes_each_configured_portal_s_door_with_the_same_handler() -> None:
    settings = IntakeSettings(GUICHET_TOPIC_PREFIX="p.", GUICHET_KAFKA_PORTALS="alpha,beta")
    use_cases = create_app(settings).wiring.use_cases
    assert set(use_cases) == {
        "p.claims.submitted.v1",
        "p.portals.alpha.claims.submitted.v1",
        "p.portals.beta.claims.submitted.v1",
        "p.backoffice.intake-commands.v1",
        "p.privacy.erased.v1",
    }
    assert use_cases["p.portals.beta.claims.submitted.v1"] == use_cases["p.claims.submitted.v1"]
