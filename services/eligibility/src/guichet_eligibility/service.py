"""Eligibility use cases: keep the registry copy; judge each registered claim once and announce the decision."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog
from guichet_common.contracts import ClaimDecidedV1, ClaimRegisteredV1, ClaimStatusV1, RegistryCompanyV1
from guichet_common.contracts.internal import ELIGIBILITY_DECISIONS_TOPIC
from guichet_common.contracts.status import TOPIC as STATUS_TOPIC
from guichet_common.inbox import first_sightings
from guichet_common.outbox import OutboxMessage, write_outbox
from guichet_common.programmes import Programme
from guichet_common.records import (
    InboundRecord,
    Unreadable,
    dead_letter,
    decode_all,
    describe_validation_error,
    read_json_object,
)
from pydantic import ValidationError

from guichet_eligibility import domain, repository

log = structlog.get_logger()


@dataclass(frozen=True)
class EligibilityService:
    programmes: Mapping[str, Programme]
    topic_prefix: str = ""

    async def apply_registry_records(self, conn: asyncpg.Connection, records: Sequence[InboundRecord]) -> None:
        """Upsert each company (last record wins); a null value is a tombstone that deletes it."""
        outbox: list[OutboxMessage] = []
        for record in records:
            if record.value is None:
                if record.key:
                    await repository.delete_company(conn, record.key.decode("utf-8", "replace"))
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
            await repository.upsert_company(conn, company.model_dump(mode="json"))
        await write_outbox(conn, outbox)

    async def apply_registered_claims(self, conn: asyncpg.Connection, records: Sequence[InboundRecord]) -> None:
        """Judge every claim of the batch not judged before; one transaction for the whole batch."""
        events, outbox = decode_all(ClaimRegisteredV1, records)
        fresh = await first_sightings(conn, records[0].topic, [e.event_id for e in events]) if events else set()
        for event in events:
            if event.event_id in fresh and not await repository.claim_known(conn, event.claim.claim_id):
                fresh.discard(event.event_id)
                outbox += await self._judge(conn, event)
        await write_outbox(conn, outbox)

    async def _judge(self, conn: asyncpg.Connection, event: ClaimRegisteredV1) -> list[OutboxMessage]:
        claim = event.claim
        programme = self.programmes[claim.programme]  # intake refuses unknown programmes
        subject = domain.Subject(
            claim=domain.ClaimFacts(
                claim_id=claim.claim_id,
                programme=claim.programme,
                siren=claim.applicant.siren,
                submitted_at=claim.submitted_at,
                declared_headcount=claim.applicant.headcount,
                invoices_incl_tax_cents=tuple(i.amount_incl_tax_cents for i in claim.invoices),
            ),
            registry=await repository.registry_facts(conn, claim.applicant.siren),
            history=await repository.history(conn, claim.programme, claim.applicant.siren, claim.claim_id),
            programme=programme,
        )
        decision = domain.decide(subject)
        await repository.record_decision(
            conn,
            claim_id=claim.claim_id,
            programme=claim.programme,
            siren=claim.applicant.siren,
            submitted_at=claim.submitted_at,
            payload=claim.model_dump(mode="json"),
            decision=decision,
        )
        log.info(
            "claim_assessed",
            claim_id=claim.claim_id,
            outcome=decision.outcome,
            reasons=list(decision.reasons),
            rule_version=decision.rule_version,
        )
        status = ClaimStatusV1(
            event_id=uuid.uuid4(),
            occurred_at=_now(),
            claim_id=claim.claim_id,
            programme=claim.programme,
            siren=claim.applicant.siren,
            status=decision.outcome,  # type: ignore[arg-type]
            reasons=list(decision.reasons),
            rule_version=decision.rule_version,
        )
        messages = [OutboxMessage.of_event(self._topic(STATUS_TOPIC), claim.claim_id, status)]
        if decision.outcome == domain.APPROVED:
            approved = ClaimDecidedV1(
                event_id=uuid.uuid4(),
                occurred_at=_now(),
                correlation_id=event.correlation_id,
                claim_id=claim.claim_id,
                programme=claim.programme,
                siren=claim.applicant.siren,
                decision="approved",
                rule_version=decision.rule_version,
                grant_amount_cents=programme.grant.amount_cents,
                submitted_at=claim.submitted_at,
                beneficiary_name=claim.bank_account.holder_name,
                iban=claim.bank_account.iban,
                bic=claim.bank_account.bic,
            )
            messages.append(
                OutboxMessage.of_event(self._topic(ELIGIBILITY_DECISIONS_TOPIC), claim.applicant.siren, approved)
            )
        return messages

    def _topic(self, name: str) -> str:
        return self.topic_prefix + name


def _now() -> datetime:
    return datetime.now(UTC)
