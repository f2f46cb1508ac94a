"""Controls and recovery orders (payments.controls.v1, payments.recovery-orders.v1): each step the firm must hear of
owes one e-mail per claim and kind, ever, whatever the redeliveries; a partial repayment and a non-compliant outcome
(its recovery order writes) owe none. The four control statuses on claims.status.v1 mail nobody from there.
Through the subscriptions as `register_handlers` declares them (`apply_controls`, `apply_recovery_orders`)."""

from __future__ import annotations

import pytest

from guichet_common.contracts.status import TOPIC as CLAIMS_STATUS
from guichet_common.topics import CONTROLS, RECOVERY_ORDERS
from guichet_notifications import service
from guichet_notifications.domain import Contact, OwedEmail
from guichet_notifications.handlers import email_statuses
from guichet_notifications.sender import SmtpPostOffice, SmtpSettings

from .control_events import IBAN, REFERENCE, control_event, record, recovery_event
from .fakes import (
    FakeNotificationsUnitOfWork,
    FakeSmtpClient,
    dead_letter_reasons,
    raw_record,
    status_record,
    subscriptions,
)

SUBSCRIPTIONS = subscriptions("rejected,refused,payment_sent")
CONTROLS_IN, RECOVERY_IN, STATUSES = (SUBSCRIPTIONS[t] for t in (CONTROLS.name, RECOVERY_ORDERS.name, CLAIMS_STATUS))


async def test_a_selection_owes_a_control_request_with_its_grounds_and_reply_date() -> None:
    uow = FakeNotificationsUnitOfWork()
    await CONTROLS_IN.apply(uow, [record(control_event(grounds=["CONTROL_SAMPLED", "CONTROL_RISK_REVIEWED"]))])
    [(key, row)] = uow.emails.rows.items()
    assert key == ("C-1", "control_request")
    assert row.owed == OwedEmail(
        "C-1", "control_request", "p", ("CONTROL_SAMPLED", "CONTROL_RISK_REVIEWED"), 50_000, {"reply_by": "2027-02-03"}
    )


async def test_a_compliant_outcome_owes_one_email_and_a_non_compliant_one_leaves_it_to_the_recovery_order() -> None:
    uow = FakeNotificationsUnitOfWork()
    compliant = control_event("C-1", "outcome", outcome="compliant")
    non_compliant = control_event(
        "C-2", "outcome", outcome="non_compliant", reason_code="CONTROL_INVOICE_UNPAID", amount_undue_cents=10_000
    )
    await CONTROLS_IN.apply(uow, [record(compliant), record(non_compliant, offset=1)])
    assert list(uow.emails.rows) == [("C-1", "control_compliant")]
    assert uow.emails.rows[("C-1", "control_compliant")].owed.reasons == ("CONTROL_COMPLIANT",)


async def test_each_step_of_a_recovery_order_owes_its_own_email_once() -> None:
    uow = FakeNotificationsUnitOfWork()
    steps = [
        recovery_event(step="issued"),
        recovery_event(step="reminded", reminder=1),
        recovery_event(step="reminded", reminder=2),
        recovery_event(step="repayment", repaid_cents=3_456, outstanding_cents=120_000, repayment_cents=3_456),
        recovery_event(step="passed_to_collection", repaid_cents=3_456, outstanding_cents=120_000),
        recovery_event(step="settled", repaid_cents=123_456, outstanding_cents=0),
    ]
    await RECOVERY_IN.apply(uow, [record(event, offset=n) for n, event in enumerate(steps)])
    assert [kind for _, kind in uow.emails.rows] == [
        "recovery_order",
        "recovery_reminder_1",
        "recovery_reminder_2",
        "recovery_collection",
        "recovery_settled",
    ]
    issued = uow.emails.rows[("C-1", "recovery_order")].owed
    assert (issued.reasons, issued.amount_cents) == (("CONTROL_INVOICE_UNPAID",), 123_456)
    assert issued.details == {
        "order_id": "RO-0123456789AB",
        "due_on": "2027-03-31",
        "payment_reference": REFERENCE,
        "creditor_name": "Agence de services et de paiement",
        "creditor_iban": IBAN,
        "creditor_bic": "BDFEFRPPCCT",
        "outstanding_cents": 123_456,
    }
    assert uow.emails.rows[("C-1", "recovery_collection")].owed.details["outstanding_cents"] == 120_000
    assert uow.emails.rows[("C-1", "recovery_reminder_2")].owed.details["reminder"] == 2


async def test_a_redelivered_event_owes_nothing_more() -> None:
    uow = FakeNotificationsUnitOfWork()
    selected, issued = control_event(), recovery_event()
    for offset in (0, 1):
        await CONTROLS_IN.apply(uow, [record(selected, offset=offset)])
        await RECOVERY_IN.apply(uow, [record(issued, offset=offset), record(recovery_event(), offset=offset + 5)])
    assert sorted(uow.emails.rows) == [("C-1", "control_request"), ("C-1", "recovery_order")]


async def test_an_unreadable_event_is_a_dead_letter() -> None:
    uow = FakeNotificationsUnitOfWork()
    await RECOVERY_IN.apply(uow, [raw_record(RECOVERY_ORDERS.name, b'{"step": "issued"}')])
    await CONTROLS_IN.apply(uow, [raw_record(CONTROLS.name, b"not json")])
    assert len(dead_letter_reasons(uow)) == 2 and uow.emails.rows == {}


@pytest.mark.parametrize("status", ["under_control", "control_closed", "recovery_ordered", "recovered"])
async def test_the_control_statuses_mail_nobody_from_the_status_path(status: str) -> None:
    with pytest.raises(ValueError, match="no e-mail text"):
        email_statuses([status])
    uow = FakeNotificationsUnitOfWork()
    await STATUSES.apply(uow, [status_record("C-1", status)])
    assert uow.emails.rows == {} and uow.statuses.tracks["C-1"].status == status


async def test_the_sender_writes_each_owed_control_email_with_its_details() -> None:
    uow, client = FakeNotificationsUnitOfWork(), FakeSmtpClient()
    await uow.contacts.save([Contact("C-1", "p", "claire@example.fr", "Claire Martin")])
    await CONTROLS_IN.apply(uow, [record(control_event())])
    await RECOVERY_IN.apply(uow, [record(recovery_event()), record(recovery_event(step="reminded", reminder=1))])
    post = SmtpPostOffice(
        SmtpSettings("127.0.0.1", 25, "guichet@example.org"), {"p": "Programme P"}, client=lambda: client
    )
    assert await service.send_due_emails(uow.units, post, limit=10) == 3
    bodies = {str(m["Message-ID"]): m.get_content() for m in client.accepted}
    assert sorted(bodies) == [
        "<C-1.control_request@guichet.invalid>",
        "<C-1.recovery_order@guichet.invalid>",
        "<C-1.recovery_reminder_1@guichet.invalid>",
    ]
    assert "03/02/2027" in bodies["<C-1.control_request@guichet.invalid>"]
    assert REFERENCE in bodies["<C-1.recovery_order@guichet.invalid>"]
    assert "FR76 3000" in bodies["<C-1.recovery_reminder_1@guichet.invalid>"]
