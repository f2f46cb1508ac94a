"""Personal data in payments, on the fake unit of work: approvals' sealed bank details opened with the claims' key
copies; intake's erasures of bank data followed (attempts pseudonymised, key copy destroyed, erasure recorded and
announced once); a batch emptied of every claim's bank data loses its pain.001 and its key; an export."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from guichet_common.contracts import ClaimBankDetailsV1
from guichet_common.contracts.backoffice import OperatorCommandV1
from guichet_common.contracts.privacy import PrivacyErasedV1
from guichet_common.operator_commands import CommandRefused
from guichet_common.privacy.keyring import Sealer
from guichet_common.privacy.sealing import DEVELOPMENT_MASTER_KEY, KeyNotYetKnown, MasterKey
from guichet_payments import batch_keys
from guichet_payments.batching import Batcher
from guichet_payments.domain import Waiting
from guichet_payments.erasure import ErasureFollower
from guichet_payments.privacy_requests import PaymentsPrivacy
from guichet_payments.sealed_payees import development_opener
from guichet_payments.service import PaymentsService
from guichet_payments.settlement import SettlementService

from .fakes import (
    GRANT,
    IBAN,
    PROGRAMME,
    T0,
    Clock,
    FakePaymentsUnitOfWork,
    approval,
    programme_of,
    statuses,
    values,
    with_envelope,
)

PROGRAMMES = {PROGRAMME.id: PROGRAMME}
SEALER = Sealer(MasterKey(DEVELOPMENT_MASTER_KEY))
NAME = "BOUTIQUE DUPONT"


async def sealed_approval(uow: FakePaymentsUnitOfWork, n: int, *, key_known: bool = True) -> Any:
    """Claim `n`'s approval as eligibility passes it on: bank fields sealed under the claim's bank key, of which
    payments holds a copy (as `privacy.claim-keys.v1` gives it) unless `key_known` is False."""
    claim_id = f"CFN-UNIT-{n:07d}"
    data_key, wrapped = SEALER.new_keys(claim_id, ["bank"])["bank"]
    if key_known:
        await uow.keys.put([(claim_id, "bank", wrapped)], T0)
    sealed = Sealer.seal_fields(data_key, "bank", claim_id, {"beneficiary_name": NAME, "iban": IBAN, "bic": "AGRIFRPP"})
    return approval(n, **sealed)


def erased(claim_id: str, *, service: str = "intake", kind: str = "bank", **fields: Any) -> PrivacyErasedV1:
    return PrivacyErasedV1.model_validate(
        {
            "event_id": uuid.uuid4(),
            "occurred_at": T0,
            "claim_id": claim_id,
            "programme": PROGRAMME.id,
            "kind": kind,
            "service": service,
            "reason": "retention",
            "erased_at": T0,
        }
        | fields,
        strict=False,
    )


async def paid_in_one_batch(tmp_path: Path, clock: Clock, *claims: int) -> FakePaymentsUnitOfWork:
    uow = await with_envelope()
    service = PaymentsService(programmes=PROGRAMMES, clock=clock)
    await service.apply_approvals(uow, [await sealed_approval(uow, n) for n in claims])
    clock.now += dt.timedelta(seconds=6)
    assert await Batcher(PROGRAMMES, tmp_path, max_age=dt.timedelta(seconds=5), clock=clock).close_due_batches(uow) == 1
    uow.published.clear()
    return uow


async def test_sealed_bank_details_are_opened_into_the_payment_attempt() -> None:
    uow = await with_envelope()
    await PaymentsService(programmes=PROGRAMMES, clock=Clock()).apply_approvals(uow, [await sealed_approval(uow, 1)])
    [attempt] = uow.payments.attempts.values()
    assert (attempt.payee.name, attempt.payee.iban, attempt.payee.bic) == (NAME, IBAN, "AGRIFRPP")


async def test_an_approval_whose_key_has_not_arrived_waits_for_it() -> None:
    uow = await with_envelope()
    pending = await sealed_approval(uow, 1, key_known=False)
    with pytest.raises(KeyNotYetKnown):  # the consumer waits and fetches the batch again
        await PaymentsService(programmes=PROGRAMMES, clock=Clock()).apply_approvals(uow, [pending])


async def test_intake_s_bank_erasure_pseudonymises_the_attempts_and_is_announced_once(tmp_path: Path) -> None:
    clock = Clock()
    uow = await paid_in_one_batch(tmp_path, clock, 1, 2)
    follower = ErasureFollower(development_opener(), clock=clock)
    asked = erased("CFN-UNIT-0000001", reason="request", request_id=str(uuid.uuid4()), requested_by="dpo")

    published = await follower.follow(uow, [asked])

    by_claim = {p.claim_id: p for p in uow.payments.payments.values()}
    first, second = (
        uow.payments.attempts[(by_claim[c].payment_id, 1)] for c in ("CFN-UNIT-0000001", "CFN-UNIT-0000002")
    )
    assert (first.payee.name, first.payee.iban, first.payee.bic) == (None, None, None)
    assert (first.amount_cents, first.end_to_end_id, first.batch_id) == (
        second.amount_cents,
        first.end_to_end_id,
        second.batch_id,
    )
    assert second.payee.iban == IBAN  # the other claim keeps its data
    assert uow.keys.keys[("CFN-UNIT-0000001", "bank")].wrapped is None
    assert ("CFN-UNIT-0000001", "bank") in uow.erasures.recorded
    [announcement] = values(published, "privacy.erased.v1")
    assert (announcement["service"], announcement["kind"], announcement["claim_id"]) == (
        "payments",
        "bank",
        "CFN-UNIT-0000001",
    )
    assert (announcement["reason"], announcement["requested_by"]) == ("request", "dpo")
    assert await follower.follow(uow, [asked]) == []  # already erased here: nothing again


async def test_announcements_of_other_services_and_of_contact_data_change_nothing(tmp_path: Path) -> None:
    clock = Clock()
    uow = await paid_in_one_batch(tmp_path, clock, 1)
    follower = ErasureFollower(development_opener(), clock=clock)
    ignored = [erased("CFN-UNIT-0000001", service="notifications"), erased("CFN-UNIT-0000001", kind="contact")]
    assert await follower.follow(uow, ignored) == []
    [attempt] = uow.payments.attempts.values()
    assert attempt.payee.iban == IBAN and uow.erasures.recorded == {}


async def test_a_batch_loses_its_file_and_key_once_every_claim_in_it_is_erased(tmp_path: Path) -> None:
    clock = Clock()
    uow = await paid_in_one_batch(tmp_path, clock, 1, 2)
    [batch] = uow.payments.batches
    subject = batch_keys.batch_subject(batch.batch_id)
    follower = ErasureFollower(development_opener(), clock=clock)

    assert values(await follower.follow(uow, [erased("CFN-UNIT-0000001")]), "privacy.claim-keys.v1") == []
    assert Path(batch.file_path).exists() and uow.keys.keys[(subject, "bank")].wrapped is not None

    published = await follower.follow(uow, [erased("CFN-UNIT-0000002")])
    assert not Path(batch.file_path).exists()
    assert uow.keys.keys[(subject, "bank")].wrapped is None
    assert uow.privacy.files_erased == {batch.batch_id: clock.now}
    [key] = values(published, "privacy.claim-keys.v1")
    assert (key["subject"], key["owner"], key["keys"]) == (subject, "payments", {"bank": None})
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == [f"{batch.batch_id}.control.csv", f"{batch.batch_id}.control.html"]  # no name, IBANs masked
    for sheet in kept:
        text = (tmp_path / sheet).read_text(encoding="utf-8-sig")
        assert IBAN not in text and NAME not in text and "FR**" in text


def test_a_batch_id_the_key_topic_cannot_name_is_named_by_a_digest() -> None:
    assert batch_keys.batch_subject("CFN-20210302-110006-abc123") == "batch-CFN-20210302-110006-abc123"
    odd = batch_keys.batch_subject("B_2021.03")
    assert odd.startswith("batch-") and odd.replace("-", "").isalnum() and odd != batch_keys.batch_subject("B_2021_03")


def command(*claim_ids: str) -> OperatorCommandV1:
    return OperatorCommandV1.model_validate(
        {
            "event_id": uuid.uuid4(),
            "occurred_at": T0,
            "service": "payments",
            "action": "privacy_export",
            "target": ",".join(claim_ids),
            "requested_by": "dpo",
            "reason": "Demande d'accès de la personne (article 15)",
            "claim_ids": list(claim_ids),
        },
        strict=False,
    )


async def test_an_export_shows_the_bank_data_opened_then_erased(tmp_path: Path) -> None:
    clock = Clock()
    uow = await paid_in_one_batch(tmp_path, clock, 1, 2)
    waiting = await sealed_approval(uow, 3)
    uow.waitlist.entries[waiting.claim_id] = _waiting(waiting)
    privacy = PaymentsPrivacy(development_opener())

    before = await privacy.export(uow, command("CFN-UNIT-0000001", "CFN-UNIT-0000003"))
    assert {r.claim_id for r in before} == {"CFN-UNIT-0000001", "CFN-UNIT-0000003"}  # nothing of claim 2
    [attempt] = [r for r in before if r.store == "table payment_attempts"]
    assert (attempt.fields["beneficiary_name"], attempt.fields["iban"]) == (NAME, IBAN)
    [queued] = [r for r in before if r.store == "table waitlist"]
    assert queued.fields["iban"] == IBAN  # opened from its sealed copy

    await ErasureFollower(development_opener(), clock=clock).follow(uow, [erased("CFN-UNIT-0000001")])
    after = await privacy.export(uow, command("CFN-UNIT-0000001"))
    [attempt] = [r for r in after if r.store == "table payment_attempts"]
    assert attempt.fields["iban"] == {"erased_on": clock.now.date().isoformat()}
    assert IBAN not in json.dumps([r.model_dump(mode="json") for r in after])


async def test_erasure_and_rectification_are_not_payments_to_apply() -> None:
    privacy, uow = PaymentsPrivacy(development_opener()), FakePaymentsUnitOfWork()
    with pytest.raises(CommandRefused):
        await privacy.erase(uow, command("CFN-UNIT-0000001"), T0)
    with pytest.raises(CommandRefused):
        await privacy.rectify(uow, command("CFN-UNIT-0000001"), T0)


def _waiting(decided: Any) -> Waiting:
    return Waiting(
        decided.claim_id, decided.programme, decided.siren, decided.submitted_at, decided.model_dump(mode="json")
    )


async def test_new_details_naming_the_account_of_another_company_waiting_sealed_are_refused() -> None:
    """A waiting approval's IBAN is sealed: payments keeps its keyed fingerprint to still see the account shared."""
    uow = await with_envelope(GRANT)
    service = PaymentsService(programmes={PROGRAMME.id: programme_of(GRANT)}, clock=Clock())
    await service.apply_approvals(uow, [await sealed_approval(uow, 1)])
    await service.apply_approvals(uow, [await sealed_approval(uow, 2)])  # waits, paid to IBAN when served
    [payment] = uow.payments.payments.values()
    [attempt] = uow.payments.attempts.values()
    payment, attempt = payment.send(attempt, "B-1")
    payment, attempt = payment.record_return(attempt, "AC04", T0)
    uow.payments.payments[payment.payment_id], uow.payments.attempts[(payment.payment_id, 1)] = payment, attempt
    new = ClaimBankDetailsV1(
        event_id=uuid.uuid4(), occurred_at=T0, claim_id=payment.claim_id, iban=IBAN, holder_name=NAME
    )

    published = await SettlementService(service).apply_bank_details(uow, [new])

    assert statuses(published) == [(payment.claim_id, "payment_returned", ["IBAN_SHARED"])]
