"""Recovery orders (ordres de reversement), without a database: their identifiers, their creditor reference, their
moves and what is due on a given Paris date.

    order  outstanding -> settled          (repaid in full, by one credit or several)
           outstanding -> in_collection    (still owed after its reminders: the public accountant collects it)
           in_collection -> settled        (a late transfer quoting the reference repays what was left)
           outstanding -> outstanding      (a reminder; or a partial repayment)

Frozen like payments' own objects: a move returns the order in its new state, or raises `IllegalTransition`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from stdnum.iso7064 import mod_97_10

from guichet_payments.domain import IllegalTransition

ORDER_ID_PREFIX = "RO-"
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class OrderState(enum.StrEnum):
    OUTSTANDING = "outstanding"
    SETTLED = "settled"
    IN_COLLECTION = "in_collection"


class Overpayment(ValueError):
    """A credit above what the order still owes: not applied, finance decides (suspense)."""


def order_id_for(claim_id: str) -> str:
    """`RO-` and 12 characters [0-9A-Z], the same for a claim every time: issuing twice names the same order."""
    number = int.from_bytes(hashlib.sha256(claim_id.encode("utf-8")).digest()[:16], "big")
    digits = []
    for _ in range(12):
        number, digit = divmod(number, 36)
        digits.append(_BASE36[digit])
    return ORDER_ID_PREFIX + "".join(digits)


def creditor_reference(order_id: str) -> str:
    """The ISO 11649 creditor reference (`RF` + 2 check digits + the order id without its dash) a firm quotes on its
    transfer, so that the bank's credit names the order."""
    body = order_id.replace("-", "").upper()
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


def normalised_reference(text: str) -> str:
    """A reference as a bank or a firm may write it (`RF18 RO12 ...`, lower case): spaces removed, upper case."""
    return "".join(text.split()).upper()


@dataclass(frozen=True)
class FollowUp:
    """A programme's `[recovery]` timetable, in days after the order's due date (Paris dates)."""

    reminder_days_after_due: Sequence[int]
    collection_days_after_due: int


@dataclass(frozen=True)
class RecoveryOrder:
    order_id: str
    claim_id: str
    payment_id: str
    programme: str
    siren: str
    reason_code: str
    amount_cents: int
    payment_reference: str
    issued_on: dt.date
    due_on: dt.date
    returns_to_envelope: bool
    issued_at: dt.datetime
    repaid_cents: int = 0
    reminders_sent: int = 0
    state: OrderState = OrderState.OUTSTANDING
    settled_at: dt.datetime | None = None
    collection_at: dt.datetime | None = None
    source: str | None = None

    @classmethod
    def issue(
        cls,
        *,
        claim_id: str,
        payment_id: str,
        programme: str,
        siren: str,
        reason_code: str,
        amount_cents: int,
        today: dt.date,
        due_days: int,
        returns_to_envelope: bool,
        now: dt.datetime,
        source: str | None = None,
    ) -> RecoveryOrder:
        """A new order for `amount_cents`, issued on `today` (Paris) and due `due_days` later."""
        if amount_cents <= 0:
            raise ValueError("a recovery order orders a positive amount")
        order_id = order_id_for(claim_id)
        return cls(
            order_id=order_id,
            claim_id=claim_id,
            payment_id=payment_id,
            programme=programme,
            siren=siren,
            reason_code=reason_code,
            amount_cents=amount_cents,
            payment_reference=creditor_reference(order_id),
            issued_on=today,
            due_on=today + dt.timedelta(days=due_days),
            returns_to_envelope=returns_to_envelope,
            issued_at=now,
            source=source,
        )

    @property
    def outstanding_cents(self) -> int:
        return self.amount_cents - self.repaid_cents

    def repay(self, amount_cents: int, now: dt.datetime) -> RecoveryOrder:
        """A credit quoting the order's reference: partial or whole; settled once nothing is left."""
        self._require((OrderState.OUTSTANDING, OrderState.IN_COLLECTION), "repaid")
        if amount_cents <= 0:
            raise ValueError("a repayment is a positive amount")
        if amount_cents > self.outstanding_cents:
            raise Overpayment(f"order {self.order_id} still owes {self.outstanding_cents} cents, not {amount_cents}")
        repaid = self.repaid_cents + amount_cents
        if repaid < self.amount_cents:
            return dataclasses.replace(self, repaid_cents=repaid)
        return dataclasses.replace(self, repaid_cents=repaid, state=OrderState.SETTLED, settled_at=now)

    def remind(self) -> RecoveryOrder:
        self._require((OrderState.OUTSTANDING,), "reminded")
        return dataclasses.replace(self, reminders_sent=self.reminders_sent + 1)

    def pass_to_collection(self, now: dt.datetime) -> RecoveryOrder:
        self._require((OrderState.OUTSTANDING,), "passed to collection")
        return dataclasses.replace(self, state=OrderState.IN_COLLECTION, collection_at=now)

    def due_step(self, today: dt.date, timetable: FollowUp) -> str | None:
        """What is due on `today` (Paris): `reminder` (the next one), `collection` (every reminder sent and the
        collection day reached), or None. One step at a time: a job that was away catches up turn by turn."""
        if self.state is not OrderState.OUTSTANDING:
            return None
        reminders = list(timetable.reminder_days_after_due)
        if self.reminders_sent < len(reminders):
            next_on = self.due_on + dt.timedelta(days=reminders[self.reminders_sent])
            return "reminder" if today >= next_on else None
        collection_on = self.due_on + dt.timedelta(days=timetable.collection_days_after_due)
        return "collection" if today >= collection_on else None

    def _require(self, allowed: tuple[OrderState, ...], move: str) -> None:
        if self.state not in allowed:
            raise IllegalTransition(f"recovery order {self.order_id} is {self.state}: it cannot be {move}")
