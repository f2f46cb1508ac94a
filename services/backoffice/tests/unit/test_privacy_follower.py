"""Personal data in the read model (issue 18): sealed fields opened with the back-office's key copies, erased when
intake announces an erasure (once, announced once), and the services' answers to a subject-access request kept."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from guichet_common.contracts.backoffice import EmailV1
from guichet_common.contracts.privacy import AccessResponseV1, HeldRecordV1
from guichet_common.privacy.requests import erasure_announcement
from guichet_common.privacy.sealing import KeyNotYetKnown
from guichet_common.records import InboundRecord

from .events import CLAIM, KEY_STATES, NOW, issued, record, registered, sealed
from .fakes import FakeBackofficeUnitOfWork, subscriptions

SUBSCRIPTIONS = subscriptions()
ERASED_AT = dt.datetime(2023, 5, 4, 12, tzinfo=dt.UTC)


async def project(uow: FakeBackofficeUnitOfWork, topic: str, *events: object) -> None:
    records = [e if isinstance(e, InboundRecord) else record(topic, e) for e in events]  # type: ignore[arg-type]
    await SUBSCRIPTIONS[topic].apply(uow, records)


def erased(claim_id: str, kind: str, service: str = "intake", request_id: uuid.UUID | None = None) -> InboundRecord:
    message = erasure_announcement(
        "", service, claim_id=claim_id, programme="p", kind=kind, erased_at=ERASED_AT, request_id=request_id,
        requested_by="dpo" if request_id else None, legal_reason="art. 17" if request_id else None,
    )  # fmt: skip
    return record("privacy.erased.v1", message.value)


def sealed_email(claim_id: str, recipient: str) -> EmailV1:
    return EmailV1(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        claim_id=claim_id,
        programme="p",
        status="approved",
        subject="Votre demande",
        recipient=sealed(claim_id, "contact", {"r": recipient})["r"] or "",
        outcome="sent",
    )


def announced(uow: FakeBackofficeUnitOfWork) -> list[dict[str, object]]:
    return [json.loads(m.value) for m in uow.committed if m.topic == "privacy.erased.v1"]


def new_claim() -> str:
    return f"C-{uuid.uuid4().hex[:12]}"


async def test_a_registered_claims_sealed_contact_and_iban_are_opened_with_the_key_copies() -> None:
    uow, claim_id = FakeBackofficeUnitOfWork(), new_claim()
    await project(uow, "intake.claims-registered.v1", registered(claim_id))
    row = uow.claims.rows[claim_id]
    assert row.contact == CLAIM.contact.model_dump(mode="json")
    assert row.iban_last4 == CLAIM.bank_account.iban[-4:]


async def test_a_sealed_field_whose_key_has_not_arrived_holds_the_batch_until_it_does() -> None:
    uow, claim_id = FakeBackofficeUnitOfWork(), new_claim()
    event = registered(claim_id)
    del KEY_STATES[(claim_id, "contact")]
    with pytest.raises(KeyNotYetKnown):
        await project(uow, "intake.claims-registered.v1", event)


async def test_intakes_erasure_empties_the_copies_of_that_kind_destroys_the_key_and_is_announced_once() -> None:
    uow, claim_id = FakeBackofficeUnitOfWork(), new_claim()
    await project(uow, "intake.claims-registered.v1", registered(claim_id))
    await project(uow, "notifications.emails.v1", sealed_email(claim_id, "claire@example.fr"))
    [email] = [e for e in uow.claims.emails.values() if e.claim_id == claim_id]
    assert email.recipient == "claire@example.fr"
    request_id = uuid.uuid4()

    await project(uow, "privacy.erased.v1", erased(claim_id, "contact", request_id=request_id))

    assert uow.claims.rows[claim_id].contact is None
    assert uow.claims.rows[claim_id].iban_last4 == CLAIM.bank_account.iban[-4:]  # the bank kind is not erased yet
    assert [e.recipient for e in uow.claims.emails.values() if e.claim_id == claim_id] == [None]
    assert KEY_STATES[(claim_id, "contact")].wrapped is None
    assert uow.erasures.recorded[(claim_id, "contact")].erased_at == ERASED_AT
    [announcement] = announced(uow)
    assert (announcement["service"], announcement["kind"], announcement["claim_id"]) == (
        "backoffice",
        "contact",
        claim_id,
    )
    assert (announcement["request_id"], announcement["requested_by"]) == (str(request_id), "dpo")

    await project(uow, "privacy.erased.v1", erased(claim_id, "contact"))  # intake's again (a new event id)
    assert len(announced(uow)) == 1


async def test_a_late_e_mail_sealed_under_a_destroyed_key_is_kept_without_its_recipient() -> None:
    uow, claim_id = FakeBackofficeUnitOfWork(), new_claim()
    late = sealed_email(claim_id, "claire@example.fr")
    await project(uow, "privacy.erased.v1", erased(claim_id, "contact"))
    await project(uow, "notifications.emails.v1", late)
    assert [e.recipient for e in uow.claims.emails.values() if e.claim_id == claim_id] == [None]


async def test_a_bank_erasure_empties_the_iban_and_the_beneficiary_of_each_attempt() -> None:
    uow, claim_id = FakeBackofficeUnitOfWork(), new_claim()
    await project(uow, "intake.claims-registered.v1", registered(claim_id))
    await project(uow, "payments.issued.v1", issued(claim_id, f"P-{claim_id}"))
    await project(uow, "privacy.erased.v1", erased(claim_id, "bank"))
    assert uow.claims.rows[claim_id].iban_last4 is None
    attempt = uow.payments.attempts[(f"P-{claim_id}", 1)]
    assert (attempt.beneficiary_name, attempt.iban_last4, attempt.amount_cents) == (None, None, 150_000)
    assert uow.claims.rows[claim_id].contact is not None


async def test_announcements_of_other_services_than_intake_change_nothing() -> None:
    uow, claim_id = FakeBackofficeUnitOfWork(), new_claim()
    await project(uow, "intake.claims-registered.v1", registered(claim_id))
    for service in ("notifications", "payments", "backoffice"):
        await project(uow, "privacy.erased.v1", erased(claim_id, "contact", service=service))
    assert uow.claims.rows[claim_id].contact is not None
    assert announced(uow) == [] and uow.erasures.recorded == {}


async def test_each_services_answer_to_an_access_request_is_kept_once() -> None:
    uow, request_id = FakeBackofficeUnitOfWork(), uuid.uuid4()
    answer = AccessResponseV1(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        request_id=request_id,
        service="intake",
        claim_ids=["C-1"],
        records=[HeldRecordV1(store="table claims", claim_id="C-1", fields={"email": "claire@example.fr"})],
    )
    await project(uow, "privacy.access-responses.v1", answer)
    await project(uow, "privacy.access-responses.v1", answer.model_copy(update={"event_id": uuid.uuid4()}))
    [part] = uow.privacy.responses.values()
    assert (part.service, part.records[0]["fields"]) == ("intake", {"email": "claire@example.fr"})


def test_it_keeps_copies_of_the_keys_as_a_reader_of_their_topic() -> None:
    assert SUBSCRIPTIONS["privacy.claim-keys.v1"].set_aside_kind == "claim_key"
    assert SUBSCRIPTIONS["privacy.erased.v1"].set_aside_kind == "unprojectable_record"
    assert SUBSCRIPTIONS["privacy.access-responses.v1"].set_aside_kind is None  # its owner
