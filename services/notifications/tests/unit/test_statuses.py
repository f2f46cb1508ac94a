"""Status changes: those that owe the applicant an e-mail owe it once per claim and kind; the others cost nothing."""

from __future__ import annotations

import json
import uuid
from typing import get_args

import pytest
from structlog.testing import capture_logs

from guichet_common.contracts import ClaimStatusV1
from guichet_common.contracts.status import TOPIC as CLAIMS_STATUS
from guichet_common.contracts.status import ClaimStatus
from guichet_notifications.domain import KINDS, OwedEmail
from guichet_notifications.handlers import NotificationsHandlers, email_statuses

from .fakes import FakeNotificationsUnitOfWork, dead_letter_reasons, raw_record, status_record, subscriptions

STATUSES = subscriptions("rejected,refused,payment_sent")[CLAIMS_STATUS]


async def test_a_status_that_owes_an_email_owes_it_once_per_claim_and_kind() -> None:
    uow = FakeNotificationsUnitOfWork()
    with capture_logs() as logs:
        await STATUSES.apply(uow, [status_record("C-1", "rejected"), status_record("C-1", "rejected")])
        await STATUSES.apply(uow, [status_record("C-1", "rejected"), status_record("C-2", "rejected")])
        await STATUSES.apply(uow, [status_record("C-1", "payment_sent", amount_cents=50_000)])
    assert sorted(uow.emails.rows) == [("C-1", "payment_sent"), ("C-1", "rejected"), ("C-2", "rejected")]
    assert uow.emails.rows[("C-1", "rejected")].owed == OwedEmail("C-1", "rejected", "p", ("COMPANY_CEASED",), None)
    assert uow.emails.rows[("C-1", "payment_sent")].owed.amount_cents == 50_000
    owed = [(line["claim_id"], line["kind"]) for line in logs if line["event"] == "email_owed"]
    assert owed == [("C-1", "rejected"), ("C-2", "rejected"), ("C-1", "payment_sent")]  # once each
    assert uow.committed == [] and uow.commits == 3


async def test_a_redelivered_event_is_applied_once_by_content_with_no_inbox_row() -> None:
    uow, event_id = FakeNotificationsUnitOfWork(), uuid.uuid4()
    await STATUSES.apply(uow, [status_record("C-1", "rejected", event_id=event_id)])
    with capture_logs() as logs:
        await STATUSES.apply(uow, [status_record("C-1", "rejected", event_id=event_id, offset=1)])
    assert uow.inbox.applied == set()  # an e-mail is owed once ever, the clock keeps the latest status
    assert [line for line in logs if line["event"] == "email_owed"] == []
    assert list(uow.emails.rows) == [("C-1", "rejected")]


@pytest.mark.parametrize("status", ["received", "approved", "payment_scheduled", "under_review"])
async def test_a_status_that_mails_nobody_is_only_followed_with_no_inbox_row_and_no_dead_letter(status: str) -> None:
    uow = FakeNotificationsUnitOfWork()
    await STATUSES.apply(uow, [status_record("C-1", status)])
    assert uow.emails.rows == {} and uow.inbox.applied == set() and uow.committed == []
    assert uow.statuses.tracks["C-1"].status == status


async def test_a_status_that_mails_nobody_still_needs_its_claim_to_be_followed() -> None:
    uow = FakeNotificationsUnitOfWork()
    await STATUSES.apply(uow, [raw_record(CLAIMS_STATUS, json.dumps({"status": "received"}).encode())])
    [dead] = dead_letter_reasons(uow)
    assert dead.startswith("schema: ") and uow.statuses.tracks == {}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"status": "bogus", "claim_id": "C-1"}, "schema: "),
        ({"status": "rejected", "claim_id": "C-1"}, "schema: "),  # mails, so checked whole: fields are missing
        ({"status": ["received"]}, "schema: "),  # not a status at all: checked, not a crash of the batch
        ({"status": {"received": 1}}, "schema: "),
        ([1, 2], "value is JSON list"),
        (b"not json", "value is not JSON"),
    ],
)
async def test_anything_doubtful_goes_through_the_contract_check_and_is_dead_lettered(
    value: object, reason: str
) -> None:
    uow = FakeNotificationsUnitOfWork()
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    await STATUSES.apply(uow, [raw_record(CLAIMS_STATUS, raw), status_record("C-2", "refused", offset=1)])
    [dead] = dead_letter_reasons(uow)
    assert dead.startswith(reason)
    assert list(uow.emails.rows) == [("C-2", "refused")]


def test_every_email_text_is_for_a_claim_status() -> None:
    assert set(get_args(ClaimStatus)) >= KINDS


def test_configured_statuses_must_have_an_email_text() -> None:
    assert email_statuses(["rejected", "refused"]) == {"rejected", "refused"}
    with pytest.raises(ValueError, match="no e-mail text"):
        email_statuses(["rejected", "payment_scheduled"])
    with pytest.raises(ValueError, match="no e-mail text"):
        email_statuses(["bogus"])


async def test_apply_statuses_owes_the_email_each_status_announces() -> None:
    uow = FakeNotificationsUnitOfWork()
    status = ClaimStatusV1.model_validate_json(status_record("C-1", "payment_sent", amount_cents=150_050).value or b"")
    assert STATUSES.use_case.__func__ is NotificationsHandlers.apply_statuses  # type: ignore[attr-defined]
    assert await NotificationsHandlers(frozenset()).apply_statuses(uow, [status]) == []
    assert [row.owed for row in uow.emails.rows.values()] == [OwedEmail("C-1", "payment_sent", "p", (), 150_050)]
