"""Import one bank file (pain.002, camt.054, camt.053): the use case behind payments' inbound folder.

One file, one transaction. A file already known by its SHA-256 changes nothing. A file that fails its schema is
recorded as refused, with the file and the element, and nothing in it is applied. Otherwise each entry is recorded
with what became of it: a settlement event on payments' own `payments.settlements.v1` (applied when payments
consumes it, like finance's JSON reports), a duplicate of a booking imported before, a file rejection applied at
once, a repayment of a recovery order (a credit quoting its creditor reference, applied in the same transaction by
`RecoveryService.apply_credit`), or suspense (set aside as `bank_entry`, for finance to settle or discard).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import structlog

from guichet_common.contracts import PaymentSettlementV1
from guichet_common.contracts.payments import SETTLEMENTS_TOPIC
from guichet_common.db import TRANSIENT_DB_ERRORS
from guichet_common.outbox import OutboxMessage
from guichet_payments.bank_files import matching
from guichet_payments.bank_files.file_rejection import reject_file
from guichet_payments.bank_files.matching import Candidate, Matched, Unmatched
from guichet_payments.bank_files.reading import BankEntry, BankFileRefused, read_bank_file
from guichet_payments.bank_files.suspense import BANK_ENTRY_NAMESPACE, bank_settlement_event_id, hold_in_suspense
from guichet_payments.recovery.service import RecoveryService
from guichet_payments.service import PaymentsService
from guichet_payments.unit_of_work import PaymentsWork

log = structlog.get_logger()
REPORTED, DUPLICATE, SUSPENSE, REPAYMENT = "reported", "duplicate", "suspense", "repayment"


@dataclass(frozen=True)
class ImportOutcome:
    """What one import did: `imported` (with its entries' states), `refused` (with why) or `already_imported`."""

    file_name: str
    file_sha256: str
    outcome: Literal["imported", "refused", "already_imported"]
    message: str | None = None
    refusal: str | None = None
    refused_element: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)  # entry state -> how many


@dataclass(frozen=True)
class _Verdict:
    state: str
    published: list[OutboxMessage] = field(default_factory=list)


def entry_id_of(file_sha256: str, index: int) -> str:
    """An entry's id, also its set-aside item id: short enough to type, unique per file and position."""
    return f"{file_sha256[:16]}-{index}"


@dataclass(frozen=True)
class BankFileImporter:
    payments: PaymentsService
    max_bytes: int = 20_000_000
    recovery: RecoveryService | None = None  # without it, every credit that is no return goes to suspense

    async def import_file(
        self,
        uow: PaymentsWork,
        file_name: str,
        content: bytes,
        received_at: dt.datetime,
        *,
        file_sha256: str | None = None,
    ) -> ImportOutcome:
        """Import `content` (`file_sha256`: the whole file's, when `content` was cut at `max_bytes` + 1) in `uow`;
        the caller commits. A file that fails for a reason other than its content or the database being away is
        recorded as refused too (nothing of it applied), so that it cannot hold the folder up."""
        sha = file_sha256 or hashlib.sha256(content).hexdigest()
        if await uow.bank.file(sha) is not None:
            return ImportOutcome(file_name, sha, "already_imported")
        queued = len(uow.published)
        try:
            async with uow.savepoint():
                return await self._import(uow, file_name, sha, content, received_at)
        except BankFileRefused as refused:
            del uow.published[queued:]
            return await self._refuse(uow, file_name, sha, received_at, refused)
        except TRANSIENT_DB_ERRORS:
            raise
        except Exception as error:
            del uow.published[queued:]  # what the undone savepoint had queued
            log.exception("bank_file_import_failed", file_name=file_name, file_sha256=sha)
            return await self._refuse(
                uow,
                file_name,
                sha,
                received_at,
                BankFileRefused(
                    file_name, "(import)", f"could not be imported ({type(error).__name__}); nothing was applied"
                ),
            )

    async def _refuse(
        self, uow: PaymentsWork, file_name: str, sha: str, received_at: dt.datetime, refused: BankFileRefused
    ) -> ImportOutcome:
        if not await uow.bank.record_file(sha, file_name, received_at, refusal=str(refused)):
            return ImportOutcome(file_name, sha, "already_imported")
        return ImportOutcome(file_name, sha, "refused", refusal=str(refused), refused_element=refused.element)

    async def _import(
        self, uow: PaymentsWork, file_name: str, sha: str, content: bytes, received_at: dt.datetime
    ) -> ImportOutcome:
        bank_file = read_bank_file(file_name, content, max_bytes=self.max_bytes)
        recorded = await uow.bank.record_file(
            sha,
            file_name,
            received_at,
            message=bank_file.message,
            message_id=bank_file.message_id,
            entry_count=len(bank_file.entries),
        )
        if not recorded:  # the same bytes imported meanwhile (another instance): theirs stands
            return ImportOutcome(file_name, sha, "already_imported")
        counts: Counter[str] = Counter()
        for entry in bank_file.entries:
            verdict = await self._entry(uow, sha, entry, received_at)
            uow.publish(verdict.published)
            counts[verdict.state] += 1
        return ImportOutcome(file_name, sha, "imported", message=bank_file.message, counts=dict(counts))

    async def _entry(self, uow: PaymentsWork, sha: str, entry: BankEntry, received_at: dt.datetime) -> _Verdict:
        entry_id = entry_id_of(sha, entry.index)
        earlier = await uow.bank.earlier_entry(entry, sha)
        if earlier is not None:  # a statement repeating a notification: finance sees it once
            await uow.bank.record_duplicate(entry_id, sha, entry, earlier)
            return _Verdict(DUPLICATE)
        if entry.effect == "credit":
            return await self._credit(uow, entry_id, sha, entry, received_at)
        if entry.effect == "file_rejected":
            return await self._file_rejected(uow, entry_id, sha, entry)
        if entry.effect == "batch_booked":
            return await self._batch_booked(uow, entry_id, sha, entry, received_at)
        if entry.end_to_end_id is not None:
            candidates = await uow.bank.attempts_by_end_to_end_id(entry.end_to_end_id)
        elif entry.amount_cents is not None and entry.iban:
            candidates = await uow.bank.attempts_by_amount_and_iban(entry.amount_cents, entry.iban)
        else:
            candidates = []
        found = matching.match_entry(entry, candidates)
        if isinstance(found, Unmatched):
            return await _suspense(uow, entry_id, sha, entry, found.reason)
        return await self._reported(uow, entry_id, sha, entry, found, received_at)

    async def _reported(
        self, uow: PaymentsWork, entry_id: str, sha: str, entry: BankEntry, found: Matched, received_at: dt.datetime
    ) -> _Verdict:
        attempt, status = found.candidate, matching.settlement_status(entry)
        event_id = bank_settlement_event_id(
            attempt.payment_id, attempt.attempt, status, entry.bank_reference or entry_id
        )
        if await uow.bank.entry_with_settlement_event(event_id) is not None:
            await uow.bank.record_entry(entry_id, sha, entry, state=DUPLICATE, matched=attempt, matched_by=found.by)
            return _Verdict(DUPLICATE)
        await uow.bank.record_entry(
            entry_id, sha, entry, state=REPORTED, matched=attempt, matched_by=found.by, settlement_event_id=event_id
        )
        return _Verdict(REPORTED, [self._settlement(attempt, status, entry, event_id, received_at)])

    async def _credit(
        self, uow: PaymentsWork, entry_id: str, sha: str, entry: BankEntry, received_at: dt.datetime
    ) -> _Verdict:
        applied = (
            matching.CREDIT_WITHOUT_RETURN
            if self.recovery is None
            else await self.recovery.apply_credit(uow, entry, entry_id, received_at)
        )
        if isinstance(applied, str):
            return await _suspense(uow, entry_id, sha, entry, applied)
        await uow.bank.record_entry(entry_id, sha, entry, state=REPAYMENT)
        return _Verdict(REPAYMENT, applied)

    async def _batch_booked(
        self, uow: PaymentsWork, entry_id: str, sha: str, entry: BankEntry, received_at: dt.datetime
    ) -> _Verdict:
        # One debit for a whole batch: each of its transfers still sent is settled, if the sum is theirs exactly.
        reference = entry.bank_reference or entry_id
        # The entry's own id marks the debit as imported (its transfers' events have ids of their own), so that a
        # statement repeating it is a duplicate.
        marker = uuid.uuid5(BANK_ENTRY_NAMESPACE, f"batch/{entry.batch_reference}/{reference}")
        if await uow.bank.entry_with_settlement_event(marker) is not None:
            await uow.bank.record_entry(entry_id, sha, entry, state=DUPLICATE, matched_by="batch")
            return _Verdict(DUPLICATE)
        sent = await uow.bank.sent_attempts_of_batch(entry.batch_reference) if entry.batch_reference else []
        problem = matching.batch_covered(entry, sent)
        if problem is not None:
            return await _suspense(uow, entry_id, sha, entry, problem.reason)
        await uow.bank.record_entry(
            entry_id, sha, entry, state=REPORTED, matched_by="batch", settlement_event_id=marker
        )
        events = [
            self._settlement(
                attempt,
                "settled",
                entry,
                bank_settlement_event_id(attempt.payment_id, attempt.attempt, "settled", reference),
                received_at,
            )
            for attempt in sent
        ]
        return _Verdict(REPORTED, events)

    async def _file_rejected(self, uow: PaymentsWork, entry_id: str, sha: str, entry: BankEntry) -> _Verdict:
        # Applied here, not through the settlements topic: a rejected file is no settlement of any attempt.
        rejected = None
        if entry.batch_reference:
            rejected = await reject_file(uow, self.payments, entry.batch_reference, entry.reason_code)
        if rejected is None:
            return await _suspense(uow, entry_id, sha, entry, matching.UNKNOWN_BATCH)
        await uow.bank.record_entry(entry_id, sha, entry, state=REPORTED, matched_by="batch")
        return _Verdict(REPORTED, list(rejected))

    def _settlement(
        self,
        attempt: Candidate,
        status: matching.SettlementStatus,
        entry: BankEntry,
        event_id: uuid.UUID,
        received_at: dt.datetime,
    ) -> OutboxMessage:
        event = PaymentSettlementV1(
            event_id=event_id,
            occurred_at=received_at,
            payment_id=attempt.payment_id,
            end_to_end_id=attempt.end_to_end_id,
            status=status,
            return_reason_code=matching.return_reason(entry) if status == "returned" else None,
            value_date=entry.value_date,
            attempt=attempt.attempt,
        )
        topic = self.payments.announce.topic_prefix + SETTLEMENTS_TOPIC
        return OutboxMessage.of_event(topic, attempt.payment_id, event)


async def _suspense(uow: PaymentsWork, entry_id: str, sha: str, entry: BankEntry, reason: str) -> _Verdict:
    await uow.bank.record_entry(entry_id, sha, entry, state=SUSPENSE, suspense_reason=reason)
    await hold_in_suspense(uow, entry_id, reason)
    return _Verdict(SUSPENSE)
