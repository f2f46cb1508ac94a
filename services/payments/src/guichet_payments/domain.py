"""Payment rules that need no database: payments and their attempts with the moves allowed between their states,
identifiers, texts, dates, the envelope's order, and which bank details are acceptable.

A payment is one claim's grant; each try at paying it is an attempt with its own bank details and EndToEndId:

    payment  scheduled -> sent -> settled
                          sent -> returned -> scheduled (new attempt, after new bank details) -> sent ...
                       settled -> returned (the bank sent the money back after booking it)
                                  returned -> released (expired: its grant goes back to the envelope)
                          sent -> scheduled (its whole file was rejected: new attempt, same payee)
             scheduled -> released (an operator cancelled its blocked attempt)
    attempt  scheduled -> sent (in a SEPA file) -> settled | returned | rejected (its file was rejected)
                                                   settled -> returned
             scheduled -> blocked (cannot go into a file) -> scheduled (released) | cancelled

The objects are frozen: a move returns the object in its new state (the repository saves it), and refuses with
`IllegalTransition` a move its state does not allow.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED"
REMITTANCE_MAX = 140

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_payment_id() -> str:
    """31 characters: fits the 35 of an ISO 20022 EndToEndId with room for an attempt suffix."""
    return "P" + uuid.uuid4().hex[:30]


def end_to_end_id(payment_id: str, attempt: int) -> str:
    # The first attempt's EndToEndId is the payment id itself (the specification); later ones need their own.
    return payment_id if attempt == 1 else f"{payment_id}-{attempt}"


def remittance_information(prefix: str, claim_id: str) -> str:
    return f"{prefix} DOSSIER {claim_id}"[:REMITTANCE_MAX]


def new_batch_id(programme: str, now: dt.datetime, zone: ZoneInfo) -> str:
    """Readable and unique: programme initials, Paris date and time, a random suffix; at most 35 characters."""
    initials = "".join(word[0] for word in programme.split("-") if word).upper()[:6]
    return f"{initials}-{now.astimezone(zone):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"


def paris_today(now: dt.datetime, zone: ZoneInfo) -> dt.date:
    return now.astimezone(zone).date()


def iban_is_valid(iban: str) -> bool:
    try:
        IBAN(iban)
    except SchwiftyException:
        return False
    return True


def first_come_first_served(available_cents: int, someone_waits: bool, amounts: Sequence[int]) -> list[bool]:
    """Which of `amounts`, in arrival order, the envelope covers now. While anyone waits, newcomers queue behind
    them, so after the first one that does not fit (or if someone already waits) every later one waits too."""
    covered: list[bool] = []
    for amount in amounts:
        fits = not someone_waits and amount <= available_cents
        if fits:
            available_cents -= amount
        else:
            someone_waits = True
        covered.append(fits)
    return covered


def return_has_expired(returned_at: dt.datetime, now: dt.datetime, expiry_days: int) -> bool:
    return now >= returned_at + dt.timedelta(days=expiry_days)


class PaymentState(enum.StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    SETTLED = "settled"
    RETURNED = "returned"
    RELEASED = "released"


class AttemptState(enum.StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    SETTLED = "settled"
    RETURNED = "returned"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class IllegalTransition(ValueError):
    """A move the payment's or attempt's state does not allow: nothing is changed."""


def _require(what: str, state: enum.StrEnum, allowed: tuple[enum.StrEnum, ...], move: str) -> None:
    if state not in allowed:
        raise IllegalTransition(f"{what} is {state}: it cannot be {move}")


@dataclass(frozen=True)
class Payee:
    """Bank details an attempt pays to, as the SEPA file will carry them."""

    name: str
    iban: str
    bic: str | None


@dataclass(frozen=True)
class Attempt:
    """One try at paying a payment: its bank details, its EndToEndId, and at most one SEPA file."""

    payment_id: str
    number: int
    end_to_end_id: str
    payee: Payee
    amount_cents: int
    created_at: dt.datetime
    status: AttemptState = AttemptState.SCHEDULED
    batch_id: str | None = None

    @property
    def item_id(self) -> str:
        """How operators name it when it is set aside (`payment_attempt`)."""
        return f"{self.payment_id}:{self.number}"

    @property
    def awaits_report(self) -> bool:
        """In a file and not reported on yet: finance's first report on it applies, a later one does not."""
        return self.status is AttemptState.SENT

    def sent_in(self, batch_id: str) -> Attempt:
        self._require((AttemptState.SCHEDULED,), "sent")
        return dataclasses.replace(self, status=AttemptState.SENT, batch_id=batch_id)

    def blocked(self) -> Attempt:
        self._require((AttemptState.SCHEDULED,), "blocked")
        return dataclasses.replace(self, status=AttemptState.BLOCKED)

    def unblocked(self) -> Attempt:
        self._require((AttemptState.BLOCKED,), "released")
        return dataclasses.replace(self, status=AttemptState.SCHEDULED)

    def cancelled(self) -> Attempt:
        self._require((AttemptState.BLOCKED,), "cancelled")
        return dataclasses.replace(self, status=AttemptState.CANCELLED)

    def settled(self) -> Attempt:
        self._require((AttemptState.SENT,), "settled")
        return dataclasses.replace(self, status=AttemptState.SETTLED)

    def returned(self) -> Attempt:
        # A return may follow a booking: the bank credits the money back days after debiting it.
        self._require((AttemptState.SENT, AttemptState.SETTLED), "returned")
        return dataclasses.replace(self, status=AttemptState.RETURNED)

    def rejected(self) -> Attempt:
        self._require((AttemptState.SENT,), "rejected")
        return dataclasses.replace(self, status=AttemptState.REJECTED)

    def _require(self, allowed: tuple[AttemptState, ...], move: str) -> None:
        _require(f"attempt {self.item_id}", self.status, allowed, move)


@dataclass(frozen=True)
class Payment:
    """One claim's grant, reserved from its programme's envelope; `attempt` is the number of its current attempt."""

    payment_id: str
    claim_id: str
    programme: str
    siren: str
    amount_cents: int
    submitted_at: dt.datetime
    status: PaymentState = PaymentState.SCHEDULED
    attempt: int = 1
    returned_at: dt.datetime | None = None
    return_reason: str | None = None
    expiry_set_aside: bool = False
    source: str | None = None  # the portal that sent the claim, named on its statuses

    @classmethod
    def schedule(
        cls,
        *,
        claim_id: str,
        programme: str,
        siren: str,
        amount_cents: int,
        submitted_at: dt.datetime,
        payee: Payee,
        now: dt.datetime,
        source: str | None = None,
    ) -> tuple[Payment, Attempt]:
        """A new payment of a reserved grant, and its first attempt, waiting for the next SEPA file."""
        payment = cls(new_payment_id(), claim_id, programme, siren, amount_cents, submitted_at, source=source)
        return payment, payment._attempt(1, payee, now)

    def send(self, attempt: Attempt, batch_id: str) -> tuple[Payment, Attempt]:
        """Its current attempt went into the SEPA file `batch_id`."""
        self._require_current(attempt)
        self._require((PaymentState.SCHEDULED,), "sent")
        return dataclasses.replace(self, status=PaymentState.SENT), attempt.sent_in(batch_id)

    def settle(self, attempt: Attempt) -> tuple[Payment, Attempt]:
        """Finance reports the attempt paid: so is the payment."""
        self._require_current(attempt)
        self._require((PaymentState.SENT,), "settled")
        return dataclasses.replace(self, status=PaymentState.SETTLED), attempt.settled()

    def record_return(self, attempt: Attempt, reason: str | None, at: dt.datetime) -> tuple[Payment, Attempt]:
        """Finance reports the attempt returned by the bank, before or after it was booked: the payment waits for new
        bank details or expires."""
        self._require_current(attempt)
        self._require((PaymentState.SENT, PaymentState.SETTLED), "returned")
        returned = dataclasses.replace(self, status=PaymentState.RETURNED, returned_at=at, return_reason=reason)
        return returned, attempt.returned()

    def retry(self, payee: Payee, now: dt.datetime) -> tuple[Payment, Attempt]:
        """New bank details for a returned payment: it is scheduled again, as a new attempt with its own EndToEndId."""
        self._require((PaymentState.RETURNED,), "paid again")
        number = self.attempt + 1
        again = dataclasses.replace(self, status=PaymentState.SCHEDULED, attempt=number, returned_at=None)
        return again, again._attempt(number, payee, now)

    def resend_after_file_rejection(self, attempt: Attempt, now: dt.datetime) -> tuple[Payment, Attempt, Attempt]:
        """The bank rejected the whole file its current attempt was in: that attempt is `rejected` (it will never be
        paid), and the payment is scheduled again as a new attempt to the same payee, with its own EndToEndId, for
        the next file. Not a return: the bank details were never judged. Returns (payment, rejected, new attempt)."""
        self._require_current(attempt)
        self._require((PaymentState.SENT,), "sent again after its file was rejected")
        rejected = attempt.rejected()
        number = self.attempt + 1
        again = dataclasses.replace(self, status=PaymentState.SCHEDULED, attempt=number)
        return again, rejected, again._attempt(number, attempt.payee, now)

    def expire(self) -> Payment:
        """Returned too long ago without usable bank details: its reservation is given back."""
        self._require((PaymentState.RETURNED,), "released on expiry")
        return dataclasses.replace(self, status=PaymentState.RELEASED)

    def hold_expiry(self) -> Payment:
        """Its expiry could not be applied: the expiry job skips it until an operator decides."""
        self._require((PaymentState.RETURNED,), "held from expiry")
        return dataclasses.replace(self, expiry_set_aside=True)

    def resume_expiry(self) -> Payment:
        """An operator released its held expiry: the expiry job tries it again."""
        self._require((PaymentState.RETURNED,), "given back to the expiry job")
        return dataclasses.replace(self, expiry_set_aside=False)

    def cancel(self, attempt: Attempt) -> tuple[Payment, Attempt]:
        """An operator gives up its blocked attempt: the payment is released, its grant goes back to the envelope."""
        self._require_current(attempt)
        self._require((PaymentState.SCHEDULED,), "cancelled")
        return dataclasses.replace(self, status=PaymentState.RELEASED), attempt.cancelled()

    def _attempt(self, number: int, payee: Payee, now: dt.datetime) -> Attempt:
        return Attempt(self.payment_id, number, end_to_end_id(self.payment_id, number), payee, self.amount_cents, now)

    def _require_current(self, attempt: Attempt) -> None:
        if attempt.payment_id != self.payment_id or attempt.number != self.attempt:
            raise IllegalTransition(
                f"attempt {attempt.item_id} is not the current attempt of payment {self.payment_id}"
            )

    def _require(self, allowed: tuple[PaymentState, ...], move: str) -> None:
        _require(f"payment {self.payment_id}", self.status, allowed, move)


@dataclass(frozen=True)
class Waiting:
    """An approved claim the envelope could not cover yet; `decision` is the approval as received, to pay it later."""

    claim_id: str
    programme: str
    siren: str
    submitted_at: dt.datetime
    decision: Mapping[str, object]


@dataclass(frozen=True)
class Batch:
    """One SEPA credit-transfer file and what it holds, as recorded for finance and reconciliation."""

    batch_id: str
    programme: str
    file_path: str
    file_sha256: str
    transfer_count: int
    control_sum_cents: int
    requested_execution_date: dt.date
    message_version: str = "pain.001.001.03"  # the programme's pain.001 (`[payment] pain001_version`)


@dataclass(frozen=True)
class EnvelopeFigures:
    """A programme's envelope as it stands, in cents, with how many approved claims wait for money."""

    programme: str
    total_cents: int
    reserved_cents: int
    paid_cents: int
    released_cents: int
    waitlisted: int
