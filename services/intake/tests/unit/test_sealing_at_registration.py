"""Registration seals the claim's people: the claim's two keys are made, stored wrapped and announced before any
event sealed under them; nothing personal leaves intake, or stays in it, in clear."""

from __future__ import annotations

import base64
import datetime as dt
import json

from guichet_common.privacy.sealing import is_sealed, parse
from guichet_intake.service import DEVELOPMENT_MASTER

from .fakes import FakeIntakeUnitOfWork, opened
from .test_claims_submitted import CLAIM_ID, EXAMPLE, apply, event, malformed, outbox

PERSONAL = [
    EXAMPLE["claim"]["contact"]["email"],
    EXAMPLE["claim"]["contact"]["full_name"],
    EXAMPLE["claim"]["bank_account"]["holder_name"],
    EXAMPLE["claim"]["bank_account"]["iban"].replace(" ", ""),
]


def everything_written(uow: FakeIntakeUnitOfWork) -> str:
    stored = [json.dumps(r.payload) for r in uow.claims.registered.values()]
    details = [json.dumps(r.details) for r in uow.claims.refusals]
    return "\n".join([*(m.value.decode() for m in uow.committed), *stored, *details])


async def test_the_claims_keys_are_stored_and_announced_before_the_registered_claim() -> None:
    uow = FakeIntakeUnitOfWork()
    await apply(uow, event())
    [announced] = outbox(uow, "privacy.claim-keys.v1")
    assert (announced["subject"], announced["owner"]) == (CLAIM_ID, "intake")
    held = await uow.keys.get([(CLAIM_ID, "contact"), (CLAIM_ID, "bank")])
    assert {kind: base64.b64decode(wrapped) for kind, wrapped in announced["keys"].items()} == {
        kind: state.wrapped for (_, kind), state in held.items()
    }
    assert [m.key for m in uow.committed][:1] == [CLAIM_ID.encode()]  # compacted by subject


async def test_the_contact_and_the_bank_account_are_sealed_under_their_kind() -> None:
    uow = FakeIntakeUnitOfWork()
    await apply(uow, event())
    [registered] = outbox(uow, "intake.claims-registered.v1")
    claim = registered["claim"]
    assert {parse(v).kind for v in claim["contact"].values()} == {"contact"}
    assert {parse(v).kind for v in claim["bank_account"].values()} == {"bank"}
    assert {parse(v).subject for v in [*claim["contact"].values(), *claim["bank_account"].values()]} == {CLAIM_ID}
    assert await opened(uow, claim["contact"]["full_name"]) == EXAMPLE["claim"]["contact"]["full_name"]
    assert registered["iban_fingerprint"] == DEVELOPMENT_MASTER.fingerprint(PERSONAL[3].upper())
    [contact] = outbox(uow, "intake.applicant-contacts.v1")
    assert is_sealed(contact["email"]) and is_sealed(contact["full_name"])
    stored = uow.claims.registered[CLAIM_ID].payload
    assert stored["contact"] == claim["contact"] and stored["bank_account"] == claim["bank_account"]
    assert not any(value in everything_written(uow) for value in PERSONAL)


async def test_a_refused_contact_is_sealed_under_a_contact_key_announced_first() -> None:
    uow = FakeIntakeUnitOfWork()
    await apply(uow, malformed(email=PERSONAL[0]))
    topics = [m.topic.removeprefix("t.") for m in uow.committed]
    assert topics[:2] == ["privacy.claim-keys.v1", "intake.applicant-contacts.v1"]
    [announced] = outbox(uow, "privacy.claim-keys.v1")
    assert list(announced["keys"]) == ["contact"]
    assert not any(value in everything_written(uow) for value in PERSONAL)


async def test_the_same_refused_content_again_seals_with_the_key_it_already_has() -> None:
    uow = FakeIntakeUnitOfWork()
    first = malformed(email=PERSONAL[0])
    await apply(uow, first)
    await apply(uow, {**first, "event_id": "7b0f4a36-4a36-4a36-8a36-4a364a364a36"})
    assert len(outbox(uow, "privacy.claim-keys.v1")) == 1  # a new key would leave the first contact unreadable
    contacts = outbox(uow, "intake.applicant-contacts.v1")
    assert [await opened(uow, c["email"]) for c in contacts] == [PERSONAL[0]] * 2


async def test_a_claim_whose_contact_was_erased_gets_no_new_key_and_no_contact() -> None:
    uow = FakeIntakeUnitOfWork()
    await uow.keys.destroy([(CLAIM_ID, "contact")], dt.datetime(2023, 1, 2, tzinfo=dt.UTC))
    await apply(uow, malformed())
    assert outbox(uow, "intake.applicant-contacts.v1") == [] and outbox(uow, "privacy.claim-keys.v1") == []
    assert [s["status"] for s in outbox(uow, "claims.status.v1")] == ["received", "refused"]


async def test_a_schema_message_quoting_an_email_is_kept_masked() -> None:
    uow = FakeIntakeUnitOfWork()
    value = event()
    value["claim"]["contact"]["jean.dupont@example.org"] = "extra"  # a sender's own key is quoted by the path
    await apply(uow, value)
    [refusal] = uow.claims.refusals
    assert refusal.details and "jean.dupont@example.org" not in json.dumps(refusal.details)
