"""What the bank answers to one payment instruction: pure and deterministic, so a redelivered instruction gets
exactly the same answer (same event_id, or the same answer file) and a demo run is reproducible.

Both modes return the same payments: JSON settlements (`settle`) and files (`outcomes`, written by `iso_writer`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from guichet_common.contracts import PaymentIssuedV1, PaymentSettlementV1

if TYPE_CHECKING:
    from guichet_finance.payment_order import OrderedTransfer, PaymentOrder

DEFAULT_RETURN_EVERY = 40
# AC04 closed account, AC01 wrong account number: the two returns a grant to a shop most often meets.
RETURN_REASONS = ("AC04", "AC01")
# Banks drop the original EndToEndId on some returns; payments must then match on amount + IBAN + remittance.
WITHHELD_REFERENCE_EVERY = 3
# payments' EndToEndId: the payment id for a first attempt, "<payment id>-<n>" for the n-th (n >= 2).
_LATER_ATTEMPT = re.compile(r"(?P<payment_id>.+)-(?P<attempt>[0-9]+)")
# Fixed namespace: event ids must not change between runs or versions of this simulator.
EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:guichet:finance-simulator:payments.settlements.v1")


def payment_hash(payment_id: str) -> int:
    """A stable hash (Python's hash() is salted per process, so it would not be deterministic)."""
    return int.from_bytes(hashlib.sha256(payment_id.encode("utf-8")).digest()[:8], "big")


def return_reason(payment_id: str, attempt: int, return_every: int = DEFAULT_RETURN_EVERY) -> str | None:
    """The reason code when this attempt is returned, None when it is settled.

    Only first attempts are ever returned: an applicant who sent new bank details gets paid, so the return path
    of the demo always ends.
    """
    if return_every < 1:
        raise ValueError(f"return_every must be at least 1, not {return_every}")
    digest = payment_hash(payment_id)
    if attempt >= 2 or digest % return_every != 0:
        return None
    return RETURN_REASONS[(digest // return_every) % len(RETURN_REASONS)]


def settlement_event_id(payment_id: str, attempt: int) -> uuid.UUID:
    return uuid.uuid5(EVENT_NAMESPACE, f"{payment_id}/{attempt}")


def settle(
    issued: PaymentIssuedV1, *, now: dt.datetime, return_every: int = DEFAULT_RETURN_EVERY
) -> PaymentSettlementV1:
    """Finance's report on `issued`: settled, or returned with a reason; value date the day after execution."""
    reason = return_reason(issued.payment_id, issued.attempt, return_every)
    return PaymentSettlementV1(
        event_id=settlement_event_id(issued.payment_id, issued.attempt),
        occurred_at=now,
        payment_id=issued.payment_id,
        end_to_end_id=issued.end_to_end_id,
        status="settled" if reason is None else "returned",
        return_reason_code=reason,
        value_date=issued.requested_execution_date + dt.timedelta(days=1),
        attempt=issued.attempt,
    )


def encode(event: PaymentSettlementV1) -> bytes:
    # Absent optional fields are left out, not null: the JSON Schema types them as strings.
    return event.model_dump_json(exclude_none=True).encode("utf-8")


def attempt_of(end_to_end_id: str) -> tuple[str, int]:
    """(payment_id, attempt) from payments' EndToEndId, which is all a bank reading files knows of a payment."""
    later = _LATER_ATTEMPT.fullmatch(end_to_end_id)
    if later is not None and int(later["attempt"]) >= 2:
        return later["payment_id"], int(later["attempt"])
    return end_to_end_id, 1


def withholds_end_to_end_id(payment_id: str, return_every: int = DEFAULT_RETURN_EVERY) -> bool:
    """True for about one return credit in three: it says NOTPROVIDED where the original EndToEndId belongs."""
    return (payment_hash(payment_id) // return_every // len(RETURN_REASONS)) % WITHHELD_REFERENCE_EVERY == 0


@dataclass(frozen=True)
class Outcome:
    """What became of one transfer of a pain.001: booked (a debit), rejected before settlement (AC01, in a
    pain.002) or returned after it (AC04, a credit in the camt.054)."""

    transfer: OrderedTransfer
    kind: Literal["booked", "rejected", "returned"]
    reason_code: str | None = None
    end_to_end_id_given: bool = True  # False: the return credit says NOTPROVIDED


def outcomes(order: PaymentOrder, return_every: int = DEFAULT_RETURN_EVERY) -> tuple[Outcome, ...]:
    """Each transfer's outcome, in the file's order; the same payments as `settle` returns in JSON mode."""
    result = []
    for transfer in order.transfers:
        payment_id, attempt = attempt_of(transfer.end_to_end_id)
        reason = return_reason(payment_id, attempt, return_every)
        if reason is None:
            result.append(Outcome(transfer, "booked"))
        elif reason == "AC01":
            result.append(Outcome(transfer, "rejected", reason))
        else:
            given = not withholds_end_to_end_id(payment_id, return_every)
            result.append(Outcome(transfer, "returned", reason, given))
    return tuple(result)
