"""What the bank answers to one payment instruction: pure and deterministic, so a redelivered instruction gets
exactly the same answer (same event_id) and a demo run is reproducible."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from guichet_common.contracts import PaymentIssuedV1, PaymentSettlementV1

DEFAULT_RETURN_EVERY = 40
# AC04 closed account, AC01 wrong account number: the two returns a grant to a shop most often meets.
RETURN_REASONS = ("AC04", "AC01")
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
