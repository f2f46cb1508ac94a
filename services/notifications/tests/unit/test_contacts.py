"""Applicants' contacts: the first one per claim wins, whatever comes after it, and no inbox row is kept."""

from __future__ import annotations

from guichet_common.contracts import ApplicantContactV1
from guichet_common.contracts.internal import APPLICANT_CONTACTS_TOPIC
from guichet_notifications.domain import Contact
from guichet_notifications.handlers import NotificationsHandlers

from .fakes import FakeNotificationsUnitOfWork, contact_record, dead_letter_reasons, raw_record, subscriptions

CONTACTS = subscriptions()[APPLICANT_CONTACTS_TOPIC]


async def test_the_first_contact_of_a_claim_wins_even_within_one_batch() -> None:
    uow = FakeNotificationsUnitOfWork()
    await CONTACTS.apply(uow, [contact_record("C-1", "first@example.fr"), contact_record("C-1", "second@example.fr")])
    await CONTACTS.apply(uow, [contact_record("C-1", "third@example.fr"), contact_record("C-2", "other@example.fr")])
    assert {claim: c.email for claim, c in uow.contacts.by_claim.items()} == {
        "C-1": "first@example.fr",
        "C-2": "other@example.fr",
    }
    assert uow.commits == 2 and uow.committed == []


async def test_contacts_are_idempotent_by_claim_so_they_keep_no_inbox_rows() -> None:
    uow = FakeNotificationsUnitOfWork()
    record = contact_record("C-1")
    await CONTACTS.apply(uow, [record])
    await CONTACTS.apply(uow, [record])  # redelivered: applied again, to no effect
    assert uow.inbox.applied == set()
    assert list(uow.contacts.by_claim) == ["C-1"]


async def test_a_contact_that_does_not_fit_the_contract_is_dead_lettered_and_the_others_kept() -> None:
    uow = FakeNotificationsUnitOfWork()
    await CONTACTS.apply(uow, [raw_record(APPLICANT_CONTACTS_TOPIC, b'{"claim_id": "C-9"}'), contact_record("C-1")])
    [reason] = dead_letter_reasons(uow)
    assert reason.startswith("schema: ")
    assert list(uow.contacts.by_claim) == ["C-1"]


async def test_apply_contacts_hands_each_contact_to_the_use_case() -> None:
    uow = FakeNotificationsUnitOfWork()
    contact = ApplicantContactV1.model_validate_json(contact_record("C-1").value or b"")
    assert CONTACTS.use_case.__func__ is NotificationsHandlers.apply_contacts  # type: ignore[attr-defined]
    assert await NotificationsHandlers(frozenset()).apply_contacts(uow, [contact]) == []
    assert uow.contacts.by_claim == {
        "C-1": Contact("C-1", "p", "claire@example.fr", "Claire Martin", iban_last4="2957")
    }
