"""The retention clock on the fake unit of work, with a fixed clock: sealed contacts opened with the key copies,
statuses followed, data erased at its deadline (once), keys destroyed, erasures announced; and what a late status
or contact does to an erased claim (no e-mail, counted 'unaddressed'; nothing stored again)."""

from __future__ import annotations

import base64
import datetime as dt
import uuid

import pytest

from guichet_common.contracts.internal import APPLICANT_CONTACTS_TOPIC
from guichet_common.contracts.privacy import CLAIM_KEYS_TOPIC, ClaimKeysV1, PrivacyErasedV1
from guichet_common.contracts.status import TOPIC as CLAIMS_STATUS
from guichet_common.privacy.keyring import Opener, Sealer
from guichet_common.privacy.sealing import DATA_KINDS, KeyNotYetKnown
from guichet_common.records import InboundRecord
from guichet_notifications import erasure
from guichet_notifications.domain import Contact

from .fakes import MASTER, NOW, FakeNotificationsUnitOfWork, claim_keys, sealed_contact_record, status_record
from .fakes import subscriptions as subscriptions_of

PREFIX = "t."
SUBSCRIPTIONS: dict = {}


@pytest.fixture(autouse=True)
def fresh_subscriptions() -> None:
    """Each test its own process, so to speak: the opener's cache of keys is per process, and the tests reuse C-1."""
    SUBSCRIPTIONS.clear()
    SUBSCRIPTIONS.update(subscriptions_of("rejected,refused,payment_sent"))


def days(n: float) -> dt.timedelta:
    return dt.timedelta(days=n)


def announced(uow: FakeNotificationsUnitOfWork) -> list[PrivacyErasedV1]:
    return [
        PrivacyErasedV1.model_validate_json(m.value) for m in uow.committed if m.topic.endswith("privacy.erased.v1")
    ]


async def sweep(uow: FakeNotificationsUnitOfWork, now: dt.datetime, opener: Opener | None = None) -> int:
    done = await erasure.expire_personal_data(uow, now, opener, PREFIX)
    await uow.commit()
    return done


def handlers_opener() -> Opener:
    """The process's opener, the one register_handlers gives the contacts' handler and the retention job."""
    opener = SUBSCRIPTIONS[APPLICANT_CONTACTS_TOPIC].use_case.__self__.opener  # type: ignore[attr-defined]
    assert isinstance(opener, Opener)
    return opener


async def claim(uow: FakeNotificationsUnitOfWork, claim_id: str, *statuses: tuple[str, dt.datetime]) -> bytes:
    """A claim as notifications learns it: its keys, its sealed contact, then its statuses in order. Returns its
    contact data key."""
    data_key = (await claim_keys(uow, claim_id))[claim_id]
    await SUBSCRIPTIONS[APPLICANT_CONTACTS_TOPIC].apply(uow, [sealed_contact_record(claim_id, data_key)])
    await follow(uow, claim_id, *statuses)
    return data_key


async def follow(uow: FakeNotificationsUnitOfWork, claim_id: str, *statuses: tuple[str, dt.datetime]) -> None:
    for status, at in statuses:
        record = status_record(claim_id, status, amount_cents=50_000 if status == "payment_sent" else None)
        value = record.value.replace(NOW.isoformat().replace("+00:00", "Z").encode(), at.isoformat().encode())
        await SUBSCRIPTIONS[CLAIMS_STATUS].apply(uow, [InboundRecord(CLAIMS_STATUS, 0, 0, record.key, value)])


async def test_a_sealed_contact_is_opened_with_the_key_copy_and_kept_open() -> None:
    uow = FakeNotificationsUnitOfWork()
    await claim(uow, "C-1")
    assert uow.contacts.by_claim["C-1"] == Contact("C-1", "p", "claire@example.fr", "Claire Martin", "2957")


async def test_a_contact_whose_key_has_not_arrived_makes_the_batch_wait() -> None:
    uow, data_key = FakeNotificationsUnitOfWork(), Sealer(MASTER).new_keys("C-1", ["contact"])["contact"][0]
    with pytest.raises(KeyNotYetKnown):
        await SUBSCRIPTIONS[APPLICANT_CONTACTS_TOPIC].apply(uow, [sealed_contact_record("C-1", data_key)])
    assert uow.contacts.by_claim == {} and uow.commits == 0


async def test_the_key_copies_are_kept_from_the_key_topic() -> None:
    uow = FakeNotificationsUnitOfWork()
    made = Sealer(MASTER).new_keys("C-1", DATA_KINDS)
    keys = {kind: base64.b64encode(wrapped).decode() for kind, (_, wrapped) in made.items()}
    event = ClaimKeysV1(subject="C-1", owner="intake", keys=keys, occurred_at=NOW)  # type: ignore[arg-type]
    keep = SUBSCRIPTIONS[CLAIM_KEYS_TOPIC]
    await keep.apply(uow, [InboundRecord(CLAIM_KEYS_TOPIC, 0, 0, b"C-1", event.model_dump_json().encode())])
    assert uow.keys.keys[("C-1", "contact")].wrapped == made["contact"][1]


async def test_contact_data_goes_at_the_final_status_plus_its_months_and_bank_data_after_the_payment() -> None:
    uow, opener = FakeNotificationsUnitOfWork(), handlers_opener()
    paid_at = dt.datetime(2021, 4, 30, 9, tzinfo=dt.UTC)
    await claim(uow, "C-1", ("received", NOW), ("approved", NOW), ("payment_sent", NOW), ("paid", paid_at))
    assert await sweep(uow, paid_at + days(365)) == 0  # 12 months: nothing yet
    bank_due = dt.datetime(2022, 5, 30, 9, tzinfo=dt.UTC)  # paid + 13 months
    assert await sweep(uow, bank_due - dt.timedelta(seconds=1)) == 0
    assert await sweep(uow, bank_due, opener) == 1
    assert uow.contacts.by_claim["C-1"].iban_last4 is None and uow.contacts.by_claim["C-1"].email is not None
    assert uow.keys.keys[("C-1", "bank")].wrapped is None and uow.keys.keys[("C-1", "contact")].wrapped is not None
    [bank] = announced(uow)
    assert (bank.claim_id, bank.kind, bank.service, bank.reason, bank.erased_at) == (
        "C-1",
        "bank",
        "notifications",
        "retention",
        bank_due,
    )
    contact_due = dt.datetime(2023, 4, 30, 9, tzinfo=dt.UTC)  # paid + 24 months
    assert await sweep(uow, contact_due) == 1
    assert uow.contacts.by_claim["C-1"] == Contact("C-1", "p", None, None, None)  # type: ignore[arg-type]
    assert [(e.kind, e.reason) for e in announced(uow)] == [("bank", "retention"), ("contact", "retention")]
    assert set(uow.erasures.recorded) == {("C-1", "bank"), ("C-1", "contact")}
    assert await sweep(uow, contact_due + days(400)) == 0 and len(announced(uow)) == 2  # once each, ever


async def test_an_unpaid_claim_counts_both_periods_from_its_final_status() -> None:
    uow = FakeNotificationsUnitOfWork()
    await claim(uow, "C-1", ("received", NOW), ("rejected", NOW))
    assert await sweep(uow, dt.datetime(2022, 4, 2, 10, tzinfo=dt.UTC)) == 1  # + 13 months: bank
    assert await sweep(uow, dt.datetime(2023, 3, 2, 10, tzinfo=dt.UTC)) == 1  # + 24 months: contact
    assert [e.kind for e in announced(uow)] == ["bank", "contact"]


async def test_a_claim_under_control_keeps_its_data_past_the_deadline_until_the_control_closes() -> None:
    uow = FakeNotificationsUnitOfWork()
    await claim(uow, "C-1", ("paid", NOW), ("under_control", NOW + days(300)))
    assert await sweep(uow, NOW + days(2000)) == 0
    await follow(uow, "C-1", ("control_closed", NOW + days(900)))
    assert await sweep(uow, NOW + days(2000)) == 2


async def test_a_claim_that_never_reaches_a_final_status_is_never_swept() -> None:
    uow = FakeNotificationsUnitOfWork()
    await claim(uow, "C-1", ("received", NOW), ("under_review", NOW))
    assert await sweep(uow, NOW + days(5000)) == 0 and uow.contacts.by_claim["C-1"].email == "claire@example.fr"


async def test_a_status_for_an_erased_claim_owes_no_email_it_is_counted_unaddressed() -> None:
    uow = FakeNotificationsUnitOfWork()
    await claim(uow, "C-1", ("payment_sent", NOW), ("paid", NOW))
    await sweep(uow, NOW + days(800))
    await follow(uow, "C-1", ("payment_returned", NOW + days(801)))  # e.g. a late bank return
    assert uow.emails.states() == {"C-1": "unaddressed"}
    taken = await uow.emails.take_ready(10)
    assert taken == []  # nothing to send, and nobody to send it to


async def test_a_contact_replayed_after_its_erasure_is_not_kept_again() -> None:
    uow = FakeNotificationsUnitOfWork()
    data_key = await claim(uow, "C-1", ("rejected", NOW))
    await sweep(uow, NOW + days(800), handlers_opener())
    del uow.contacts.by_claim["C-1"]  # even without the erased row, the key is destroyed: it opens to nothing
    await SUBSCRIPTIONS[APPLICANT_CONTACTS_TOPIC].apply(uow, [sealed_contact_record("C-1", data_key)])
    assert "C-1" not in uow.contacts.by_claim
    uow.erasures.recorded.clear()  # and the destroyed key alone is enough
    await SUBSCRIPTIONS[APPLICANT_CONTACTS_TOPIC].apply(uow, [sealed_contact_record("C-1", data_key)])
    assert "C-1" not in uow.contacts.by_claim


async def test_pending_emails_of_an_erased_contact_are_never_sent() -> None:
    uow = FakeNotificationsUnitOfWork()
    await claim(uow, "C-1", ("rejected", NOW))
    assert uow.emails.states() == {"C-1": "pending"}
    await sweep(uow, NOW + days(800))
    assert uow.emails.states() == {"C-1": "unaddressed"}


async def test_a_rectified_contact_replaces_the_one_kept_but_never_brings_an_erased_one_back() -> None:
    uow = FakeNotificationsUnitOfWork()
    data_key = await claim(uow, "C-1", ("rejected", NOW))
    contacts = SUBSCRIPTIONS[APPLICANT_CONTACTS_TOPIC]
    await contacts.apply(uow, [sealed_contact_record("C-1", data_key, "other@example.fr")])
    assert uow.contacts.by_claim["C-1"].email == "claire@example.fr"  # not a rectification: the first one wins
    rectified = sealed_contact_record("C-1", data_key, "claire.martin@example.fr", rectification_id=uuid.uuid4())
    await contacts.apply(uow, [rectified])
    assert uow.contacts.by_claim["C-1"].email == "claire.martin@example.fr"
    await sweep(uow, NOW + days(800), handlers_opener())
    await contacts.apply(uow, [rectified])
    assert uow.contacts.by_claim["C-1"].email is None
