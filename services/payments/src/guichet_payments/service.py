"""Payments use cases on approvals: reserve the grant from the envelope, or queue the claim until money frees up.

The envelope is first come, first served: while anyone waits, a newcomer queues behind them; released money
goes to the oldest waiting claim first (submission order).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

import structlog

from guichet_common.contracts import ClaimDecidedV1
from guichet_common.outbox import OutboxMessage
from guichet_common.privacy.keyring import Opener
from guichet_payments import domain
from guichet_payments.controls.model import RiskFacts
from guichet_payments.domain import Payment, Waiting
from guichet_payments.events import Announcer
from guichet_payments.sealed_payees import development_fingerprint, development_opener, iban_fingerprint, payees
from guichet_payments.unit_of_work import PaymentsWork
from guichet_programme import Programme

log = structlog.get_logger()


def risk_facts(approval: ClaimDecidedV1) -> RiskFacts:
    return RiskFacts(
        approval.claim_id,
        tuple(approval.reviewed_reasons),
        approval.approved_by_person,
        tuple(approval.supplier_sirens),
    )


class UnknownProgramme(KeyError):
    """An approval for a programme this deployment does not run: it fails alone and is dead-lettered, to be replayed
    once the programme file is deployed. An envelope in the database is not enough (another deployment, or an older
    programme file, may have opened it): without the programme the batcher could not write its SEPA file."""


@dataclass(frozen=True)
class PaymentsService:
    programmes: Mapping[str, Programme]
    topic_prefix: str = ""
    clock: domain.Clock = field(default=domain.system_clock)
    opener: Opener = field(default_factory=development_opener)  # opens the approvals' sealed bank details
    fingerprint: Callable[[str], str] = development_fingerprint  # the master key's, for IBANs (`MasterKey`)

    @property
    def announce(self) -> Announcer:
        return Announcer(self.topic_prefix)

    async def open_envelopes(self, uow: PaymentsWork) -> None:
        """Open each programme's envelope with its budget; one already open is left as it is. Each is announced as
        it stands, so that the back-office knows every envelope before its first claim."""
        for programme in self.programmes.values():
            await uow.budgets.ensure(programme.id, programme.budget.total_cents)
        uow.publish(await self.envelopes(uow, list(self.programmes)))

    async def envelopes(self, uow: PaymentsWork, programmes: Collection[str]) -> list[OutboxMessage]:
        """The snapshot of each envelope a use case changed, once per transaction and programme (never per claim):
        a use case that changes an envelope or its waitlist publishes this before it returns."""
        if not programmes:
            return []
        now = self.clock()
        return [self.announce.envelope(figures, now) for figures in await uow.budgets.snapshot(sorted(programmes))]

    async def apply_approvals(self, uow: PaymentsWork, approvals: Sequence[ClaimDecidedV1]) -> list[OutboxMessage]:
        """In arrival order: reserve each grant from its envelope and schedule its payment, or put the claim in line;
        a second claim of a company already paid or in line is refused. A few reads and writes for the whole batch,
        with the envelopes locked until it commits. Returns the claims' statuses."""
        if not approvals:
            return []
        if unknown := sorted({a.programme for a in approvals} - self.programmes.keys()):
            raise UnknownProgramme(f"no programme {', '.join(unknown)} in this deployment")
        served = await uow.payments.companies_already_served(sorted({(a.programme, a.siren) for a in approvals}))
        first_per_company: list[ClaimDecidedV1] = []
        for approval in approvals:
            if (approval.programme, approval.siren) in served:
                # Eligibility rejects a second claim of the same company; this is the last line if it did not.
                log.warning("payment_refused_company_already_served", claim_id=approval.claim_id)
                continue
            served.add((approval.programme, approval.siren))
            first_per_company.append(approval)
        programmes = sorted({a.programme for a in first_per_company})
        available = await uow.budgets.available_cents_locked(programmes)
        waiting = await uow.waitlist.programmes_with_waitlist(programmes)
        to_pay: list[ClaimDecidedV1] = []
        to_queue: list[ClaimDecidedV1] = []
        for programme in programmes:
            mine = [a for a in first_per_company if a.programme == programme]
            covered = domain.first_come_first_served(
                available[programme], programme in waiting, [a.grant_amount_cents for a in mine]
            )
            for approval, fits in zip(mine, covered, strict=True):
                (to_pay if fits else to_queue).append(approval)
            if reserved := sum(a.grant_amount_cents for a, fits in zip(mine, covered, strict=True) if fits):
                await uow.budgets.reserve(programme, reserved)
        published = await self.schedule(uow, to_pay) + await self._queue(uow, to_queue)
        return published + await self.envelopes(uow, programmes)

    async def _queue(self, uow: PaymentsWork, approvals: list[ClaimDecidedV1]) -> list[OutboxMessage]:
        await uow.waitlist.add(
            [Waiting(a.claim_id, a.programme, a.siren, a.submitted_at, a.model_dump(mode="json")) for a in approvals]
        )
        # Kept sealed; its IBAN's fingerprint lets new bank details of another company be checked against it.
        opened = await payees(self.opener, uow.keys, approvals)
        await uow.accounts.remember_waiting_accounts(
            {claim_id: iban_fingerprint(self.fingerprint, payee.iban) for claim_id, payee in opened.items()}
        )
        for approval in approvals:
            log.info("claim_waitlisted", claim_id=approval.claim_id)
        return [
            self.announce.status(
                claim_id=a.claim_id,
                programme=a.programme,
                siren=a.siren,
                status="waitlisted",
                reasons=[domain.BUDGET_EXHAUSTED],
                now=self.clock(),
                source=a.source,
            )
            for a in approvals
        ]

    async def schedule(self, uow: PaymentsWork, approvals: Sequence[ClaimDecidedV1]) -> list[OutboxMessage]:
        """Payments for claims whose grants are already reserved; the batcher puts them in the next SEPA file. Their
        bank details are opened here (they arrive sealed), and only here."""
        now = self.clock()
        opened = await payees(self.opener, uow.keys, approvals)
        scheduled = [
            Payment.schedule(
                claim_id=a.claim_id,
                programme=a.programme,
                siren=a.siren,
                amount_cents=a.grant_amount_cents,
                submitted_at=a.submitted_at,
                payee=opened[a.claim_id],
                now=now,
                source=a.source,
            )
            for a in approvals
        ]
        await uow.payments.add([payment for payment, _ in scheduled])
        await uow.payments.add_attempts([attempt for _, attempt in scheduled])
        # Kept for post-payment controls' risk rules, which judge claims long after their approval.
        await uow.controls.record_risk_facts([risk_facts(a) for a in approvals])
        messages = []
        for payment, _ in scheduled:
            log.info("payment_scheduled", claim_id=payment.claim_id, payment_id=payment.payment_id)
            messages.append(
                self.announce.of_payment(payment, "payment_scheduled", now, amount_cents=payment.amount_cents)
            )
        return messages

    async def promote_waiting(self, uow: PaymentsWork, programme: str) -> list[OutboxMessage]:
        """Give released money to the oldest waiting claims, as far as it goes."""
        messages: list[OutboxMessage] = []
        while (waiting := await uow.waitlist.oldest(programme)) is not None:
            approval = ClaimDecidedV1.model_validate(waiting.decision, strict=False)
            if not await uow.budgets.try_reserve(programme, approval.grant_amount_cents):
                break
            await uow.waitlist.leave(approval.claim_id)
            log.info("claim_promoted_from_waitlist", claim_id=approval.claim_id)
            messages += await self.schedule(uow, [approval])
        return messages
