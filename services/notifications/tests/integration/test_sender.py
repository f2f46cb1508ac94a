"""Notifications against a real SMTP server (aiosmtpd) and PostgreSQL: one e-mail per claim and kind, ever."""

from __future__ import annotations

import datetime as dt
import json
import socket
import uuid

import asyncpg
import pytest
from aiosmtpd.controller import Controller

from guichet_common.contracts import ApplicantContactV1, ClaimStatusV1
from guichet_common.contracts.internal import APPLICANT_CONTACTS_TOPIC
from guichet_common.contracts.status import TOPIC as CLAIMS_STATUS
from guichet_common.records import InboundRecord
from guichet_common.unit_of_work import open_unit_of_work
from guichet_notifications.sender import EmailSender, SmtpSettings
from guichet_notifications.unit_of_work import NotificationsUnitOfWork

from ..unit.fakes import subscriptions

pytestmark = pytest.mark.integration
NOW = dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC)
SUBSCRIPTIONS = subscriptions("rejected")  # as register_handlers declares them


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def contact(claim_id: str) -> InboundRecord:
    event = ApplicantContactV1(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        correlation_id=uuid.uuid4(),
        claim_id=claim_id,
        programme="p",
        email="claire.martin@example.fr",
        full_name="Claire Martin",
        iban_last4="2957",
    )
    return InboundRecord(APPLICANT_CONTACTS_TOPIC, 0, 0, claim_id.encode(), event.model_dump_json().encode())


def status(claim_id: str, kind: str) -> InboundRecord:
    event = ClaimStatusV1(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        claim_id=claim_id,
        programme="p",
        status=kind,
        reasons=["COMPANY_CEASED"] if kind == "rejected" else [],
    )
    return InboundRecord(CLAIMS_STATUS, 0, 0, claim_id.encode(), event.model_dump_json().encode())


async def run(pool: asyncpg.Pool, topic: str, *records: InboundRecord) -> None:
    async with open_unit_of_work(pool, NotificationsUnitOfWork) as uow:
        await SUBSCRIPTIONS[topic].apply(uow, list(records))


async def test_one_mail_per_claim_and_kind_even_when_the_status_comes_twice(notifications_pool: asyncpg.Pool) -> None:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        sender = EmailSender(notifications_pool, SmtpSettings("127.0.0.1", controller.port, "guichet@example.org"), {})
        # The status arrives before the contact: the e-mail waits for it instead of being lost.
        await run(notifications_pool, CLAIMS_STATUS, status("C-1", "rejected"), status("C-1", "received"))
        assert await sender.send_due() == 0
        await run(notifications_pool, APPLICANT_CONTACTS_TOPIC, contact("C-1"))
        await run(notifications_pool, CLAIMS_STATUS, status("C-1", "rejected"))  # same kind, new event
        assert await sender.send_due() == 1
        assert await sender.send_due() == 0
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    text = inbox.messages[0].decode()
    assert "claire.martin@example.fr" in text and "<C-1.rejected@guichet.invalid>" in text


async def test_an_unreachable_smtp_server_postpones_and_never_loses_the_mail(notifications_pool: asyncpg.Pool) -> None:
    sender = EmailSender(notifications_pool, SmtpSettings("127.0.0.1", free_port(), "guichet@example.org"), {})
    await run(notifications_pool, APPLICANT_CONTACTS_TOPIC, contact("C-2"))
    await run(notifications_pool, CLAIMS_STATUS, status("C-2", "rejected"))
    assert await sender.send_due() == 1
    row = await notifications_pool.fetchrow("SELECT state, attempts, last_error FROM emails WHERE claim_id = 'C-2'")
    assert row["state"] == "pending" and row["attempts"] == 1 and "SMTP unreachable" in row["last_error"]
    assert json.dumps(dict(row)).find("claire.martin") == -1
