"""Bank entries payments cannot apply on its own go to suspense: one that matches no attempt, or several, or one
whose attempt is not in a state it can apply to (a booking on a returned attempt, a return on a rejected one...).
The entry is held (`bank_entries.state = 'suspense'`, with why) and set aside as kind `bank_entry` (item id: the
entry's id), which announces it on `operations.set-aside.v1` for the back-office; finance settles or discards it
(`bank_files.suspense_decisions`)."""

from __future__ import annotations

import uuid

import structlog

from guichet_payments.unit_of_work import PaymentsWork

log = structlog.get_logger()
BANK_ENTRY = "bank_entry"  # the set-aside kind
# The id of the settlement event made from a bank entry: the same booking in two files (a camt.054, then the
# camt.053 that repeats it) makes the same event, which is how the second is known as a duplicate.
BANK_ENTRY_NAMESPACE = uuid.UUID("0b7d8f3e-2c61-4d3a-9f0e-6a1b5c2d7e94")


def bank_settlement_event_id(payment_id: str, attempt: int, status: str, bank_reference_or_entry_id: str) -> uuid.UUID:
    return uuid.uuid5(BANK_ENTRY_NAMESPACE, f"{payment_id}/{attempt}/{status}/{bank_reference_or_entry_id}")


async def hold_in_suspense(uow: PaymentsWork, entry_id: str, reason: str) -> None:
    """Put the entry in suspense, with why (no personal data in `reason`: ids and states only), and set it aside
    for finance's decision (announced with the commit)."""
    await uow.suspense.hold(entry_id, reason)
    if await uow.set_aside(BANK_ENTRY, entry_id, reason):
        log.warning("item_set_aside", kind=BANK_ENTRY, item_id=entry_id, reason=reason)
