"""The back-office's commands as the owning service applies them (`OperatorCommands`), on the fake unit of work and
fake targets: who may ask what, four eyes, and one outcome per command, also when it comes twice."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from guichet_common.contracts.backoffice import CommandOutcomeV1, OperatorCommandV1, SetAsideV1
from guichet_common.dead_letter_actions import DeadLetter, DeadLetterAlreadyHandled, DeadLetterId
from guichet_common.operator_commands import Identity, OperatorCommands
from guichet_common.outbox import OutboxMessage
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_common.set_aside import Announcer, Decision, SetAsideDecisionRefused
from guichet_common.set_aside_decisions import Owner
from guichet_common.unit_of_work import FakeUnitOfWork

PREFIX = "t."
DLQ = f"{PREFIX}eligibility.decisions.v1.dlq"  # payments owns eligibility.decisions.v1
OWN_DEAD_LETTER = f"{DLQ}:1:42"


class FakeTargets:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.dead_letters = {
            DeadLetterId.parse(OWN_DEAD_LETTER): DeadLetter(DeadLetterId.parse(OWN_DEAD_LETTER), b"k", b"{}")
        }
        self.actions: dict[DeadLetterId, tuple[str, Identity]] = {}
        self.held = {("payment_attempt", "PAY-1:1"), ("email", "7"), ("bank_entry", "abc-0")}
        self.assigned: dict[tuple[str, str], str | None] = {}
        self.decisions: list[tuple[str, str, Decision, Identity]] = []

    async def dead_letter(self, dead_letter_id: DeadLetterId) -> DeadLetter | None:
        return self.dead_letters.get(dead_letter_id)

    async def replay_dead_letter(self, dead: DeadLetter, who: Identity) -> None:
        await self._act(dead.id, "replayed", who)

    async def discard_dead_letter(self, dead_letter_id: DeadLetterId, who: Identity) -> None:
        await self._act(dead_letter_id, "discarded", who)

    async def _act(self, dead_letter_id: DeadLetterId, action: str, who: Identity) -> None:
        if dead_letter_id in self.actions:
            raise DeadLetterAlreadyHandled(
                type(
                    "Previous",
                    (),
                    {"id": dead_letter_id, "action": action, "operator": "x", "acted_at": dt.datetime.now()},
                )()
            )
        self.actions[dead_letter_id] = (action, who)

    async def decide_set_aside(
        self, kind: str, item_id: str, decision: Decision, who: Identity, assign_to: str | None = None
    ) -> str | None:
        self.assigned[(kind, item_id)] = assign_to
        self.uow.publish([OutboxMessage("announced", None, b"{}")])  # as the real one announces the decision
        if (kind, item_id) not in self.held:
            raise SetAsideDecisionRefused(f"{kind} {item_id} is not held")
        self.held.discard((kind, item_id))
        self.decisions.append((kind, item_id, decision, who))
        return "done"


def command(**fields: Any) -> OperatorCommandV1:
    values: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "occurred_at": dt.datetime.now(dt.UTC),
        "service": "payments",
        "action": "dead_letter_discard",
        "target": OWN_DEAD_LETTER,
        "requested_by": "alice",
        "reason": "a test record, sent by mistake",
    }
    return OperatorCommandV1.model_validate(values | fields, strict=False)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def targets(uow: FakeUnitOfWork) -> FakeTargets:
    return FakeTargets(uow)


def commands_of(targets: FakeTargets) -> OperatorCommands:
    return OperatorCommands("payments", lambda _uow: targets, PREFIX)


async def answer(targets: FakeTargets, *sent: OperatorCommandV1) -> list[CommandOutcomeV1]:
    published = await commands_of(targets).apply(targets.uow, sent)
    assert all(isinstance(m, OutboxMessage) and m.topic == PREFIX + "operations.command-outcomes.v1" for m in published)
    return [CommandOutcomeV1.model_validate_json(m.value) for m in published if isinstance(m, OutboxMessage)]


async def test_a_command_for_another_service_is_refused_and_nothing_is_done(targets: FakeTargets) -> None:
    sent = command(service="notifications")
    [outcome] = await answer(targets, sent)
    assert (outcome.outcome, outcome.command_id, outcome.service) == ("refused", sent.event_id, "payments")
    assert "notifications" in outcome.detail
    assert targets.actions == {}


async def test_a_discard_is_recorded_with_who_asked_and_why(targets: FakeTargets) -> None:
    [outcome] = await answer(targets, command())
    assert outcome.outcome == "applied"
    action, who = targets.actions[DeadLetterId.parse(OWN_DEAD_LETTER)]
    assert (action, who) == ("discarded", Identity("alice", None, "a test record, sent by mistake"))


@pytest.mark.parametrize("seconded_by", [None, "alice", " ALICE "])
async def test_a_replay_needs_a_second_person_who_is_not_the_first(
    targets: FakeTargets, seconded_by: str | None
) -> None:
    [outcome] = await answer(targets, command(action="dead_letter_replay", seconded_by=seconded_by))
    assert outcome.outcome == "refused" and "quatre yeux" in outcome.detail
    assert targets.actions == {}


async def test_a_seconded_replay_is_applied_once(targets: FakeTargets) -> None:
    first, again = await answer(
        targets,
        command(action="dead_letter_replay", seconded_by="bob"),
        command(action="dead_letter_replay", seconded_by="carol"),  # another command, the same dead letter
    )
    assert (first.outcome, again.outcome) == ("applied", "refused")
    assert targets.actions[DeadLetterId.parse(OWN_DEAD_LETTER)][1].seconded_by == "bob"


@pytest.mark.parametrize(
    "target",
    [
        f"{PREFIX}claims.submitted.v1.dlq:0:1",  # intake's dead letters
        "other.eligibility.decisions.v1.dlq:1:42",  # another deployment's
        f"{PREFIX}eligibility.decisions.v1:1:42",  # not a dead-letter topic
        f"{DLQ}:1:43",  # nothing there
    ],
)
async def test_only_a_dead_letter_this_service_wrote_is_acted_on(targets: FakeTargets, target: str) -> None:
    [outcome] = await answer(targets, command(target=target))
    assert outcome.outcome == "refused"
    assert targets.actions == {}


async def test_releasing_a_blocked_payment_needs_four_eyes_cancelling_it_does_not(targets: FakeTargets) -> None:
    alone = command(action="set_aside_release", kind="payment_attempt", target="PAY-1:1")
    seconded = command(action="set_aside_release", kind="payment_attempt", target="PAY-1:1", seconded_by="bob")
    refused, applied = await answer(targets, alone, seconded)
    assert (refused.outcome, applied.outcome) == ("refused", "applied")
    assert targets.decisions == [("payment_attempt", "PAY-1:1", "released", Identity("alice", "bob", alone.reason))]
    [cancelled] = await answer(targets, command(action="set_aside_cancel", kind="email", target="7"))
    assert cancelled.outcome == "applied"


async def test_a_release_passes_on_the_target_the_person_named(targets: FakeTargets) -> None:
    assigned = command(action="set_aside_release", kind="bank_entry", target="abc-0", assign_to="PAY-9:2")
    unassigned = command(action="set_aside_cancel", kind="email", target="7")
    outcomes = await answer(targets, assigned, unassigned)
    assert [o.outcome for o in outcomes] == ["applied", "applied"]
    assert targets.assigned == {("bank_entry", "abc-0"): "PAY-9:2", ("email", "7"): None}


def test_only_an_owner_whose_release_takes_a_target_is_assigned_one() -> None:
    async def plain(conn: object, kind: str, item_id: str, *, topic_prefix: str = "") -> None: ...

    async def targeted(
        conn: object, kind: str, item_id: str, *, topic_prefix: str = "", assign_to: str | None = None
    ) -> None: ...

    assert not Owner(("payments",), plain, plain).assigns
    assert Owner(("payments",), targeted, plain).assigns


async def test_a_refused_decision_leaves_nothing_queued(targets: FakeTargets) -> None:
    [outcome] = await answer(targets, command(action="set_aside_cancel", kind="email", target="8"))
    assert outcome.outcome == "refused" and "not held" in outcome.detail
    assert targets.uow.published == []


async def test_a_set_aside_command_without_a_kind_is_refused(targets: FakeTargets) -> None:
    [outcome] = await answer(targets, command(action="set_aside_cancel", target="7"))
    assert outcome.outcome == "refused"


async def test_the_same_command_twice_is_applied_once_with_one_outcome(targets: FakeTargets) -> None:
    sent = command(action="set_aside_cancel", kind="email", target="7")
    subscription = Subscription(use_case=commands_of(targets).apply, decode=contract(OperatorCommandV1))
    record = InboundRecord("t.backoffice.payments-commands.v1", 0, 0, None, sent.model_dump_json().encode())
    await subscription.apply(targets.uow, [record])
    await subscription.apply(targets.uow, [record])
    outcomes = [m for m in targets.uow.committed if m.topic.endswith("command-outcomes.v1")]
    assert len(outcomes) == 1 and len(targets.decisions) == 1


async def test_an_item_newly_set_aside_is_announced_once() -> None:
    uow = FakeUnitOfWork()
    uow.announcer = Announcer("payments", PREFIX)
    assert await uow.set_aside(
        "payment_attempt", "PAY-1:1", ValueError("no BIC for this IBAN FR7630006000011234567890189")
    )
    assert not await uow.set_aside("payment_attempt", "PAY-1:1", "again")
    [message] = uow.published
    assert (message.topic, message.key) == (PREFIX + "operations.set-aside.v1", b"payments:payment_attempt:PAY-1:1")
    announced = SetAsideV1.model_validate_json(message.value)
    assert (announced.service, announced.state, announced.decided_by) == ("payments", "held", None)
    assert "FR76" not in announced.reason  # masked like any stored reason


async def test_without_an_announcer_nothing_is_announced() -> None:
    uow = FakeUnitOfWork()
    assert await uow.set_aside("email", "7", "refused by the SMTP server")
    assert uow.published == []
