"""A turn of the sender on the fake unit of work: 'sending' is committed before any SMTP exchange, outcomes after."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from guichet_notifications import service
from guichet_notifications.domain import Contact, OwedEmail

from .fakes import FakeNotificationsUnitOfWork, FakePostOffice


async def owing(*claims: tuple[str, str]) -> FakeNotificationsUnitOfWork:
    """A unit of work where each (claim_id, address) is owed a rejection e-mail and its contact is known."""
    uow = FakeNotificationsUnitOfWork()
    await service.learn_contacts(
        uow, [Contact(claim_id, "p", address, "Claire Martin") for claim_id, address in claims]
    )
    await service.owe_emails(uow, [OwedEmail(claim_id, "rejected", "p", ("COMPANY_CEASED",)) for claim_id, _ in claims])
    return uow


async def test_the_emails_are_committed_sending_before_the_post_office_sees_them() -> None:
    uow = await owing(("C-1", "a@example.fr"), ("C-2", "b@example.fr"))
    post = FakePostOffice(uow)
    assert await service.send_due_emails(uow.units, post, limit=10) == 2
    assert post.seen_at_start == [(1, {"C-1": "sending", "C-2": "sending"})]
    assert uow.emails.states() == {"C-1": "sent", "C-2": "sent"}
    assert uow.emails.rows[("C-1", "rejected")].message_id == "<C-1.rejected@test>"
    assert uow.commits == 2  # 'sending', then the outcomes


async def test_each_email_is_sent_once_and_nothing_is_done_without_due_emails() -> None:
    uow = await owing(("C-1", "a@example.fr"))
    post = FakePostOffice(uow)
    assert await service.send_due_emails(uow.units, post, limit=10) == 1
    assert await service.send_due_emails(uow.units, post, limit=10) == 0
    assert post.delivered == ["C-1"] and len(post.seen_at_start) == 1


async def test_an_email_waits_for_its_claims_contact_and_turns_take_at_most_the_limit() -> None:
    uow = await owing(("C-1", "a@example.fr"), ("C-2", "b@example.fr"), ("C-3", "c@example.fr"))
    await service.owe_emails(uow, [OwedEmail("C-4", "rejected", "p")])  # no contact yet
    post = FakePostOffice(uow)
    assert await service.send_due_emails(uow.units, post, limit=2) == 2
    assert await service.send_due_emails(uow.units, post, limit=2) == 1
    assert await service.send_due_emails(uow.units, post, limit=2) == 0
    await service.learn_contacts(uow, [Contact("C-4", "p", "d@example.fr", "Dan")])
    assert await service.send_due_emails(uow.units, post, limit=2) == 1
    assert sorted(post.delivered) == ["C-1", "C-2", "C-3", "C-4"]


async def test_an_email_that_can_never_go_is_set_aside_once_and_the_others_are_sent() -> None:
    uow = await owing(("C-1", "nobody@example.fr"), ("C-2", "a@example.fr"))
    post = FakePostOffice(uow, set_aside={"nobody@example.fr": "refused by the SMTP server: 550 no such user"})
    with capture_logs() as logs:
        await service.send_due_emails(uow.units, post, limit=10)
    assert uow.emails.states() == {"C-1": "failed", "C-2": "sent"}
    email_id = str(uow.emails.rows[("C-1", "rejected")].id)
    assert uow.held == {("email", email_id): "refused by the SMTP server: 550 no such user"}
    [line] = [line for line in logs if line["event"] == "email_set_aside"]
    assert line["email_id"] == email_id and line["kind"] == "rejected" and "550" in line["reason"]


async def test_a_transient_failure_postpones_the_email_with_a_growing_back_off() -> None:
    uow = await owing(("C-1", "busy@example.fr"))
    post = FakePostOffice(uow, to_retry={"busy@example.fr": "SMTPRecipientsRefused: 450 mailbox busy"})
    with capture_logs() as logs:
        await service.send_due_emails(uow.units, post, limit=10)
    row = uow.emails.rows[("C-1", "rejected")]
    assert (row.state, row.attempts, row.next_attempt_at) == ("pending", 1, 2.0)
    assert "450 mailbox busy" in (row.last_error or "")
    assert [(line["count"], line["error"][:21]) for line in logs if line["event"] == "emails_postponed"] == [
        (1, "SMTPRecipientsRefused")
    ]
    assert await service.send_due_emails(uow.units, post, limit=10) == 0  # not due yet
    uow.emails.now = 2.0
    await service.send_due_emails(uow.units, post, limit=10)
    assert (row.attempts, row.next_attempt_at) == (2, 6.0)
    assert uow.held == {}


async def test_a_session_that_dies_records_what_it_did_and_leaves_the_email_in_flight_in_doubt() -> None:
    uow = await owing(("C-1", "a@example.fr"), ("C-2", "b@example.fr"))
    post = FakePostOffice(uow, crash_at="b@example.fr")
    with pytest.raises(ConnectionResetError):
        await service.send_due_emails(uow.units, post, limit=10)
    assert uow.emails.states() == {"C-1": "sent", "C-2": "sending"}  # C-2 may have gone: never sent again
    post.crash_at = None
    assert await service.send_due_emails(uow.units, post, limit=10) == 0
    assert post.delivered == ["C-1"]
    with capture_logs() as logs:
        assert await service.report_uncertain(uow) == 1
    assert [line["count"] for line in logs if line["event"] == "emails_left_uncertain_by_a_crash"] == [1]
