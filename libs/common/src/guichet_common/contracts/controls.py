"""After the money: post-payment controls and recovery orders (décret 2021-69, article 6), as events.

Payments owns both, since it owns what they act on: the paid claims, the envelope and the bank's files.
- `backoffice.control-decisions.v1` (back-office -> payments): a campaign opened, or a control's outcome, decided by
  authenticated people (four eyes where money is ordered back). Payments applies it once (its inbox) and answers on
  `operations.command-outcomes.v1`.
- `payments.controls.v1` (payments -> notifications, back-office): a claim selected for control, and its outcome.
- `payments.recovery-orders.v1` (payments -> notifications, back-office, the public accountant): each step of a
  recovery order (ordre de reversement), from its issue to its settlement or its passing to collection.
Both of payments' topics are keyed by the claim_id, so one claim's steps stay in order. They carry no personal data
(a SIREN is a company's number; the firm's e-mail address is notifications' own).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from guichet_common.contracts.base import Cents, Contract, Siren, Timestamp

CONTROL_DECISIONS_TOPIC = "backoffice.control-decisions.v1"
CONTROLS_TOPIC = "payments.controls.v1"
RECOVERY_ORDERS_TOPIC = "payments.recovery-orders.v1"

Login = Annotated[str, Field(min_length=1, max_length=100)]
WrittenReason = Annotated[str, Field(min_length=1, max_length=2000)]
Code = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")]
ClaimId = Annotated[str, Field(min_length=1, max_length=64)]
# Campaign ids are made by the back-office: `C-<yyyymmdd>-<8 hex>`.
CampaignId = Annotated[str, Field(pattern=r"^C-[0-9]{8}-[0-9a-f]{8}$")]
ControlOutcome = Literal["compliant", "non_compliant", "no_answer"]


class ControlDecisionV1(Contract):
    """A person's decision on controls. Key: the campaign id (`open_campaign`) or the claim_id (`record_outcome`).

    `open_campaign`: select, in `programme`, the claims paid at or before `paid_before`, by the programme file's
    risk rules and its random sampling rate, drawn from `seed` (stored: the selection can be drawn again).
    `record_outcome`: the outcome of `claim_id`'s control. `non_compliant` names its `reason_code` (a CONTROL_* code
    of the catalogue) and the `amount_undue_cents` (all or part of the grant); `no_answer` is taken after the reply
    deadline and orders the whole grant back. Both need `seconded_by` (four eyes), who is never `decided_by`.
    """

    event_id: UUID  # the command's id: payments' inbox applies it once
    occurred_at: Timestamp
    action: Literal["open_campaign", "record_outcome"]
    campaign_id: CampaignId | None = None
    programme: Annotated[str, Field(max_length=64)] | None = None
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = None
    paid_before: Timestamp | None = None
    claim_id: ClaimId | None = None
    outcome: ControlOutcome | None = None
    reason_code: Code | None = None
    amount_undue_cents: Annotated[Cents, Field(ge=1)] | None = None
    decided_by: Login
    seconded_by: Login | None = None
    reason: WrittenReason


class ControlEventV1(Contract):
    """A claim selected for control (`selected`), or its control's outcome (`outcome`). Key: the claim_id.

    `selected`: `grounds` are why (CONTROL_SAMPLED, CONTROL_RISK_* codes), `reply_by` the last day (Paris) for the
    firm's invoices and proofs of payment. `outcome`: `outcome`, and for a non-compliant one its `reason_code`,
    `amount_undue_cents` and the recovery order it issued (`recovery_order_id`)."""

    event_id: UUID
    occurred_at: Timestamp
    kind: Literal["selected", "outcome"]
    campaign_id: CampaignId
    claim_id: ClaimId
    programme: str
    siren: Siren
    payment_id: str
    paid_cents: Cents
    grounds: list[Code] = Field(default_factory=list)
    reply_by: dt.date | None = None
    outcome: ControlOutcome | None = None
    reason_code: Code | None = None
    amount_undue_cents: Cents | None = None
    recovery_order_id: str | None = None
    decided_by: Login | None = None
    seconded_by: Login | None = None
    source: Annotated[str, Field(max_length=200)] | None = None


RecoveryStep = Literal["issued", "reminded", "repayment", "settled", "passed_to_collection"]


class RecoveryOrderEventV1(Contract):
    """One step of a recovery order. Key: the claim_id (one order per claim at most).

    Every step carries the order as it stands after it: `amount_cents` ordered, `repaid_cents` so far,
    `outstanding_cents` = amount - repaid. `issued`: the order, with its `due_on` date and the `payment_reference`
    (an ISO 11649 creditor reference, `RF…`) the firm quotes on its transfer to `creditor_iban`. `reminded`: reminder
    number `reminder`. `repayment`: one bank credit matched by its reference (`repayment_cents`, `bank_reference`:
    the bank entry), partial or whole. `settled`: nothing left to repay. `passed_to_collection`: unpaid after its
    reminders, handed to the public accountant for collection (the outstanding amount)."""

    event_id: UUID
    occurred_at: Timestamp
    step: RecoveryStep
    order_id: Annotated[str, Field(pattern=r"^RO-[0-9A-Z]{12}$")]
    claim_id: ClaimId
    programme: str
    siren: Siren
    payment_id: str
    reason_code: Code
    amount_cents: Annotated[Cents, Field(ge=1)]
    repaid_cents: Cents
    outstanding_cents: Cents
    issued_on: dt.date
    due_on: dt.date
    payment_reference: Annotated[str, Field(pattern=r"^RF[0-9]{2}[0-9A-Z]{1,21}$")]
    creditor_name: Annotated[str, Field(max_length=70)]
    creditor_iban: Annotated[str, Field(max_length=34)]
    creditor_bic: Annotated[str, Field(max_length=11)] | None = None
    reminder: Annotated[int, Field(ge=1)] | None = None
    repayment_cents: Annotated[Cents, Field(ge=1)] | None = None
    bank_reference: Annotated[str, Field(max_length=200)] | None = None
    returned_to_envelope: bool = False
    source: Annotated[str, Field(max_length=200)] | None = None
