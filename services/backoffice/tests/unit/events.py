"""Records as the back-office receives them: contract events serialised, and dead letters with their dlq.* headers."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import uuid
from typing import Any

from pydantic import BaseModel

from guichet_backoffice.settings import BackofficeSettings
from guichet_common.contracts import EXAMPLES, ClaimRegisteredV1, ClaimStatusV1, ClaimSubmittedV1, PaymentIssuedV1
from guichet_common.contracts.backoffice import BudgetV1, JudgementV1, RuleResultV1, SepaFileV1
from guichet_common.privacy.keyring import KeyId, KeyState, Sealer
from guichet_common.records import InboundRecord, dead_letter

NOW = dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC)
CLAIM = ClaimSubmittedV1.model_validate_json((EXAMPLES / "claims.submitted.v1.json").read_bytes()).claim
_offsets = iter(range(1_000_000))
MASTER = BackofficeSettings().master_key()  # the development key: what the tests' Opener unwraps with
# The keys intake (or payments) made for the subjects sealed here, as the back-office's copies would hold them: every
# fake unit of work reads this ring (fakes.FakeBackofficeUnitOfWork), as if the key topic had been read first.
KEY_STATES: dict[KeyId, KeyState] = {}


_DATA_KEYS: dict[KeyId, bytes] = {}


def data_key(subject: str, kind: str) -> bytes:
    """The key of (subject, kind), made the first time (its wrapped form put in KEY_STATES)."""
    if (subject, kind) not in _DATA_KEYS:
        made = Sealer(MASTER).new_keys(subject, [kind])[kind]
        KEY_STATES[(subject, kind)] = KeyState(made[1], None)
        _DATA_KEYS[(subject, kind)] = made[0]
    return _DATA_KEYS[(subject, kind)]


def sealed(subject: str, kind: str, fields: dict[str, str | None]) -> dict[str, str | None]:
    return Sealer.seal_fields(data_key(subject, kind), kind, subject, fields)


def record(topic: str, event: BaseModel | bytes, *, key: bytes = b"k", offset: int | None = None) -> InboundRecord:
    value = event if isinstance(event, bytes) else event.model_dump_json().encode()
    return InboundRecord(
        topic, 0, next(_offsets) if offset is None else offset, key, value, timestamp_ms=1_614_679_200_000
    )


def at(minutes: int) -> dt.datetime:
    return NOW + dt.timedelta(minutes=minutes)


def status(claim_id: str, name: str, minutes: int = 0, **fields: Any) -> ClaimStatusV1:
    return ClaimStatusV1(
        event_id=uuid.uuid4(),
        occurred_at=at(minutes),
        claim_id=claim_id,
        programme=CLAIM.programme,
        siren=CLAIM.applicant.siren,
        status=name,
        reasons=fields.pop("reasons", []),
        **fields,
    )


def registered(claim_id: str, siren: str | None = None) -> ClaimRegisteredV1:
    applicant = CLAIM.applicant.model_copy(update={"siren": siren or CLAIM.applicant.siren})
    claim = CLAIM.model_copy(update={"claim_id": claim_id, "applicant": applicant}).model_dump(mode="json")
    claim["contact"] = sealed(claim_id, "contact", claim["contact"])
    claim["bank_account"] = sealed(claim_id, "bank", claim["bank_account"])
    event = {"event_id": str(uuid.uuid4()), "occurred_at": NOW.isoformat(), "correlation_id": str(uuid.uuid4())}
    return ClaimRegisteredV1.model_validate_json(json.dumps(event | {"claim": claim}))


def judgement(claim_id: str, name: str, minutes: int = 0, reasons: tuple[str, ...] = (), **fields: Any) -> JudgementV1:
    return JudgementV1(
        event_id=uuid.uuid4(),
        occurred_at=at(minutes),
        claim_id=claim_id,
        programme=CLAIM.programme,
        siren=CLAIM.applicant.siren,
        status=name,
        rule_version="2021-01",
        reasons=list(reasons),
        rules=[RuleResultV1(code=code, passed=False, observed={"seen": 1}) for code in reasons]
        + [RuleResultV1(code="SIREN_ACTIVE", passed=True)],
        **fields,
    )


def issued(
    claim_id: str, payment_id: str, attempt: int = 1, minutes: int = 0, batch_id: str = "B-1"
) -> PaymentIssuedV1:
    return PaymentIssuedV1(
        event_id=uuid.uuid4(),
        occurred_at=at(minutes),
        payment_id=payment_id,
        claim_id=claim_id,
        programme=CLAIM.programme,
        siren=CLAIM.applicant.siren,
        beneficiary_name="Boulangerie Martin",
        iban="FR7630006000011234567890189",
        amount_cents=150_000,
        end_to_end_id=f"{payment_id}-{attempt}",
        remittance_information="Aide",
        batch_id=batch_id,
        requested_execution_date=NOW.date(),
        attempt=attempt,
    )


def budget(programme: str, reserved_cents: int, minutes: int = 0) -> BudgetV1:
    return BudgetV1(
        event_id=uuid.uuid4(),
        occurred_at=at(minutes),
        programme=programme,
        total_cents=10_000_000,
        reserved_cents=reserved_cents,
        paid_cents=0,
        released_cents=0,
        waitlisted=0,
    )


def sepa_file(batch_id: str, content: bytes = b"<Document/>", *, corrupt: bool = False) -> SepaFileV1:
    encoded = base64.b64encode(gzip.compress(content)).decode()
    return SepaFileV1(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        batch_id=batch_id,
        programme=CLAIM.programme,
        file_name=f"pain001-{batch_id}.xml",
        payments=1,
        total_cents=150_000,
        sha256=hashlib.sha256(content).hexdigest(),
        content_gzip_base64="!!" + encoded if corrupt else encoded,
    )


def dead_letter_record(original_topic: str, value: bytes, reason: str, *, offset: int = 0) -> InboundRecord:
    """A record of `<original_topic>.dlq` as the owner's relay published it."""
    original = InboundRecord(original_topic, 2, 41, b"k", value, (("trace", b"\x00x"),))
    message = dead_letter(original, reason)
    return InboundRecord(
        message.topic, 1, offset, message.key, message.value, tuple(message.headers), 1_614_679_200_000
    )
