"""Which e-mail each step of a post-payment control (payments.controls.v1) and of a recovery order
(payments.recovery-orders.v1) owes the firm, with what its letter repeats (`control_letters` writes it).

A selection owes the control request; a compliant outcome its notice. A non-compliant outcome or no answer owes
nothing here: the recovery order it issued says it, with the amount and how to pay. Each recovery step but a
partial repayment owes its e-mail; one per claim and kind, ever (`service.owe_emails`), so a redelivered event or a
step announced twice mails nobody twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from guichet_common.contracts.controls import ControlEventV1, RecoveryOrderEventV1
from guichet_notifications.control_letters import reminder_kind
from guichet_notifications.domain import OwedEmail

COMPLIANT = "CONTROL_COMPLIANT"
_RECOVERY_KINDS = {"issued": "recovery_order", "passed_to_collection": "recovery_collection"}
_RECOVERY_KINDS |= {"settled": "recovery_settled"}


def control_emails(events: Sequence[ControlEventV1]) -> list[OwedEmail]:
    """The control request of each selection and the notice of each compliant outcome."""
    owed = []
    for e in events:
        if e.kind == "selected":
            details = _jsonable(reply_by=e.reply_by)
            owed.append(OwedEmail(e.claim_id, "control_request", e.programme, tuple(e.grounds), e.paid_cents, details))
        elif e.outcome == "compliant":
            owed.append(OwedEmail(e.claim_id, "control_compliant", e.programme, (COMPLIANT,), e.paid_cents))
    return owed


def recovery_emails(events: Sequence[RecoveryOrderEventV1]) -> list[OwedEmail]:
    """The e-mail of each recovery step the firm must hear of (a partial repayment is none of them)."""
    owed = []
    for e in events:
        kind = reminder_kind(e.reminder) if e.step == "reminded" and e.reminder else _RECOVERY_KINDS.get(e.step)
        if kind is None:
            continue
        # The order's amount when it is issued or settled; what is left to pay on a reminder or for collection.
        amount = e.amount_cents if e.step in ("issued", "settled") else e.outstanding_cents
        details = _jsonable(
            order_id=e.order_id,
            due_on=e.due_on,
            payment_reference=e.payment_reference,
            creditor_name=e.creditor_name,
            creditor_iban=e.creditor_iban,
            creditor_bic=e.creditor_bic,
            outstanding_cents=e.outstanding_cents,
            reminder=e.reminder,
        )
        owed.append(OwedEmail(e.claim_id, kind, e.programme, (e.reason_code,), amount, details))
    return owed


def _jsonable(**values: Any) -> dict[str, Any]:
    """As the e-mail keeps them (JSON): dates as ISO strings, absent values left out."""
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items() if v is not None}
