"""New bank details on the fake unit of work: a returned payment is scheduled again, as a new attempt to the details
in the form the SEPA file carries, unless they cannot be written or divert the grant to another company's account."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from structlog.testing import capture_logs

from guichet_common.contracts import ClaimBankDetailsV1
from guichet_common.pipeline import Subscription
from guichet_common.records import InboundRecord
from guichet_payments.domain import AttemptState, PaymentState, Waiting
from guichet_payments.handlers import Handlers
from guichet_payments.service import PaymentsService
from guichet_payments.settlement import SettlementService, decode_bank_details

from .fakes import (
    IBAN,
    PROGRAMME,
    T0,
    Clock,
    FakePaymentsUnitOfWork,
    approval,
    dead_letter_reasons,
    seed_payment,
    statuses,
    with_envelope,
)

NEW_IBAN = "FR7630006000011234567890189"
CLOCK = Clock(T0)
PAYMENTS = PaymentsService(programmes={PROGRAMME.id: PROGRAMME}, clock=CLOCK)
SETTLEMENTS = SettlementService(PAYMENTS)
HANDLERS = Handlers(PAYMENTS, SETTLEMENTS)  # as subscribed: decoded records to the use case


def details(claim_id: str = "CFN-UNIT-0000001", **changes: Any) -> ClaimBankDetailsV1:
    fields = {"iban": NEW_IBAN, "holder_name": "BOUTIQUE TEST"} | changes
    return ClaimBankDetailsV1(event_id=uuid.uuid4(), occurred_at=T0, claim_id=claim_id, **fields)


async def returned() -> tuple[FakePaymentsUnitOfWork, str]:
    uow = FakePaymentsUnitOfWork()
    await uow.budgets.ensure(PROGRAMME.id, PROGRAMME.budget.total_cents)
    payment, _ = await seed_payment(uow, 1, status=PaymentState.RETURNED)
    return uow, payment.payment_id


async def test_a_returned_payment_goes_out_again_as_a_new_attempt_to_the_canonical_details() -> None:
    uow, payment_id = await returned()
    with capture_logs() as logs:
        published = await SETTLEMENTS.apply_bank_details(
            uow, [details(iban="fr76 3000 6000 0112 3456 7890 189", holder_name="Zoë Ångström")]
        )
    assert published == []
    payment = uow.payments.payments[payment_id]
    assert (payment.status, payment.attempt, payment.returned_at) == (PaymentState.SCHEDULED, 2, None)
    second = uow.payments.attempts[(payment_id, 2)]
    assert (second.status, second.end_to_end_id, second.payee.iban, second.payee.name) == (
        AttemptState.SCHEDULED,
        f"{payment_id}-2",
        NEW_IBAN,
        "Zoe Angstrom",
    )
    assert [(e["event"], e["attempt"]) for e in logs if e["event"] == "payment_reissue_scheduled"] == [
        ("payment_reissue_scheduled", 2)
    ]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"holder_name": "@#%*"}, "HOLDER_NAME_UNWRITABLE"),
        ({"bic": "AAAAFR1A"}, "BIC_INVALID"),
        ({"iban": "FR7630006000011234567890188"}, "IBAN_INVALID"),
        ({"holder_name": "BOUTIQUE\r\nTEST"}, "TEXT_CONTROL_CHARACTERS"),
    ],
)
async def test_details_a_sepa_file_cannot_carry_are_refused_and_the_portal_is_told(
    changes: dict[str, str], code: str
) -> None:
    uow, payment_id = await returned()
    published = await SETTLEMENTS.apply_bank_details(uow, [details(**changes)])
    assert statuses(published) == [("CFN-UNIT-0000001", "payment_returned", [code])]
    assert (uow.payments.payments[payment_id].status, len(uow.payments.attempts)) == (PaymentState.RETURNED, 1)


async def test_an_account_paid_to_or_awaited_by_another_company_is_refused() -> None:
    uow, payment_id = await returned()
    await seed_payment(uow, 2)  # another company, paid to IBAN
    shared = await SETTLEMENTS.apply_bank_details(uow, [details(iban=IBAN)])
    assert statuses(shared) == [("CFN-UNIT-0000001", "payment_returned", ["IBAN_SHARED"])]
    third = approval(3, iban=NEW_IBAN)  # a third company waits to be paid to NEW_IBAN
    await uow.waitlist.add([Waiting(third.claim_id, PROGRAMME.id, third.siren, T0, third.model_dump(mode="json"))])
    awaited = await SETTLEMENTS.apply_bank_details(uow, [details()])
    assert statuses(awaited) == [("CFN-UNIT-0000001", "payment_returned", ["IBAN_SHARED"])]
    assert uow.payments.payments[payment_id].status == PaymentState.RETURNED


async def test_the_companys_own_account_is_not_shared() -> None:
    uow, payment_id = await returned()
    await SETTLEMENTS.apply_bank_details(uow, [details(iban=IBAN)])
    assert uow.payments.attempts[(payment_id, 2)].payee.iban == IBAN


async def test_details_for_a_claim_without_a_returned_payment_change_nothing() -> None:
    uow = await with_envelope()
    await seed_payment(uow, 1)  # sent, not returned
    with capture_logs() as logs:
        assert await SETTLEMENTS.apply_bank_details(uow, [details(), details("CFN-NOPE")]) == []
    assert [e["event"] for e in logs].count("bank_details_without_returned_payment") == 2
    assert len(uow.payments.attempts) == 1


async def test_a_claim_id_holding_a_control_character_is_dead_lettered_and_the_batch_goes_on() -> None:
    uow, payment_id = await returned()
    subscription = Subscription(HANDLERS.bank_details, decode_bank_details)

    def record(offset: int, claim_id: str) -> InboundRecord:
        value = details(claim_id).model_dump(mode="json") | {"claim_id": claim_id}
        return InboundRecord("claims.bank-details.v1", 0, offset, b"k", json.dumps(value).encode())

    await subscription.apply(uow, [record(1, "CFN-UNIT-0000001\x00"), record(2, "CFN-UNIT-0000001")])
    assert dead_letter_reasons(uow, "claims.bank-details.v1") == ["claim_id holds a control character"]
    assert uow.payments.payments[payment_id].attempt == 2
