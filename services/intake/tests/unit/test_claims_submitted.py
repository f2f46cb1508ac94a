"""claims.submitted.v1 on a fake unit of work, as the pipeline runs it (decode, inbox, handler, outbox): each new
submission is registered or refused once; what cannot be announced under its claim_id is dead-lettered."""

from __future__ import annotations

import copy
import itertools
import json
import uuid
from typing import Any

import pytest

from guichet_common.contracts import EXAMPLES
from guichet_common.pipeline import Subscription
from guichet_common.records import InboundRecord
from guichet_intake import handlers, service
from guichet_intake.handlers import IntakeHandlers, decode_submission
from guichet_intake.service import IntakeService

from .fakes import FakeIntakeUnitOfWork, opened

EXAMPLE = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text())
CLAIM_ID = EXAMPLE["claim"]["claim_id"]
REAL = EXAMPLE["claim"]["contact"]["email"]
INTRUDER = "intrus@example.org"
PREFIX = "t."
SUBMITTED = PREFIX + "claims.submitted.v1"
HANDLERS = IntakeHandlers(IntakeService(programmes=frozenset({"cheque-france-num-2021"}), topic_prefix=PREFIX))
SUBMISSIONS: Subscription[Any, Any] = Subscription(HANDLERS.on_claims_submitted, decode_submission)
OFFSETS = itertools.count()


def event(**claim_changes: Any) -> dict[str, Any]:
    value = copy.deepcopy(EXAMPLE)
    value["event_id"] = str(uuid.uuid4())
    value["claim"].update(claim_changes)
    return value


def malformed(claim_id: str = CLAIM_ID, email: str = INTRUDER) -> dict[str, Any]:
    """A submission that fails the schema but keeps a claim_id and an e-mail address."""
    value = event(claim_id=claim_id)
    value["claim"]["contact"]["email"] = email
    value["claim"]["applicant"]["headcount"] = "three"
    return value


def record(value: dict[str, Any] | bytes, offset: int | None = None) -> InboundRecord:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return InboundRecord(SUBMITTED, 0, next(OFFSETS) if offset is None else offset, b"642515712", raw)


async def apply(uow: FakeIntakeUnitOfWork, *values: dict[str, Any] | bytes | InboundRecord) -> None:
    """One batch, as the consumer hands it over."""
    await SUBMISSIONS.apply(uow, [v if isinstance(v, InboundRecord) else record(v) for v in values])


def outbox(uow: FakeIntakeUnitOfWork, topic: str) -> list[dict[str, Any]]:
    return [json.loads(m.value) for m in uow.committed if m.topic == PREFIX + topic]


def statuses(uow: FakeIntakeUnitOfWork) -> list[tuple[str, str, list[str]]]:
    return [(v["claim_id"], v["status"], v["reasons"]) for v in outbox(uow, "claims.status.v1")]


def dead_letter_reasons(uow: FakeIntakeUnitOfWork) -> list[str]:
    return [dict(m.headers)["dlq.reason"].decode() for m in uow.committed if m.topic == SUBMITTED + ".dlq"]


class Logs:
    """Stands in for a module's structlog logger: the event names it was given, in order."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def __getattr__(self, level: str):
        return lambda event, **fields: self.events.append(event)


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Logs:
    # Patched rather than captured: a logger structlog has cached since configure_logging ignores capture_logs.
    logs = Logs()
    monkeypatch.setattr(service, "log", logs)
    monkeypatch.setattr(handlers, "log", logs)
    return logs


async def test_a_valid_claim_is_registered_and_announced_with_its_contact(logs: Logs) -> None:
    uow = FakeIntakeUnitOfWork()
    submitted = event()
    submitted["claim"]["bank_account"]["iban"] = "fr7693233145437431125912957"
    await apply(uow, submitted)
    assert [m.topic for m in uow.committed] == [  # the keys before anything sealed under them
        "t.privacy.claim-keys.v1",
        "t.intake.claims-registered.v1",
        "t.intake.applicant-contacts.v1",
        "t.claims.status.v1",
    ]
    assert statuses(uow) == [(CLAIM_ID, "received", [])]
    [contact] = outbox(uow, "intake.applicant-contacts.v1")
    assert (await opened(uow, contact["email"]), contact["iban_last4"]) == (REAL, "2957")
    assert contact["correlation_id"] == submitted["event_id"]
    [registered] = outbox(uow, "intake.claims-registered.v1")
    iban = registered["claim"]["bank_account"]["iban"]
    assert await opened(uow, iban) == "FR7693233145437431125912957"  # canonical form
    stored = uow.claims.registered[CLAIM_ID]
    assert stored.event_id == uuid.UUID(submitted["event_id"])
    assert await opened(uow, stored.payload["bank_account"]["iban"]) == "FR7693233145437431125912957"
    assert uow.commits == 1 and uow.claims.refusals == []
    assert logs.events == ["claim_registered"]


async def test_a_claim_failing_its_checks_is_refused_with_every_code(logs: Logs) -> None:
    uow = FakeIntakeUnitOfWork()
    submitted = event(programme="unknown-programme")
    submitted["claim"]["applicant"]["siren"] = "642515713"
    submitted["claim"]["bank_account"]["iban"] = "FR7693233145437431125912958"
    await apply(uow, submitted)
    codes = ["SIREN_INVALID", "SIRET_INVALID", "IBAN_INVALID", "UNKNOWN_PROGRAMME"]
    assert statuses(uow) == [(CLAIM_ID, "received", []), (CLAIM_ID, "refused", codes)]
    [contact] = outbox(uow, "intake.applicant-contacts.v1")
    assert "iban_last4" not in contact  # the last digits of an invalid IBAN say nothing the applicant can use
    [refusal] = uow.claims.refusals
    assert (refusal.claim_id, refusal.codes, refusal.digest is not None) == (CLAIM_ID, codes, True)
    assert uow.claims.registered == {}
    assert outbox(uow, "intake.claims-registered.v1") == []
    assert logs.events == ["submission_refused"]


async def test_an_edge_code_comes_with_details_naming_the_field() -> None:
    uow = FakeIntakeUnitOfWork()
    submitted = event()
    submitted["claim"]["bank_account"]["bic"] = "AAAAFR1A"
    await apply(uow, submitted)
    assert statuses(uow)[-1] == (CLAIM_ID, "refused", ["BIC_INVALID"])
    [refusal] = uow.claims.refusals
    assert refusal.details[0].startswith("claim.bank_account.bic:")


async def test_a_schema_invalid_submission_is_refused_under_its_salvaged_claim_id() -> None:
    uow = FakeIntakeUnitOfWork()
    await apply(uow, malformed())
    assert statuses(uow) == [(CLAIM_ID, "received", []), (CLAIM_ID, "refused", ["SCHEMA_INVALID"])]
    [contact] = outbox(uow, "intake.applicant-contacts.v1")
    assert await opened(uow, contact["email"]) == INTRUDER  # told about its own refusal
    [refusal] = uow.claims.refusals
    assert refusal.codes == ["SCHEMA_INVALID"]
    assert refusal.details and refusal.details[0].startswith("claim.applicant.headcount:")
    assert dead_letter_reasons(uow) == []


async def test_a_schema_invalid_submission_without_a_usable_claim_id_is_dead_lettered(logs: Logs) -> None:
    uow = FakeIntakeUnitOfWork()
    hostile = record(event(claim_id="CFN-2021-\x00NUL0001"))
    await apply(uow, hostile, event())
    [reason] = dead_letter_reasons(uow)
    assert reason.startswith("SCHEMA_INVALID without a usable claim_id: claim.claim_id:")
    [dead] = [m for m in uow.committed if m.topic == SUBMITTED + ".dlq"]
    assert (dead.value, dict(dead.headers)["dlq.original.offset"]) == (hostile.value, str(hostile.offset).encode())
    assert statuses(uow) == [(CLAIM_ID, "received", [])]  # and the rest of its batch goes on
    assert uow.claims.refusals == []
    assert logs.events == ["submission_dead_lettered", "claim_registered"]


async def test_unreadable_values_are_dead_lettered_with_their_reason(logs: Logs) -> None:
    uow = FakeIntakeUnitOfWork()
    deep = json.dumps(event(claim_id="CFN-2021-HOSTILE9", filed_by="__DEEP__")).replace(
        '"__DEEP__"', "[" * 40 + "]" * 40
    )
    await apply(uow, b"[1, 2]", b"not json", b'{"x": "' + b"a" * 1_100_000 + b'"}', deep.encode(), event())
    reasons = dead_letter_reasons(uow)
    assert len(reasons) == 4
    assert "not an object" in reasons[0]
    assert reasons[1].startswith("value is not JSON")
    assert "exceeds" in reasons[2]
    assert reasons[3] == "value nests deeper than 32 levels: no contract needs more than a few"
    assert statuses(uow) == [(CLAIM_ID, "received", [])]
    assert logs.events == ["submission_dead_lettered"] * 4 + ["claim_registered"]


async def test_a_submission_repeated_in_its_batch_or_redelivered_is_applied_once() -> None:
    uow = FakeIntakeUnitOfWork()
    submitted, refused = event(), malformed(claim_id="CFN-2021-0000999")
    del refused["event_id"]  # no event_id of its own: its record's coordinates name it
    again = record(refused)
    await apply(uow, submitted, submitted, again)
    await apply(uow, submitted, again)
    assert statuses(uow) == [
        (CLAIM_ID, "received", []),
        ("CFN-2021-0000999", "received", []),
        ("CFN-2021-0000999", "refused", ["SCHEMA_INVALID"]),
    ]
    assert list(uow.claims.registered) == [CLAIM_ID]
    assert len(uow.claims.refusals) == 1
    assert uow.commits == 2


async def test_the_same_claim_under_a_new_event_id_publishes_nothing_more(logs: Logs) -> None:
    uow = FakeIntakeUnitOfWork()
    await apply(uow, event())
    await apply(uow, event())
    assert statuses(uow) == [(CLAIM_ID, "received", [])]
    assert len(outbox(uow, "intake.claims-registered.v1")) == 1
    assert logs.events == ["claim_registered", "submission_same_claim_again"]


async def test_other_content_under_a_registered_claim_id_is_dead_lettered_not_announced(logs: Logs) -> None:
    uow = FakeIntakeUnitOfWork()
    await apply(uow, event())
    await apply(uow, event(filed_by={"kind": "accountant"}), malformed())
    assert statuses(uow) == [(CLAIM_ID, "received", [])]
    assert [await opened(uow, c["email"]) for c in outbox(uow, "intake.applicant-contacts.v1")] == [REAL]
    reasons = dead_letter_reasons(uow)
    assert len(reasons) == 2 and all(r.startswith("CLAIM_ID_CONFLICT") for r in reasons)
    assert [r.codes for r in uow.claims.refusals] == [["CLAIM_ID_CONFLICT"], ["SCHEMA_INVALID", "CLAIM_ID_CONFLICT"]]
    assert (
        logs.events
        == ["claim_registered"] + ["submission_conflicts_with_registered_claim", "submission_dead_lettered"] * 2
    )


async def test_other_content_under_a_claim_id_registered_in_the_same_batch_is_a_conflict_too() -> None:
    uow = FakeIntakeUnitOfWork()
    await apply(uow, event(), event(filed_by={"kind": "accountant"}))
    assert statuses(uow) == [(CLAIM_ID, "received", [])]
    assert [r.startswith("CLAIM_ID_CONFLICT") for r in dead_letter_reasons(uow)] == [True]
    assert list(uow.claims.registered) == [CLAIM_ID]


async def test_a_claim_id_taken_by_a_refused_submission_refuses_later_other_content() -> None:
    uow = FakeIntakeUnitOfWork()
    await apply(uow, malformed())
    await apply(uow, event())  # the real applicant, later
    assert statuses(uow) == [
        (CLAIM_ID, "received", []),
        (CLAIM_ID, "refused", ["SCHEMA_INVALID"]),
        (CLAIM_ID, "received", []),
        (CLAIM_ID, "refused", ["CLAIM_ID_CONFLICT"]),
    ]
    assert [await opened(uow, c["email"]) for c in outbox(uow, "intake.applicant-contacts.v1")] == [INTRUDER]
    assert uow.claims.registered == {}
    assert [r.digest is not None for r in uow.claims.refusals] == [True, False]  # the conflict takes nothing


async def test_the_same_refused_content_again_is_judged_again_not_a_conflict() -> None:
    uow = FakeIntakeUnitOfWork()
    first = malformed(email=REAL)
    again = {**copy.deepcopy(first), "event_id": str(uuid.uuid4())}
    await apply(uow, first)
    await apply(uow, again)
    assert [s[2] for s in statuses(uow)] == [[], ["SCHEMA_INVALID"], [], ["SCHEMA_INVALID"]]


async def test_a_batch_looks_its_claims_up_once_whatever_its_size() -> None:
    uow = FakeIntakeUnitOfWork()
    await apply(uow, *(event(claim_id=f"CFN-2021-{n:07d}") for n in range(20)))
    assert uow.claims.lookups == 1
    assert len(uow.claims.registered) == 20
