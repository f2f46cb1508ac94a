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

import asyncpg
import structlog
from pydantic import ValidationError

from guichet_common.contracts import (
    ClaimDecidedV1,
    ClaimRegisteredV1,
    ClaimStatusV1,
    RegistryCompanyV1,
    SubmittedClaim,
)
from guichet_common.contracts.internal import ELIGIBILITY_DECISIONS_TOPIC
from guichet_common.contracts.status import TOPIC as STATUS_TOPIC
from guichet_common.db import TRANSIENT_DB_ERRORS
from guichet_common.inbox import first_sightings
from guichet_common.outbox import OutboxMessage, write_outbox
from guichet_common.records import (
    InboundRecord,
    Unreadable,
    dead_letter,
    decode_all,
    describe_validation_error,
    read_json_object,
)
from guichet_common.safe_text import has_unsafe_characters
from guichet_common.set_aside import item_by_item, set_aside
from guichet_eligibility import domain, repository
from guichet_eligibility.translate import claim_facts
from guichet_programme import Programme

log = structlog.get_logger()
REGISTRY_DEADLINE = "registry_deadline"  # the set-aside kind of a claim the deadline job could not judge


@dataclass(frozen=True)
class EligibilityService:
    programmes: Mapping[str, Programme]
    topic_prefix: str = ""
    registry_grace: dt.timedelta = dt.timedelta(seconds=10)

    async def apply_registry_records(self, conn: asyncpg.Connection, records: Sequence[InboundRecord]) -> None:
        """Upsert each company (last record wins; a null value deletes it), then judge claims that waited for it."""
        outbox: list[OutboxMessage] = []
        latest: dict[str, dict | None] = {}  # per SIREN, the batch's last word: a record, or None for a tombstone
        for record in records:
            if record.value is None:
                key = (record.key or b"").decode("utf-8", "replace")
                if has_unsafe_characters(key):  # PostgreSQL refuses a NUL: it would fail the batch, not the record
                    outbox.append(dead_letter(record, "tombstone key holds a control character"))
                elif key:
                    latest[key] = None
                continue
            try:
                read_json_object(record)
                company = RegistryCompanyV1.model_validate_json(record.value)
            except Unreadable as error:
                outbox.append(dead_letter(record, str(error)))
                continue
            except ValidationError as error:
                outbox.append(dead_letter(record, "schema: " + "; ".join(describe_validation_error(error))))
                continue
            if has_unsafe_characters(company.denominationUniteLegale or ""):  # the only free text; jsonb refuses NUL
                outbox.append(dead_letter(record, "denominationUniteLegale holds a control character"))
                continue
            latest[company.siren] = company.model_dump(mode="json")
        await repository.delete_companies(conn, [siren for siren, value in latest.items() if value is None])
        await repository.upsert_companies(conn, [value for value in latest.values() if value is not None])
        arrived = [siren for siren, value in latest.items() if value is not None]
        if arrived:
            waiting = await repository.take_awaiting_for_companies(conn, arrived)
            outbox += await self._judge(conn, [(stored_claim(row), row["correlation_id"]) for row in waiting])
        await write_outbox(conn, outbox)

    async def apply_registered_claims(self, conn: asyncpg.Connection, records: Sequence[InboundRecord]) -> None:
        """Judge every claim of the batch not seen before, or park it until its registry record arrives."""
        events, outbox = decode_all(ClaimRegisteredV1, records)
        fresh = await first_sightings(conn, records[0].topic, [e.event_id for e in events]) if events else set()
        known = await repository.known_claim_ids(conn, [e.claim.claim_id for e in events]) if events else set()
        arrivals: list[ClaimRegisteredV1] = []
        for event in events:
            if event.event_id in fresh and event.claim.claim_id not in known:
                fresh.discard(event.event_id)
                known.add(event.claim.claim_id)  # a second event for the same claim in this batch is a duplicate
                arrivals.append(event)
        if not arrivals:
            await write_outbox(conn, outbox)
            return
        deadline = datetime.now(UTC) + self.registry_grace
        await repository.insert_awaiting_claims(
            conn,
            [
                repository.AwaitingClaim(
                    claim_facts(e.claim), e.correlation_id, e.claim.model_dump(mode="json"), deadline
                )
                for e in arrivals
            ],
        )
        registry = await repository.registry_facts_for(conn, sorted({e.claim.applicant.siren for e in arrivals}))
        judged_now = [
            (e.claim, e.correlation_id)
            for e in arrivals
            if self.registry_grace <= dt.timedelta(0) or e.claim.applicant.siren in registry
        ]
        for event in arrivals:
            if event.claim.applicant.siren not in registry and self.registry_grace > dt.timedelta(0):
                log.info("claim_awaits_registry_record", claim_id=event.claim.claim_id)
        # Claims left waiting still count, in their place, as history for the batch's later claims.
        outbox += await self._judge(conn, judged_now, registry, in_order=[e.claim.claim_id for e in arrivals])
        await write_outbox(conn, outbox)

    async def judge_past_registry_deadline(self, conn: asyncpg.Connection, limit: int = 500) -> int:
        """Judge the claims whose company never showed up in time (they go to review as REGISTRY_NO_RECORD).

        All at once; if that fails, one by one, each in a savepoint: a claim that cannot be judged on its own is
        set aside (`registry_deadline`, with its reason) and skipped from then on, and the others are judged."""
        rows = await repository.take_awaiting_past_deadline(conn, limit)
        try:
            async with conn.transaction():
                outbox = await self._judge(conn, [(stored_claim(r), r["correlation_id"]) for r in rows])
        except TRANSIENT_DB_ERRORS:
            raise
        except Exception as error:
            log.warning("registry_deadline_batch_failed", claims=len(rows), error=type(error).__name__)
            outbox = []

            async def judge_alone(row: asyncpg.Record) -> None:
                outbox.extend(await self._judge(conn, [(stored_claim(row), row["correlation_id"])]))

            async def aside(row: asyncpg.Record, error: Exception) -> None:
                await repository.set_claim_aside(conn, row["claim_id"])
                if await set_aside(conn, REGISTRY_DEADLINE, row["claim_id"], failure_reason(error)):
                    log.warning(
                        "item_set_aside", kind=REGISTRY_DEADLINE, item_id=row["claim_id"], reason=type(error).__name__
                    )

            await item_by_item(conn, rows, judge_alone, aside)
        await write_outbox(conn, outbox)
        return len(rows)

    async def _judge(
        self,
        conn: asyncpg.Connection,
        claims: list[tuple[SubmittedClaim, uuid.UUID]],
        registry: Mapping[str, domain.RegistryFacts] | None = None,
        in_order: Sequence[str] | None = None,
    ) -> list[OutboxMessage]:
        """Judge `claims` with one read of their history for the whole batch, each as if it came alone after the
        ones before it in `in_order` (the batch's arrival order, claims left waiting included; default: `claims`)."""
        if not claims:
            return []
        facts = {claim.claim_id: claim_facts(claim) for claim, _ in claims}
        in_order = list(in_order if in_order is not None else facts)
        if registry is None:
            registry = await repository.registry_facts_for(conn, sorted({f.siren for f in facts.values()}))
        ledger = domain.Ledger.of(await repository.related_claims(conn, list(facts.values())), in_order)
        decisions: list[tuple[str, domain.Decision]] = []
        outbox: list[OutboxMessage] = []
        to_judge = {claim.claim_id: (claim, correlation_id) for claim, correlation_id in claims}
        for claim_id in in_order:
            if claim_id not in to_judge:
                ledger.arrive(claim_id)
                continue
            claim, correlation_id = to_judge[claim_id]
            subject = domain.subject_for(
                facts[claim_id],
                registry.get(claim.applicant.siren),
                domain.history_from(ledger.prior_for(facts[claim_id]), facts[claim_id]),
                self.programmes[claim.programme],  # intake refuses unknown programmes
            )
            decision = domain.decide(subject)
            ledger.decided(claim.claim_id, holds_aid=decision.outcome in repository.HOLDING_AID)
            decisions.append((claim.claim_id, decision))
            log.info(
                "claim_assessed",
                claim_id=claim.claim_id,
                outcome=decision.outcome,
                reasons=list(decision.reasons),
                rule_version=decision.rule_version,
            )
            outbox += announce(
                self.topic_prefix,
                claim,
                decision.outcome,
                list(decision.reasons),
                decision.rule_version,
                correlation_id,
                decision.grant_cents,
            )
        await repository.record_decisions(conn, decisions)
        return outbox

    def _topic(self, name: str) -> str:
        return self.topic_prefix + name


def failure_reason(error: Exception) -> str:
    """Why a claim could not be judged, without echoing its values (a validation error would quote the claim)."""
    if isinstance(error, ValidationError):
        return f"{type(error).__name__}: " + "; ".join(describe_validation_error(error))
    return f"{type(error).__name__}: {error}"


def stored_claim(row: asyncpg.Record) -> SubmittedClaim:
    # Our own stored JSON: dates come back as strings, hence the lax (non-strict) validation here.
    return SubmittedClaim.model_validate(row["payload"], strict=False)


def announce(
    topic_prefix: str,
    claim: SubmittedClaim,
    outcome: str,
    reasons: list[str],
    rule_version: str,
    correlation_id: uuid.UUID,
    grant_cents: int,
) -> list[OutboxMessage]:
    """The status for the portal and, on approval, the instruction to payments (used by rules and operators)."""
    now = datetime.now(UTC)
    status = ClaimStatusV1(
        event_id=uuid.uuid4(),
        occurred_at=now,
        claim_id=claim.claim_id,
        programme=claim.programme,
        siren=claim.applicant.siren,
        status=outcome,  # type: ignore[arg-type]
        reasons=reasons,
        rule_version=rule_version,
        amount_cents=grant_cents if outcome == domain.APPROVED else None,
    )
    messages = [OutboxMessage.of_event(topic_prefix + STATUS_TOPIC, claim.claim_id, status)]
    if outcome == domain.APPROVED:
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
            beneficiary_name=claim.bank_account.holder_name,
            iban=claim.bank_account.iban,
            bic=claim.bank_account.bic,
        )
        messages.append(
            OutboxMessage.of_event(topic_prefix + ELIGIBILITY_DECISIONS_TOPIC, claim.applicant.siren, approved)
        )
    return messages
