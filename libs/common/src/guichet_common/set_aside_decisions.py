"""An operator's decision on a set-aside item: recorded, applied by the item's owner, and announced, in one
transaction on the owning service's database.

Each service's `operators` module names the kinds it decides (`SET_ASIDE_KINDS`) and the effect of a decision
(`release_set_aside` / `cancel_set_aside`: what becomes of the item itself); a stuck outbox row, which every
service may hold, is decided by the common outbox (`outbox_set_aside`). `owners` maps kinds to those functions.
The service applies the back-office's commands with it (`guichet_common.operator_commands`), and the console's
`guichet set-aside` with it too, so that both paths record, apply and announce the same way.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import asyncpg

from guichet_common.outbox import write_outbox
from guichet_common.outbox_set_aside import KIND as OUTBOX_ROW
from guichet_common.outbox_set_aside import cancel_outbox_row, release_outbox_row
from guichet_common.set_aside import Announcer, Decision, SetAsideDecisionRefused, SetAsideItem, record_decision

# An owner's effect: (conn, kind, item_id, *, topic_prefix) -> what it did, in words (or None).
Effect = Callable[..., Awaitable[str | None]]


@dataclass(frozen=True)
class Owner:
    """Where a kind of item lives and which functions apply a decision to it: a service's
    `operators.release_set_aside` / `cancel_set_aside`, or the common outbox's for stuck outbox rows."""

    services: tuple[str, ...]
    release: Effect
    cancel: Effect

    def effect(self, decision: Decision) -> Effect:
        return self.release if decision == "released" else self.cancel

    @property
    def assigns(self) -> bool:
        """Whether its release takes `assign_to` (the item is released to a target the person names)."""
        return "assign_to" in inspect.signature(self.release).parameters


async def _release_outbox_row(conn: Any, kind: str, item_id: str, *, topic_prefix: str = "") -> None:
    await release_outbox_row(conn, item_id)


async def _cancel_outbox_row(conn: Any, kind: str, item_id: str, *, topic_prefix: str = "") -> None:
    await cancel_outbox_row(conn, item_id)


def owners(operators: Mapping[str, ModuleType]) -> dict[str, Owner]:
    """Kind -> owner: each service's operators module names the kinds it decides (SET_ASIDE_KINDS); an outbox row,
    which every service may hold, is decided by the common outbox. An unknown kind can be listed but not decided."""
    found = {
        kind: Owner((service,), module.release_set_aside, module.cancel_set_aside)
        for service, module in operators.items()
        for kind in module.SET_ASIDE_KINDS
    }
    found[OUTBOX_ROW] = Owner(tuple(operators), _release_outbox_row, _cancel_outbox_row)
    return found


@dataclass(frozen=True)
class Decided:
    item: SetAsideItem
    effect: str | None  # what the owner did, in words


async def decide(
    conn: asyncpg.Connection,
    owner: Owner,
    kind: str,
    item_id: str,
    decision: Decision,
    operator: str,
    reason: str,
    *,
    announcer: Announcer,
    seconded_by: str | None = None,
    assign_to: str | None = None,
) -> Decided:
    """Record the decision, apply the owner's effect and announce it on `operations.set-aside.v1`, on `conn` in the
    caller's transaction (which the caller commits). `assign_to`: where a release sends the item, for the kinds
    whose owner takes one (a bank entry: the attempt it belongs to). Raises `SetAsideDecisionRefused` (the item is
    not held, no operator or reason, a target the kind does not take) or the owner's own refusal, a ValueError: the
    caller rolls back."""
    target: dict[str, str] = {}
    if assign_to is not None:
        if decision != "released" or not owner.assigns:
            raise SetAsideDecisionRefused(f"{kind} items are not assigned to a target (assign_to)")
        target["assign_to"] = assign_to
    item = await record_decision(conn, kind, item_id, decision, operator, reason, seconded_by=seconded_by)
    effect = await owner.effect(decision)(conn, kind, item_id, topic_prefix=announcer.topic_prefix, **target)
    await write_outbox(conn, [announcer.decided(item)])
    return Decided(item, effect)
