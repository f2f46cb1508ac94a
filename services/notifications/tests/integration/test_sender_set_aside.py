"""One e-mail that cannot be built or that the server refuses for good never holds up the others of its batch.

Real PostgreSQL and a real SMTP server (aiosmtpd). Hostile values go in through the service's own handlers, the way
a refused submission's salvaged claim_id and free-text programme reach them.
"""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg
import pytest
from structlog.testing import capture_logs

from guichet_common.contracts import ApplicantContactV1, ClaimStatusV1
from guichet_common.contracts.internal import APPLICANT_CONTACTS_TOPIC
from guichet_common.contracts.status import TOPIC as CLAIMS_STATUS
from guichet_common.privacy.sealing import seal
from guichet_common.records import InboundRecord
from guichet_common.set_aside import held_items, record_decision
from guichet_common.unit_of_work import open_unit_of_work
from guichet_notifications import set_aside_repository
from guichet_notifications.sender import EmailSender, SmtpSettings
from guichet_notifications.unit_of_work import NotificationsUnitOfWork

from ..unit.fakes import claim_keys, subscriptions

pytestmark = pytest.mark.integration
NOW = dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC)
SUBSCRIPTIONS = subscriptions("rejected,refused")  # as register_handlers declares them
PHISHING = "Cliquez sur http://guichet.example.com\r\nBcc: victime@example.org"  # 64 chars


async def owe(
    pool: asyncpg.Pool,
    claim_id: str,
    *,
    programme: str = "p",
    kind: str = "",
    email: str = "claire@example.fr",
    sealed: bool = False,
) -> bytes | None:
    """The contact and the status of one claim, each in its own transaction (so batches come in this order). With
    `sealed`, the claim's keys are copied first and the contact comes sealed, as intake publishes it: returns the
    claim's contact data key."""
    data_key = None
    if sealed:
        async with open_unit_of_work(pool, NotificationsUnitOfWork) as uow:
            data_key = (await claim_keys(uow, claim_id))[claim_id]
            await uow.commit()
    contact = ApplicantContactV1(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        correlation_id=uuid.uuid4(),
        claim_id=claim_id,
        programme=programme,
        email=seal(data_key, "contact", claim_id, email) if data_key else email,
        full_name=seal(data_key, "contact", claim_id, "Claire Martin") if data_key else "Claire Martin",
    )
    kind = kind or ("rejected" if programme == "p" else "refused")
    status = ClaimStatusV1(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        claim_id=claim_id,
        programme=programme,
        status=kind,
        reasons=["COMPANY_CEASED" if kind == "rejected" else "SCHEMA_INVALID"],
    )
    for topic, event in ((APPLICANT_CONTACTS_TOPIC, contact), (CLAIMS_STATUS, status)):
        record = InboundRecord(topic, 0, 0, b"k", event.model_dump_json().encode())
        async with open_unit_of_work(pool, NotificationsUnitOfWork) as uow:
            await SUBSCRIPTIONS[topic].apply(uow, [record])
    return data_key


async def states(pool: asyncpg.Pool) -> dict[str, str]:
    return {row["claim_id"]: row["state"] for row in await pool.fetch("SELECT claim_id, state FROM emails")}


def sender(pool: asyncpg.Pool, port: int) -> EmailSender:
    return EmailSender(pool, SmtpSettings("127.0.0.1", port, "guichet@example.org"), {"p": "Programme P"})


async def test_hostile_claim_ids_and_programmes_never_leave_a_batch_sending(notifications_pool, smtp_inbox) -> None:
    inbox, port = smtp_inbox
    await owe(notifications_pool, "CFN-2021-0000001")
    await owe(notifications_pool, "CFN-2021-0000002\n", kind="refused")
    await owe(notifications_pool, "CFN-2021-0000003", programme=PHISHING)
    await owe(notifications_pool, "CFN-2021-0000004")

    assert await sender(notifications_pool, port).send_due() == 4
    assert await sender(notifications_pool, port).send_due() == 0

    assert set((await states(notifications_pool)).values()) == {"sent"}
    messages = inbox.parsed()
    assert len(messages) == 4  # each once
    subjects = sorted(str(m["Subject"]) for m in messages)
    assert subjects == [
        "Guichet des aides – demande non enregistrée",
        "Programme P – demande non enregistrée",
        "Programme P – demande refusée",
        "Programme P – demande refusée",
    ]
    for message in messages:
        headers = "".join(f"{name}: {value}\n" for name, value in message.items())
        assert "cliquez" not in headers.lower() and "victime" not in headers and "Bcc" not in headers
        assert "CFN-2021-0000002" not in headers  # a claim_id that fails the strict pattern names no header
    body_of_the_phishing_one = next(m for m in messages if "Guichet des aides" in str(m["Subject"]))
    assert "cliquez" not in body_of_the_phishing_one.get_content().lower()


async def test_an_unbuildable_or_refused_email_is_set_aside_once_and_the_others_are_sent(
    notifications_pool, smtp_inbox
) -> None:
    inbox, port = smtp_inbox
    inbox.replies_by_recipient = {
        "nobody@example.fr": "550 5.1.1 No such user nobody@example.fr",
        "busy@example.fr": "450 4.2.1 Mailbox busy, try again later",
    }
    await owe(notifications_pool, "CFN-2021-0000010", email="claire@example.fr\r\nBcc: victime@example.org")
    await owe(notifications_pool, "CFN-2021-0000011", email="nobody@example.fr")
    await owe(notifications_pool, "CFN-2021-0000012", email="busy@example.fr")
    await owe(notifications_pool, "CFN-2021-0000013")

    with capture_logs() as logs:
        assert await sender(notifications_pool, port).send_due() == 4
        assert await sender(notifications_pool, port).send_due() == 0

    assert await states(notifications_pool) == {
        "CFN-2021-0000010": "failed",
        "CFN-2021-0000011": "failed",
        "CFN-2021-0000012": "pending",  # a 4xx is transient: tried again later, never set aside
        "CFN-2021-0000013": "sent",
    }
    assert len(inbox.messages) == 1
    ids = {
        row["claim_id"]: str(row["id"])
        for row in await notifications_pool.fetch("SELECT claim_id, id FROM emails WHERE state = 'failed'")
    }
    async with notifications_pool.acquire() as conn:
        held = {item.item_id: item for item in await held_items(conn, "email")}
    assert set(held) == set(ids.values())
    assert "recipient address unfit for a header" in held[ids["CFN-2021-0000010"]].reason
    assert "550" in held[ids["CFN-2021-0000011"]].reason
    assert all("nobody@example.fr" not in item.reason and "\n" not in item.reason for item in held.values())
    set_aside_lines = [line for line in logs if line["event"] == "email_set_aside"]
    assert sorted(line["email_id"] for line in set_aside_lines) == sorted(ids.values())  # once each
    # ... and announced once each, for the back-office's set-aside page (operations.set-aside.v1)
    announced = await notifications_pool.fetch("SELECT key FROM outbox WHERE topic = 'operations.set-aside.v1'")
    assert sorted(bytes(row["key"]).decode() for row in announced) == sorted(
        f"notifications:email:{i}" for i in ids.values()
    )


async def test_a_released_email_is_tried_again_and_a_cancelled_one_never_sent(notifications_pool, smtp_inbox) -> None:
    inbox, port = smtp_inbox
    inbox.replies_by_recipient = {"nobody@example.fr": "550 5.1.1 No such user"}
    await owe(notifications_pool, "CFN-2021-0000020", email="nobody@example.fr")
    await owe(notifications_pool, "CFN-2021-0000021", email="nobody@example.fr")
    await sender(notifications_pool, port).send_due()
    ids = {row["claim_id"]: str(row["id"]) for row in await notifications_pool.fetch("SELECT claim_id, id FROM emails")}

    inbox.replies_by_recipient = {}  # the mailbox was created meanwhile
    async with notifications_pool.acquire() as conn, conn.transaction():
        await record_decision(conn, "email", ids["CFN-2021-0000020"], "released", "alice", "mailbox created")
        await set_aside_repository.release(conn, "email", ids["CFN-2021-0000020"])
    async with notifications_pool.acquire() as conn, conn.transaction():
        await record_decision(conn, "email", ids["CFN-2021-0000021"], "cancelled", "alice", "applicant phoned")
        await set_aside_repository.cancel(conn, "email", ids["CFN-2021-0000021"])
    with pytest.raises(ValueError):  # only a failed e-mail can be released or cancelled
        async with notifications_pool.acquire() as conn:
            await set_aside_repository.release(conn, "email", ids["CFN-2021-0000021"])

    assert await sender(notifications_pool, port).send_due() == 1
    assert await sender(notifications_pool, port).send_due() == 0
    assert await states(notifications_pool) == {"CFN-2021-0000020": "sent", "CFN-2021-0000021": "cancelled"}
    assert len(inbox.messages) == 1
