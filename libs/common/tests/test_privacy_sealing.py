"""Sealed fields: AES-GCM under a subject's data key, bound to its subject and kind; the key ring and the opener
that say which values are erased; the copies of keys kept from the key topic."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from guichet_common.contracts.privacy import ClaimKeysV1
from guichet_common.privacy.key_copies import decode_key_record, key_copies
from guichet_common.privacy.keyring import Erased, InMemoryKeyRing, Opener, Sealer
from guichet_common.privacy.sealing import (
    KeyNotYetKnown,
    MasterKey,
    SealingError,
    is_sealed,
    new_data_key,
    parse,
    seal,
    unseal,
)
from guichet_common.records import InboundRecord
from guichet_common.unit_of_work import FakeUnitOfWork

MASTER = MasterKey(bytes(range(32)))
AT = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)


def test_a_sealed_value_opens_with_its_key_and_shows_nothing_of_the_plaintext() -> None:
    key = new_data_key()
    sealed = seal(key, "contact", "CFN-00000001", "jeanne.martin@example.fr")
    assert is_sealed(sealed) and "jeanne" not in sealed and "example" not in sealed
    assert sealed.startswith("sealed:v1:contact:CFN-00000001:")
    assert unseal(key, sealed) == "jeanne.martin@example.fr"
    # Two seals of the same value differ (a fresh nonce each time): equal values cannot be spotted on a topic.
    assert seal(key, "contact", "CFN-00000001", "x") != seal(key, "contact", "CFN-00000001", "x")


def test_a_sealed_value_moved_to_another_claim_or_kind_does_not_open() -> None:
    key = new_data_key()
    sealed = seal(key, "bank", "CFN-00000001", "FR7630001007941234567890185")
    moved = sealed.replace("CFN-00000001", "CFN-00000002")
    with pytest.raises(SealingError):
        unseal(key, moved)
    with pytest.raises(SealingError):
        unseal(key, sealed.replace(":bank:", ":contact:"))
    with pytest.raises(SealingError):
        unseal(new_data_key(), sealed)


@pytest.mark.parametrize("value", ["sealed:v1:", "sealed:v1:contact", "sealed:v1:contact:C:", "sealed:v1:c:C:!!!"])
def test_a_malformed_sealed_value_is_refused_with_a_reason(value: str) -> None:
    with pytest.raises(SealingError):
        parse(value)


def test_the_master_key_wraps_data_keys_and_never_shows_itself() -> None:
    key = new_data_key()
    assert MASTER.unwrap(MASTER.wrap(key)) == key
    assert "MasterKey(***)" == repr(MASTER)
    assert MasterKey.from_base64(base64.b64encode(bytes(32)).decode()).secret == bytes(32)
    with pytest.raises(ValueError):
        MasterKey.from_base64("c2hvcnQ=")
    # The fingerprint compares equal values without showing them, and depends on the master key.
    assert MASTER.fingerprint("FR76") == MASTER.fingerprint("FR76") != MasterKey(bytes(32)).fingerprint("FR76")


async def test_the_opener_opens_says_erased_and_waits_for_a_key_not_yet_here() -> None:
    ring, sealer = InMemoryKeyRing(), Sealer(MASTER)
    made = sealer.new_keys("CFN-1", ["contact", "bank"])
    await ring.put([("CFN-1", kind, wrapped) for kind, (_, wrapped) in made.items()], AT)
    email = seal(made["contact"][0], "contact", "CFN-1", "a@b.fr")
    iban = seal(made["bank"][0], "bank", "CFN-1", "FR7630001007941234567890185")
    opener = Opener(MASTER)
    assert await opener.open_many(ring, [email, iban, None, "plain"]) == {
        email: "a@b.fr",
        iban: "FR7630001007941234567890185",
    }
    later = AT + dt.timedelta(days=1)
    assert await ring.destroy([("CFN-1", "bank")], later) == [("CFN-1", "bank")]
    opener.forget([("CFN-1", "bank")])
    opened = await opener.open_many(ring, [iban])
    assert opened == {iban: Erased(later)}
    # A key announced again after its destruction stays destroyed.
    await ring.put([("CFN-1", "bank", made["bank"][1])], later)
    assert await opener.open_many(ring, [iban]) == {iban: Erased(later)}
    other = seal(new_data_key(), "contact", "CFN-2", "c@d.fr")
    with pytest.raises(KeyNotYetKnown):
        await opener.open_many(ring, [other])


def _record(value: bytes | None, key: bytes = b"CFN-1") -> InboundRecord:
    return InboundRecord(topic="privacy.claim-keys.v1", partition=0, offset=1, key=key, value=value)


async def test_key_copies_keep_announced_keys_and_destroy_them_for_good() -> None:
    wrapped = MASTER.wrap(new_data_key())
    announced = ClaimKeysV1(
        subject="CFN-1",
        owner="intake",
        keys={"contact": base64.b64encode(wrapped).decode(), "bank": base64.b64encode(wrapped).decode()},
        occurred_at=AT,
    ).model_dump_json()
    destroyed = json.dumps(
        {"subject": "CFN-1", "owner": "intake", "keys": {"bank": None}, "occurred_at": AT.isoformat()}
    )
    uow, subscription = FakeUnitOfWork(), key_copies(Opener(MASTER))
    await subscription.apply(uow, [_record(announced.encode())])
    assert (await uow.keys.get([("CFN-1", "contact")]))[("CFN-1", "contact")].wrapped == wrapped
    await subscription.apply(uow, [_record(destroyed.encode()), _record(announced.encode())])
    states = await uow.keys.get([("CFN-1", "contact"), ("CFN-1", "bank")])
    assert states[("CFN-1", "bank")].wrapped is None and states[("CFN-1", "contact")].wrapped == wrapped
    # A tombstone destroys every kind of its subject.
    await subscription.apply(uow, [_record(None)])
    assert all(s.wrapped is None for s in (await uow.keys.get([("CFN-1", "contact"), ("CFN-1", "bank")])).values())


def test_a_key_record_that_is_not_base64_is_refused() -> None:
    bad = json.dumps({"subject": "CFN-1", "owner": "intake", "keys": {"bank": "***"}, "occurred_at": AT.isoformat()})
    with pytest.raises(Exception, match="base64"):
        decode_key_record(_record(bad.encode()))
