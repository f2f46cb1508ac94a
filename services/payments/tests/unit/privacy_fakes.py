"""Payments' privacy repository in memory (`guichet_payments.privacy_repository`), over the other fakes' data."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from guichet_common.privacy.erasures import InMemoryErasures
from guichet_payments.domain import Payee
from guichet_payments.privacy_repository import ErasedBatch, HeldRow

if TYPE_CHECKING:
    from .fakes import InMemoryPayments, InMemoryWaitlist

ERASED = Payee(None, None, None)  # type: ignore[arg-type]  # what a pseudonymised row reads back as


class InMemoryPrivacy:
    def __init__(self, payments: InMemoryPayments, waitlist: InMemoryWaitlist, erasures: InMemoryErasures) -> None:
        self._payments, self._waitlist, self._erasures = payments, waitlist, erasures
        self.files_erased: dict[str, dt.datetime] = {}

    async def pseudonymise_bank(self, claim_ids: Sequence[str]) -> list[str]:
        erased = {p.payment_id for p in self._payments.payments.values() if p.claim_id in claim_ids}
        batches = set()
        for key, attempt in self._payments.attempts.items():
            if attempt.payment_id in erased:
                self._payments.attempts[key] = dataclasses.replace(attempt, payee=ERASED)
                if attempt.batch_id is not None:
                    batches.add(attempt.batch_id)
        for claim_id in claim_ids:
            waiting = self._waitlist.entries.get(claim_id)
            if waiting is not None and not str(waiting.decision.get("iban")).startswith("sealed:"):
                cleared = waiting.decision | {"beneficiary_name": None, "iban": None, "bic": None}
                self._waitlist.entries[claim_id] = dataclasses.replace(waiting, decision=cleared)
        return sorted(batches)

    async def batches_fully_erased(self, batch_ids: Sequence[str]) -> list[ErasedBatch]:
        erased_claims = {claim_id for claim_id, kind in self._erasures.recorded if kind == "bank"}
        claims_of = {p.payment_id: p.claim_id for p in self._payments.payments.values()}
        return [
            ErasedBatch(batch.batch_id, batch.file_path)
            for batch in sorted(self._payments.batches, key=lambda b: b.batch_id)
            if batch.batch_id in batch_ids
            and batch.batch_id not in self.files_erased
            and all(
                claims_of[a.payment_id] in erased_claims
                for a in self._payments.attempts.values()
                if a.batch_id == batch.batch_id
            )
        ]

    async def record_file_erased(self, batch_ids: Sequence[str], at: dt.datetime) -> None:
        for batch_id in batch_ids:
            self.files_erased.setdefault(batch_id, at)

    async def held(self, claim_ids: Sequence[str]) -> list[HeldRow]:
        rows: list[HeldRow] = []
        for payment in sorted(self._payments.payments.values(), key=lambda p: p.claim_id):
            if payment.claim_id not in claim_ids:
                continue
            fields = {"payment_id": payment.payment_id, "amount_cents": payment.amount_cents, "siren": payment.siren}
            rows.append(HeldRow("payments", payment.claim_id, fields))
            for attempt in sorted(self._payments.attempts.values(), key=lambda a: a.number):
                if attempt.payment_id == payment.payment_id:
                    payee = attempt.payee
                    attempt_fields = {"attempt": attempt.number, "end_to_end_id": attempt.end_to_end_id}
                    attempt_fields |= {"beneficiary_name": payee.name, "iban": payee.iban, "bic": payee.bic}
                    rows.append(HeldRow("payment_attempts", payment.claim_id, attempt_fields))
        for claim_id in sorted(claim_ids):
            waiting = self._waitlist.entries.get(claim_id)
            if waiting is not None:
                decision = waiting.decision
                fields = {k: decision.get(k) for k in ("beneficiary_name", "iban", "bic")} | {"siren": waiting.siren}
                rows.append(HeldRow("waitlist", claim_id, fields))
        return rows
