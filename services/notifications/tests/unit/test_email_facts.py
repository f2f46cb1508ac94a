"""Each e-mail sent or given up on is published for the back-office (`notifications.emails.v1`, EmailV1) in the
transaction that records its outcome; one put back in the queue is not (it has no outcome yet)."""

from __future__ import annotations

from guichet_common.contracts.backoffice import EmailV1
from guichet_common.privacy.sealing import unseal
from guichet_notifications import service
from guichet_notifications.domain import Contact, OwedEmail
from guichet_notifications.sender import SmtpPostOffice, SmtpSettings

from .fakes import MASTER, NOW, FakeNotificationsUnitOfWork, FakeSmtpClient, claim_keys

SMTP = SmtpSettings("127.0.0.1", 25, "guichet@example.org")
TOPIC = "t.notifications.emails.v1"


async def owing(*claims: tuple[str, str]) -> FakeNotificationsUnitOfWork:
    """Each (claim_id, address) is owed a rejection e-mail and its contact is known."""
    uow = FakeNotificationsUnitOfWork()
    uow.contact_keys = await claim_keys(uow, *(claim_id for claim_id, _ in claims))  # type: ignore[attr-defined]
    await service.learn_contacts(
        uow, [Contact(claim_id, "p", address, "Claire Martin") for claim_id, address in claims]
    )
    await service.owe_emails(uow, [OwedEmail(claim_id, "rejected", "p", ("COMPANY_CEASED",)) for claim_id, _ in claims])
    return uow


def opened(uow: FakeNotificationsUnitOfWork, email: EmailV1) -> str:
    """The recipient as the back-office opens it, with the claim's contact key."""
    return unseal(uow.contact_keys[email.claim_id], email.recipient)  # type: ignore[attr-defined]


def emails(uow: FakeNotificationsUnitOfWork) -> list[tuple[bytes | None, EmailV1]]:
    return [(m.key, EmailV1.model_validate_json(m.value)) for m in uow.committed if m.topic == TOPIC]


async def test_a_sent_email_and_one_refused_for_good_are_published_with_their_outcome() -> None:
    uow = await owing(("C-1", "claire@example.fr"), ("C-2", "nobody@example.fr"), ("C-3", "later@example.fr"))
    client = FakeSmtpClient({"nobody@example.fr": (550, "no such user"), "later@example.fr": (451, "try later")})
    post = SmtpPostOffice(SMTP, {"p": "Programme P"}, client=lambda: client)
    await service.send_due_emails(uow.units, post, limit=10, topic_prefix="t.", master=MASTER)
    published = emails(uow)
    assert [(key, e.claim_id, e.outcome) for key, e in published] == [
        (b"C-1", "C-1", "sent"),
        (b"C-2", "C-2", "failed"),
    ]
    sent, failed = (e for _, e in published)
    assert (sent.programme, sent.status) == ("p", "rejected")
    assert sent.recipient.startswith("sealed:v1:contact:C-1:") and opened(uow, sent) == "claire@example.fr"
    assert sent.subject == failed.subject == "Programme P – demande refusée"
    assert opened(uow, failed) == "nobody@example.fr"
    assert uow.emails.states() == {"C-1": "sent", "C-2": "failed", "C-3": "pending"}  # C-3: no outcome, no event


async def test_the_events_are_written_with_the_outcomes_not_with_the_sending_mark() -> None:
    uow = await owing(("C-1", "claire@example.fr"))
    client = FakeSmtpClient()
    post = SmtpPostOffice(SMTP, {"p": "Programme P"}, client=lambda: client)

    commits_before_outcomes: list[int] = []
    original = uow.emails.mark_sent

    async def mark_sent(sent):  # what the outbox holds when the outcomes are recorded
        commits_before_outcomes.append(len(emails(uow)))
        await original(sent)

    uow.emails.mark_sent = mark_sent  # type: ignore[method-assign]
    await service.send_due_emails(uow.units, post, limit=10, topic_prefix="t.")
    assert commits_before_outcomes == [0] and len(emails(uow)) == 1
    assert uow.commits == 2  # 'sending', then the outcomes with their event


async def test_an_email_that_cannot_be_written_is_published_failed_without_a_subject() -> None:
    uow = await owing(("C-1", "bad address@example.fr"))
    post = SmtpPostOffice(SMTP, {"p": "Programme P"}, client=FakeSmtpClient)
    await service.send_due_emails(uow.units, post, limit=10, topic_prefix="t.", master=MASTER)
    [(_, failed)] = emails(uow)
    assert (failed.outcome, failed.subject, opened(uow, failed)) == ("failed", "", "bad address@example.fr")


async def test_a_recipient_is_never_published_in_clear_even_without_a_key() -> None:
    uow = await owing(("C-1", "claire@example.fr"))
    await uow.keys.destroy([("C-1", "contact")], NOW)  # erased meanwhile: nothing left to seal it with
    post = SmtpPostOffice(SMTP, {"p": "Programme P"}, client=FakeSmtpClient)
    await service.send_due_emails(uow.units, post, limit=10, topic_prefix="t.", master=MASTER)
    [(_, sent)] = emails(uow)
    assert sent.recipient == ""
