"""Four eyes, as pure rules: which decisions wait for a second person, who may take, second or withdraw them."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from guichet_backoffice import four_eyes
from guichet_backoffice.four_eyes import Action, InvalidDecision, NotAllowed, NotPending, SelfSeconding

NOW = dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=1)


def asked(action: Action, *, login: str = "alice", role: str = "caseworker", **changes: object) -> four_eyes.Decision:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "action": action,
        "service": "eligibility",
        "target": "claim-1",
        "kind": None,
        "codes": (),
        "reason": "Factures vérifiées",
        "login": login,
        "role": role,
        "now": NOW,
        "claim_reasons": frozenset(),
        **changes,
    }
    return four_eyes.request(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("signal", sorted(four_eyes.FRAUD_SIGNALS))
def test_approving_a_claim_with_a_fraud_signal_waits_for_a_second_person(signal: str) -> None:
    decision = asked(Action.REVIEW_APPROVE, claim_reasons=frozenset({"INVOICE_TOTAL_MISMATCH", signal}))
    assert decision.state == "pending" and decision.closed_at is None


def test_approving_without_fraud_signal_and_rejecting_even_with_one_are_complete_at_once() -> None:
    assert asked(Action.REVIEW_APPROVE, claim_reasons=frozenset({"INVOICE_TOTAL_MISMATCH"})).state == "complete"
    assert asked(Action.REVIEW_REJECT, claim_reasons=frozenset({"IBAN_SHARED"})).state == "complete"


def test_a_replay_and_a_blocked_payments_release_wait_while_other_operations_go_at_once() -> None:
    def state(action: Action, kind: str | None = None) -> str:
        return asked(action, login="sam", role="supervisor", service="payments", target="x", kind=kind).state

    assert state(Action.DEAD_LETTER_REPLAY) == "pending"
    assert state(Action.SET_ASIDE_RELEASE, "payment_attempt") == "pending"
    assert state(Action.DEAD_LETTER_DISCARD) == "complete"
    assert state(Action.SET_ASIDE_RELEASE, "sepa_batch") == "complete"
    assert state(Action.SET_ASIDE_CANCEL, "payment_attempt") == "complete"


def test_who_may_take_which_decision() -> None:
    asked(Action.REVIEW_APPROVE, login="sam", role="supervisor")  # a supervisor works the queue too
    for role in ("finance", "auditor", "admin"):
        with pytest.raises(NotAllowed):
            asked(Action.REVIEW_REJECT, role=role)
    with pytest.raises(NotAllowed):
        asked(Action.DEAD_LETTER_DISCARD, role="caseworker", service="payments")


def test_finance_decides_on_bank_entries_in_suspense_and_only_those_are_assigned_to_an_attempt() -> None:
    def bank_entry(action: Action, role: str = "finance", **changes: object) -> four_eyes.Decision:
        return asked(action, role=role, service="payments", target="0a1b-3", kind="bank_entry", **changes)

    settled = bank_entry(Action.SET_ASIDE_RELEASE, assign_to="P0123abc:2")
    assert (settled.state, settled.assign_to) == ("complete", "P0123abc:2")
    assert bank_entry(Action.SET_ASIDE_CANCEL).state == "complete"
    assert bank_entry(Action.SET_ASIDE_RELEASE, role="supervisor").assign_to is None
    for role in ("caseworker", "auditor", "admin"):
        with pytest.raises(NotAllowed):
            bank_entry(Action.SET_ASIDE_RELEASE, role=role)
    with pytest.raises(NotAllowed):  # other set-aside items stay the supervisors'
        asked(Action.SET_ASIDE_CANCEL, role="finance", service="payments", target="7", kind="return_expiry")
    for assign_to in ("P0123abc", "P0123abc:0", "P 1:2", "P1:2\n", "x" * 80 + ":1"):
        with pytest.raises(InvalidDecision):
            bank_entry(Action.SET_ASIDE_RELEASE, assign_to=assign_to)
    with pytest.raises(InvalidDecision):
        bank_entry(Action.SET_ASIDE_CANCEL, assign_to="P0123abc:2")
    with pytest.raises(InvalidDecision):
        asked(Action.SET_ASIDE_RELEASE, role="supervisor", service="payments", kind="return_expiry", assign_to="P1:1")


def test_a_decision_needs_a_written_reason_and_a_known_service() -> None:
    with pytest.raises(InvalidDecision):
        asked(Action.REVIEW_REJECT, reason="   ")
    with pytest.raises(InvalidDecision):
        asked(Action.DEAD_LETTER_DISCARD, role="supervisor", service="backoffice")


@pytest.mark.parametrize("reason", ["Kbis vu\x00", "x" * 2001, "motif\x1b[31m"])
def test_a_written_reason_the_command_could_not_carry_is_refused_as_such(reason: str) -> None:
    """A NUL (PostgreSQL refuses it), a control sequence, or more than the command's 2,000 characters: a clear
    refusal to the person, not a failed request."""
    with pytest.raises(InvalidDecision):
        asked(Action.REVIEW_REJECT, reason=reason)


def test_a_reason_over_several_lines_is_a_reason() -> None:
    assert asked(Action.REVIEW_REJECT, reason="Kbis vu.\r\nFacture conforme.\tOK").reason.startswith("Kbis vu.")


def test_nobody_seconds_their_own_decision_not_even_a_supervisor() -> None:
    pending = asked(Action.DEAD_LETTER_REPLAY, login="sam", role="supervisor", service="payments")
    with pytest.raises(SelfSeconding) as refused:
        four_eyes.second(pending, login="sam", role="supervisor", now=LATER)
    assert refused.value.status == 403


def test_only_a_supervisor_seconds_and_then_the_decision_is_complete() -> None:
    pending = asked(Action.REVIEW_APPROVE, claim_reasons=frozenset({"IBAN_SHARED"}))
    with pytest.raises(NotAllowed):
        four_eyes.second(pending, login="carl", role="caseworker", now=LATER)
    seconded = four_eyes.second(pending, login="sophie", role="supervisor", now=LATER)
    assert (seconded.state, seconded.seconded_by, seconded.closed_at) == ("complete", "sophie", LATER)
    with pytest.raises(NotPending):
        four_eyes.second(seconded, login="tess", role="supervisor", now=LATER)


def test_only_the_author_withdraws_and_only_while_pending() -> None:
    pending = asked(Action.REVIEW_APPROVE, claim_reasons=frozenset({"INVOICE_REUSED"}))
    with pytest.raises(NotAllowed):
        four_eyes.withdraw(pending, login="sophie", now=LATER)
    withdrawn = four_eyes.withdraw(pending, login="alice", now=LATER)
    assert withdrawn.state == "withdrawn"
    with pytest.raises(NotPending):
        four_eyes.second(withdrawn, login="sophie", role="supervisor", now=LATER)
