"""The read model's projection on a fake unit of work: each subscription as `register_handlers` declares it, fed
records in any order, twice, or unreadable."""

from __future__ import annotations

import uuid

from guichet_backoffice.domain import UNPROJECTABLE_RECORD
from guichet_backoffice.handlers import (
    apply_budgets,
    apply_dead_letters,
    apply_emails,
    apply_issued,
    apply_judgements,
    apply_outcomes,
    apply_registrations,
    apply_sepa_files,
    apply_set_aside,
    apply_statuses,
)
from guichet_common.contracts.backoffice import CommandOutcomeV1, EmailV1, SetAsideV1
from guichet_common.topics import ALL_TOPICS, CONSUMED_BY

from .events import (
    CLAIM,
    NOW,
    at,
    budget,
    dead_letter_record,
    issued,
    judgement,
    record,
    registered,
    sepa_file,
    status,
)
from .fakes import FakeBackofficeUnitOfWork, subscriptions

SUBSCRIPTIONS = subscriptions()


async def project(uow: FakeBackofficeUnitOfWork, topic: str, *events: object) -> None:
    await SUBSCRIPTIONS[topic].apply(uow, [e if hasattr(e, "offset") else record(topic, e) for e in events])  # type: ignore[arg-type]


def test_it_reads_every_topic_it_consumes_and_every_dead_letter_topic() -> None:
    consumed = {spec.name for spec in CONSUMED_BY["backoffice"]}
    dead_letters = {spec.dead_letter() for spec in ALL_TOPICS if spec.has_dead_letters}
    assert set(SUBSCRIPTIONS) == consumed | dead_letters


def test_it_never_dead_letters_a_topic_it_does_not_own() -> None:
    for topic in ("claims.status.v1", "intake.claims-registered.v1", "payments.issued.v1", "claims.status.v1.dlq"):
        assert SUBSCRIPTIONS[topic].set_aside_kind == UNPROJECTABLE_RECORD
    assert SUBSCRIPTIONS["eligibility.judgements.v1"].set_aside_kind is None


async def test_apply_statuses_a_status_before_the_registration_makes_the_claim_which_the_registration_completes() -> (
    None
):
    assert SUBSCRIPTIONS["claims.status.v1"].use_case is apply_statuses
    assert SUBSCRIPTIONS["intake.claims-registered.v1"].use_case is apply_registrations
    uow = FakeBackofficeUnitOfWork()
    await project(uow, "claims.status.v1", status("CLAIM-001", "under_review", 5, reasons=["INVOICE_REUSED"]))
    row = uow.claims.rows["CLAIM-001"]
    assert (row.status, row.status_reasons, row.received_at, row.registered) == (
        "under_review",
        ("INVOICE_REUSED",),
        at(5),
        False,
    )
    await project(uow, "intake.claims-registered.v1", registered("CLAIM-001"))
    row = uow.claims.rows["CLAIM-001"]
    assert (row.status, row.company_name, row.received_at, row.registered) == (
        "under_review",
        CLAIM.applicant.legal_name,
        CLAIM.submitted_at,
        True,
    )
    assert len(row.invoices) == len(CLAIM.invoices)


async def test_apply_statuses_an_older_status_arriving_late_joins_the_timeline_without_becoming_current() -> None:
    uow = FakeBackofficeUnitOfWork()
    await project(uow, "claims.status.v1", status("CLAIM-001", "approved", 10, amount_cents=150_000))
    await project(uow, "claims.status.v1", status("CLAIM-001", "received", 0))
    assert uow.claims.rows["CLAIM-001"].status == "approved"
    assert uow.claims.rows["CLAIM-001"].amount_cents == 150_000
    assert sorted(s.status for s in uow.claims.timeline.values()) == ["approved", "received"]


async def test_apply_statuses_a_redelivered_status_changes_nothing() -> None:
    uow, event = FakeBackofficeUnitOfWork(), status("CLAIM-001", "approved", 10)
    await project(uow, "claims.status.v1", event, event)
    await project(uow, "claims.status.v1", event)
    assert len(uow.claims.timeline) == 1


async def test_apply_statuses_and_apply_issued_move_the_payment_to_the_latest_state_whatever_the_order() -> None:
    assert SUBSCRIPTIONS["payments.issued.v1"].use_case is apply_issued
    uow = FakeBackofficeUnitOfWork()
    await project(uow, "claims.status.v1", status("CLAIM-001", "paid", 30, payment_id="P-1", amount_cents=150_000))
    await project(uow, "payments.issued.v1", issued("CLAIM-001", "P-1", minutes=20))
    await project(uow, "claims.status.v1", status("CLAIM-001", "payment_scheduled", 10, payment_id="P-1"))
    assert uow.payments.rows["P-1"].state == "settled"
    assert set(uow.payments.attempts) == {("P-1", 1)}
    assert uow.payments.attempts[("P-1", 1)].iban_last4 == "0189"


async def test_apply_statuses_a_claim_rejected_after_its_payment_was_cancelled_releases_the_payment() -> None:
    uow = FakeBackofficeUnitOfWork()
    await project(uow, "claims.status.v1", status("CLAIM-001", "payment_scheduled", 1, payment_id="P-1"))
    await project(
        uow, "claims.status.v1", status("CLAIM-001", "rejected", 2, payment_id="P-1", reasons=["PAYMENT_CANCELLED"])
    )
    assert uow.payments.rows["P-1"].state == "released"


async def test_apply_judgements_the_latest_judgement_is_the_eligibility_status() -> None:
    assert SUBSCRIPTIONS["eligibility.judgements.v1"].use_case is apply_judgements
    uow = FakeBackofficeUnitOfWork()
    reviewed = judgement("CLAIM-001", "approved", 20, decided_by="agent.dupont", grant_amount_cents=150_000)
    await project(
        uow, "eligibility.judgements.v1", reviewed, judgement("CLAIM-001", "under_review", 10, ("IBAN_SHARED",))
    )
    assert uow.claims.rows["CLAIM-001"].eligibility_status == "approved"
    assert uow.claims.rows["CLAIM-001"].amount_cents == 150_000
    assert len(uow.claims.judgements) == 2


async def test_apply_budgets_keeps_the_latest_envelope_of_each_programme() -> None:
    assert SUBSCRIPTIONS["payments.budgets.v1"].use_case is apply_budgets
    uow = FakeBackofficeUnitOfWork()
    await project(uow, "payments.budgets.v1", budget("p", 300, 3), budget("p", 100, 1), budget("q", 5, 0))
    await project(uow, "payments.budgets.v1", budget("p", 200, 2))
    assert {p: b.reserved_cents for p, b in uow.payments.budgets.items()} == {"p": 300, "q": 5}


async def test_apply_sepa_files_keeps_a_file_and_dead_letters_one_whose_content_is_not_the_file() -> None:
    assert SUBSCRIPTIONS["payments.sepa-files.v1"].use_case is apply_sepa_files
    uow = FakeBackofficeUnitOfWork()
    await project(uow, "payments.sepa-files.v1", sepa_file("B-1"), sepa_file("B-2", corrupt=True))
    assert set(uow.payments.files) == {"B-1"}
    [dead] = [m for m in uow.committed if m.topic == "payments.sepa-files.v1.dlq"]
    assert b"B-2" in dead.value


async def test_apply_emails_apply_set_aside_and_apply_outcomes_record_each_fact_once() -> None:
    uow = FakeBackofficeUnitOfWork()
    email = EmailV1(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        claim_id="CLAIM-001",
        programme="p",
        status="rejected",
        subject="Votre demande",
        recipient="claire@example.fr",
        outcome="sent",
    )
    held = SetAsideV1(
        event_id=uuid.uuid4(),
        occurred_at=at(1),
        service="payments",
        kind="payment_attempt",
        item_id="P-1:1",
        state="held",
    )
    released = held.model_copy(update={"event_id": uuid.uuid4(), "occurred_at": at(2), "state": "released"})
    outcome = CommandOutcomeV1(
        event_id=uuid.uuid4(), occurred_at=NOW, command_id=uuid.uuid4(), service="payments", outcome="applied"
    )
    assert SUBSCRIPTIONS["notifications.emails.v1"].use_case is apply_emails
    assert SUBSCRIPTIONS["operations.set-aside.v1"].use_case is apply_set_aside
    assert SUBSCRIPTIONS["operations.command-outcomes.v1"].use_case is apply_outcomes
    await project(uow, "notifications.emails.v1", email, email)
    await project(uow, "operations.set-aside.v1", released, held)
    await project(uow, "operations.command-outcomes.v1", outcome)
    assert len(uow.claims.emails) == 1
    assert uow.operations.set_aside[("payments", "payment_attempt", "P-1:1")].state == "released"
    assert list(uow.operations.outcomes) == [outcome.command_id]


async def test_apply_dead_letters_keeps_coordinates_origin_reason_and_raw_value_once() -> None:
    topic = "claims.submitted.v1.dlq"
    assert SUBSCRIPTIONS[topic].use_case is apply_dead_letters
    uow = FakeBackofficeUnitOfWork()
    letter = dead_letter_record("claims.submitted.v1", b'{"iban": "FR76..."', "value is not JSON", offset=7)
    await project(uow, topic, letter, letter)
    [projected] = uow.operations.dead_letters.values()
    assert projected.id == "claims.submitted.v1.dlq:1:7"
    assert (projected.owner, projected.original_topic, projected.original_partition, projected.original_offset) == (
        "intake",
        "claims.submitted.v1",
        2,
        41,
    )
    assert (projected.reason, projected.attempts, projected.value) == ("value is not JSON", 1, b'{"iban": "FR76..."')


async def test_a_record_of_another_services_topic_that_cannot_be_projected_is_set_aside_not_dead_lettered() -> None:
    uow = FakeBackofficeUnitOfWork()
    await project(uow, "claims.status.v1", record("claims.status.v1", b'{"status": "nonsense"}', offset=3))
    await project(uow, "intake.claims-registered.v1", record("intake.claims-registered.v1", b"\xff", offset=4))
    assert not [m for m in uow.committed if m.topic.endswith(".dlq")]
    assert set(uow.held) == {
        (UNPROJECTABLE_RECORD, "claims.status.v1/0/3"),
        (UNPROJECTABLE_RECORD, "intake.claims-registered.v1/0/4"),
    }


async def test_a_prefixed_deployment_names_each_dead_letters_owner_by_the_unprefixed_topic() -> None:
    prefixed = subscriptions("demo.")
    uow = FakeBackofficeUnitOfWork()
    letter = dead_letter_record("demo.payments.settlements.v1", b"{}", "schema: status")
    await prefixed["demo.payments.settlements.v1.dlq"].apply(uow, [letter])
    [projected] = uow.operations.dead_letters.values()
    assert (projected.owner, projected.id) == ("payments", f"demo.payments.settlements.v1.dlq:1:{letter.offset}")
