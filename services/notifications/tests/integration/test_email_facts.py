"""On real PostgreSQL and a real SMTP server (aiosmtpd): the sender writes an EmailV1 to the outbox for each e-mail
sent or refused for good, in the transaction that records it, and none for one the server asks to retry."""

from __future__ import annotations

import asyncpg
import pytest

from guichet_common.contracts.backoffice import EmailV1
from guichet_common.privacy.sealing import unseal
from guichet_notifications.sender import EmailSender, SmtpSettings

from ..unit.fakes import MASTER
from .conftest import SmtpInbox
from .test_sender_set_aside import owe

pytestmark = pytest.mark.integration


async def test_sent_and_refused_emails_are_published_and_postponed_ones_are_not(
    notifications_pool: asyncpg.Pool, smtp_inbox: tuple[SmtpInbox, int]
) -> None:
    inbox, port = smtp_inbox
    inbox.replies_by_recipient = {"nobody@example.fr": "550 5.1.1 no such user", "busy@example.fr": "451 try later"}
    keys = {
        "CFN-2021-0000001": await owe(notifications_pool, "CFN-2021-0000001", sealed=True),
        "CFN-2021-0000002": await owe(notifications_pool, "CFN-2021-0000002", email="nobody@example.fr", sealed=True),
    }
    await owe(notifications_pool, "CFN-2021-0000003", email="busy@example.fr", sealed=True)
    smtp = SmtpSettings("127.0.0.1", port, "guichet@example.org")
    sender = EmailSender(notifications_pool, smtp, {"p": "Programme P"}, topic_prefix="t.", master=MASTER)
    assert await sender.send_due() == 3

    rows = await notifications_pool.fetch(
        "SELECT key, value FROM outbox WHERE topic = 't.notifications.emails.v1' ORDER BY id"
    )
    published = [(bytes(r["key"]), EmailV1.model_validate_json(r["value"])) for r in rows]
    # The recipient is sealed with the claim's contact key: the back-office opens it with its own copy.
    opened = [(key, e.claim_id, e.outcome, unseal(keys[e.claim_id] or b"", e.recipient)) for key, e in published]
    assert [e.recipient.startswith(f"sealed:v1:contact:{e.claim_id}:") for _, e in published] == [True, True]
    assert opened == [
        (b"CFN-2021-0000001", "CFN-2021-0000001", "sent", "claire@example.fr"),
        (b"CFN-2021-0000002", "CFN-2021-0000002", "failed", "nobody@example.fr"),
    ]
    [message] = inbox.parsed()
    assert published[0][1].subject == str(message["Subject"]) == "Programme P – demande refusée"
    assert {e.status for _, e in published} == {"rejected"} and {e.programme for _, e in published} == {"p"}
    states = dict(await notifications_pool.fetch("SELECT claim_id, state FROM emails"))
    assert states == {"CFN-2021-0000001": "sent", "CFN-2021-0000002": "failed", "CFN-2021-0000003": "pending"}
