"""Eligibility use cases: keep the registry copy; judge each registered claim once and announce the decision.

The registry feed and the claims arrive on different topics, so a claim can overtake its company's record. A
claim whose company is missing therefore waits (status unchanged for the portal) until the record arrives or its
registry deadline passes; only then does it go to review as REGISTRY_NO_RECORD.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic import ValidationError

from guichet_common.contracts import ClaimDecidedV1, ClaimStatusV1
from guichet_common.contracts.internal import ELIGIBILITY_DECISIONS_TOPIC, RegisteredClaim
from guichet_common.contracts.status import TOPIC as STATUS_TOPIC
from guichet_common.contracts.status import ClaimStatus
from guichet_common.outbox import OutboxMessage
from guichet_common.records import describe_validation_error
from guichet_eligibility import domain
from guichet_eligibility.judgements import judgement_message
from guichet_eligibility.repository import AwaitingClaim, WaitingClaim
from guichet_eligibility.translate import claim_facts, stored_claim
from guichet_eligibility.unit_of_work import EligibilityWork
from guichet_programme import Programme

log = structlog.get_logger()
REGISTRY_DEADLINE = "registry_deadline"  # the set-aside kind of a claim the deadline job could not judge


@dataclass(frozen=True)
class Arrival:
    """A registered claim, as intake announced it (contact and bank fields sealed; a stored one, null once erased)."""

    claim: RegisteredClaim
    correlation_id: uuid.UUID
    source: str | None = None  # the portal that sent it: every status and decision about it names it
    iban_fingerprint: str | None = None  # None for a claim registered before sealing

    @property
    def facts(self) -> domain.ClaimFacts:
        return claim_facts(self.claim, self.iban_fingerprint)


@dataclass(frozen=True)
class EligibilityService:
    programmes: Mapping[str, Programme]
    topic_prefix: str = ""
    registry_grace: dt.timedelta = dt.timedelta(seconds=10)

    async def apply_registry_records(
        self, uow: EligibilityWork, latest: Mapping[str, Mapping[str, Any] | None]
    ) -> list[OutboxMessage]:
        """Keep the registry copy: per SIREN, the batch's last word (a record as the contract's JSON, or None for a
        company removed from the registry). Then judge the claims that were waiting for the companies that arrived."""
        await uow.companies.delete([siren for siren, record in latest.items() if record is None])
        await uow.companies.upsert([record for record in latest.values() if record is not None])
        arrived = [siren for siren, record in latest.items() if record is not None]
        if not arrived:
            return []
        waiting = await uow.claims.take_awaiting_for_companies(arrived)
        return await self._judge(uow, [waiting_arrival(w) for w in waiting])

    async def apply_registered_claims(self, uow: EligibilityWork, arrivals: Sequence[Arrival]) -> list[OutboxMessage]:
        """Judge every claim never registered before, or park it until its registry record arrives."""
        known = await uow.claims.known_claim_ids([arrival.claim.claim_id for arrival in arrivals])
        new: list[Arrival] = []
        for arrival in arrivals:
            if arrival.claim.claim_id not in known:
                known.add(arrival.claim.claim_id)  # a second event for the same claim in this batch is a duplicate
                new.append(arrival)
        if not new:
            return []
        deadline = datetime.now(UTC) + self.registry_grace
        await uow.claims.insert_awaiting(
            [
                # The payload as received: its sealed values stay sealed (eligibility holds no key).
                AwaitingClaim(a.facts, a.correlation_id, a.claim.model_dump(mode="json"), deadline, a.source)
                for a in new
            ]
        )
        registry = await uow.companies.registry_facts_for(sorted({a.claim.applicant.siren for a in new}))
        waits = self.registry_grace > dt.timedelta(0)
        judged_now = [a for a in new if not waits or a.claim.applicant.siren in registry]
        for arrival in new:
            if waits and arrival.claim.applicant.siren not in registry:
                log.info("claim_awaits_registry_record", claim_id=arrival.claim.claim_id)
        # Claims left waiting still count, in their place, as history for the batch's later claims.
        return await self._judge(uow, judged_now, registry, in_order=[a.claim.claim_id for a in new])

    async def judge_past_registry_deadline(self, uow: EligibilityWork, limit: int = 500) -> int:
        """Judge the claims whose company never showed up in time (they go to review as REGISTRY_NO_RECORD).

        All at once; if that fails, one by one, each in a savepoint: a claim that cannot be judged on its own is
        set aside (`registry_deadline`, with its reason) and skipped from then on, and the others are judged.
        Returns how many claims it took (the background loop runs again at once while there were some)."""
        waiting = await uow.claims.take_awaiting_past_deadline(limit)
        if not waiting:
            return 0
        published: list[OutboxMessage] = []

        async def judge_all(claims: list[WaitingClaim]) -> None:
            arrivals = [waiting_arrival(c) for c in claims]
            published.extend(await self._judge(uow, arrivals))

        async def one_by_one(claims: list[WaitingClaim], error: Exception) -> None:
            log.warning("registry_deadline_batch_failed", claims=len(claims), error=type(error).__name__)
            await uow.item_by_item(claims, lambda claim: judge_all([claim]), set_aside)

        async def set_aside(claim: WaitingClaim, error: Exception) -> None:
            await uow.claims.mark_set_aside(claim.claim_id)
            if await uow.set_aside(REGISTRY_DEADLINE, claim.claim_id, failure_reason(error)):
                log.warning(
                    "item_set_aside", kind=REGISTRY_DEADLINE, item_id=claim.claim_id, reason=type(error).__name__
                )

        await uow.item_by_item([waiting], judge_all, one_by_one)
        uow.publish(published)
        return len(waiting)

    async def _judge(
        self,
        uow: EligibilityWork,
        claims: Sequence[Arrival],
        registry: Mapping[str, domain.RegistryFacts] | None = None,
        in_order: Sequence[str] | None = None,
    ) -> list[OutboxMessage]:
        """Judge `claims` with one read of their history for the whole batch, each as if it came alone after the
        ones before it in `in_order` (the batch's arrival order, claims left waiting included; default: `claims`)."""
        if not claims:
            return []
        facts = [arrival.facts for arrival in claims]
        if registry is None:
            registry = await uow.companies.registry_facts_for(sorted({f.siren for f in facts}))
        order = list(in_order) if in_order is not None else [f.claim_id for f in facts]
        ledger = domain.Ledger.of(await uow.claims.related_claims(facts), order)
        judged = domain.judge(facts, registry, ledger, self.programmes, in_order=order)
        announced = {arrival.claim.claim_id: arrival for arrival in claims}
        outbox: list[OutboxMessage] = []
        now = datetime.now(UTC)
        for judgement in judged:
            decision = judgement.decision
            arrival = announced[judgement.claim_id]
            claim = arrival.claim
            reasons = list(decision.reasons)
            log.info(
                "claim_assessed",
                claim_id=claim.claim_id,
                outcome=decision.outcome,
                reasons=reasons,
                rule_version=decision.rule_version,
            )
            outbox += announce(
                self.topic_prefix,
                claim,
                decision.outcome,
                reasons,
                decision.rule_version,
                arrival.correlation_id,
                decision.grant_cents,
                source=arrival.source,
            )
            outbox.append(
                judgement_message(
                    self.topic_prefix,
                    claim_id=claim.claim_id,
                    programme=claim.programme,
                    siren=claim.applicant.siren,
                    status=decision.outcome,
                    rule_version=decision.rule_version,
                    reasons=reasons,
                    rules=[result.as_record() for result in decision.results],
                    grant_cents=decision.grant_cents,
                    now=now,
                )
            )
        await uow.claims.record_decisions([(judgement.claim_id, judgement.decision) for judgement in judged])
        return outbox


def failure_reason(error: Exception) -> str:
    """Why a claim could not be judged, without echoing its values (a validation error would quote the claim)."""
    if isinstance(error, ValidationError):
        return f"{type(error).__name__}: " + "; ".join(describe_validation_error(error))
    return f"{type(error).__name__}: {error}"


def waiting_arrival(claim: WaitingClaim) -> Arrival:
    return Arrival(stored_claim(claim.payload), claim.correlation_id, claim.source, claim.iban_fingerprint)


class BankDetailsErased(Exception):
    """An approval of a claim whose bank details were erased: there is nothing to pay to (erasure waits for a final
    status, so this means a bug or a hand-edited row)."""


def announce(
    topic_prefix: str,
    claim: RegisteredClaim,
    outcome: ClaimStatus,
    reasons: list[str],
    rule_version: str,
    correlation_id: uuid.UUID,
    grant_cents: int,
    *,
    source: str | None = None,
    reviewed_reasons: Sequence[str] = (),
    approved_by_person: bool = False,
) -> list[OutboxMessage]:
    """The status for the portal and, on approval, the instruction to payments (used by rules and operators); both
    name the claim's `source`, the portal that sent it. A person's review decision that approves the claim says so
    (`approved_by_person`) with the codes that had sent it to review (`reviewed_reasons`): payments' risk rules for
    post-payment controls read them, with the invoices' supplier SIRENs."""
    now = datetime.now(UTC)
    status = ClaimStatusV1(
        event_id=uuid.uuid4(),
        occurred_at=now,
        claim_id=claim.claim_id,
        programme=claim.programme,
        siren=claim.applicant.siren,
        status=outcome,
        reasons=reasons,
        rule_version=rule_version,
        amount_cents=grant_cents if outcome == domain.APPROVED else None,
        source=source,
    )
    messages = [OutboxMessage.of_event(topic_prefix + STATUS_TOPIC, claim.claim_id, status)]
    if outcome == domain.APPROVED:
        bank = claim.bank_account
        if bank.iban is None or bank.holder_name is None:
            raise BankDetailsErased(f"claim {claim.claim_id}: bank details erased, nothing to pay to")
        # The bank values go to payments as intake sealed them (kind bank): payments opens them, eligibility cannot.
        approved = ClaimDecidedV1(
            event_id=uuid.uuid4(),
            occurred_at=now,
            correlation_id=correlation_id,
            claim_id=claim.claim_id,
            programme=claim.programme,
            siren=claim.applicant.siren,
            decision="approved",
            rule_version=rule_version,
            grant_amount_cents=grant_cents,
            submitted_at=claim.submitted_at,
            beneficiary_name=bank.holder_name,
            iban=bank.iban,
            bic=bank.bic,
            source=source,
            reviewed_reasons=list(reviewed_reasons),
            approved_by_person=approved_by_person,
            supplier_sirens=sorted({i.supplier_siren for i in claim.invoices if i.supplier_siren is not None}),
        )
        messages.append(
            OutboxMessage.of_event(topic_prefix + ELIGIBILITY_DECISIONS_TOPIC, claim.applicant.siren, approved)
        )
    return messages
