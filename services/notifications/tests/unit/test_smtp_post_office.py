"""The SMTP side of a turn, against a fake client that answers like aiosmtplib: what is sent, set aside or retried."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from guichet_notifications import service
from guichet_notifications.domain import Contact, DueEmail, OwedEmail
from guichet_notifications.sender import SmtpPostOffice, SmtpSettings
from guichet_notifications.service import Outcomes

from .fakes import FakeNotificationsUnitOfWork, FakeSmtpClient

SMTP = SmtpSettings("127.0.0.1", 25, "guichet@example.org")


def due(number: int, address: str = "claire@example.fr", *, kind: str = "rejected") -> DueEmail:
    return DueEmail(
        id=number,
        claim_id=f"CFN-2021-{number:07d}",
        kind=kind,
        programme="p",
        reasons=("COMPANY_CEASED",),
        amount_cents=None,
        attempts=1,
        email=address,
        full_name="Claire Martin",
        iban_last4=None,
    )


def post_office(client: FakeSmtpClient) -> SmtpPostOffice:
    return SmtpPostOffice(SMTP, {"p": "Programme P"}, client=lambda: client)


async def test_each_email_goes_to_its_recipient_with_a_stable_message_id() -> None:
    client, outcomes = FakeSmtpClient(), Outcomes()
    post = post_office(client)
    with capture_logs() as logs:
        await post.deliver([due(1), due(2)], outcomes)
    assert [message_id for _, message_id in outcomes.sent] == [
        "<CFN-2021-0000001.rejected@guichet.invalid>",
        "<CFN-2021-0000002.rejected@guichet.invalid>",
    ]
    assert [str(m["Subject"]) for m in client.accepted] == ["Programme P – demande refusée"] * 2
    assert post.sent == 2 and client.quit_called
    assert [line["claim_id"] for line in logs if line["event"] == "email_sent"] == [
        "CFN-2021-0000001",
        "CFN-2021-0000002",
    ]
    assert all("claire" not in str(line) for line in logs)


async def test_unwritable_or_refused_for_good_is_set_aside_a_4xx_is_retried_and_the_others_sent() -> None:
    client = FakeSmtpClient({"nobody@example.fr": (550, "No such user"), "busy@example.fr": (450, "Mailbox busy")})
    outcomes = Outcomes()
    emails = [
        due(1, "claire@example.fr\r\nBcc: victime@example.org"),
        due(2, "nobody@example.fr"),
        due(3, "busy@example.fr"),
        due(4),
        due(5, kind="payment_scheduled"),  # no text for it
    ]
    await post_office(client).deliver(emails, outcomes)
    set_aside = {email.id: reason for email, reason in outcomes.set_aside}
    assert sorted(set_aside) == [1, 2, 5]
    assert set_aside[1].startswith("cannot be written: UnsendableEmail: recipient address unfit")
    assert set_aside[2].startswith("refused by the SMTP server:") and "550" in set_aside[2]
    assert [(email.id, error[:21]) for email, error in outcomes.to_retry] == [(3, "SMTPRecipientsRefused")]
    assert [email.id for email, _ in outcomes.sent] == [4]


async def test_an_unreachable_server_puts_every_email_back_to_be_retried() -> None:
    outcomes = Outcomes()
    await post_office(FakeSmtpClient(reachable=False)).deliver([due(1), due(2)], outcomes)
    assert [(email.id, error.startswith("SMTP unreachable")) for email, error in outcomes.to_retry] == [
        (1, True),
        (2, True),
    ]
    assert outcomes.sent == [] and outcomes.set_aside == []


async def test_a_session_that_dies_leaves_the_email_in_flight_unnoted_and_the_untried_ones_to_retry() -> None:
    class Dying(FakeSmtpClient):
        async def send_message(self, message, /):  # type: ignore[no-untyped-def]
            if len(self.accepted) == 1:
                raise RuntimeError("bug in mid-session")
            return await super().send_message(message)

    client, outcomes = Dying(), Outcomes()
    with pytest.raises(RuntimeError):
        await post_office(client).deliver([due(1), due(2), due(3)], outcomes)
    assert [email.id for email, _ in outcomes.sent] == [1]
    assert [(email.id, error) for email, error in outcomes.to_retry] == [(3, "not tried: the SMTP session ended early")]
    assert client.quit_called


async def test_a_turn_through_the_smtp_post_office_sends_each_email_once() -> None:
    uow = FakeNotificationsUnitOfWork()
    claims = {"CFN-2021-0000001": "claire@example.fr", "CFN-2021-0000002": "nobody@example.fr"}
    await service.learn_contacts(
        uow, [Contact(claim, "p", address, "Claire Martin") for claim, address in claims.items()]
    )
    await service.owe_emails(uow, [OwedEmail(claim, "rejected", "p") for claim in claims])
    client = FakeSmtpClient({"nobody@example.fr": (550, "No such user")})
    post = post_office(client)
    assert await service.send_due_emails(uow.units, post, limit=200) == 2
    assert await service.send_due_emails(uow.units, post, limit=200) == 0
    assert uow.emails.states() == {"CFN-2021-0000001": "sent", "CFN-2021-0000002": "failed"}
    assert len(client.accepted) == 1 and list(uow.held) == [("email", "2")]
