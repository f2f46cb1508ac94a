"""Batches: scheduled payment attempts gather into one SEPA credit-transfer file per programme, closed by size
or by age. `payments.issued.v1` and `payment_sent` are published only once the file exists."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import structlog

from guichet_common.contracts import PaymentIssuedV1
from guichet_common.outbox import OutboxMessage, write_outbox
from guichet_common.programmes import Programme
from guichet_payments import domain, repository, sepa
from guichet_payments.events import Announcer

log = structlog.get_logger()


@dataclass(frozen=True)
class Batcher:
    programmes: Mapping[str, Programme]
    files_dir: Path
    max_size: int = 500
    max_age: dt.timedelta = dt.timedelta(seconds=5)
    topic_prefix: str = ""
    clock: domain.Clock = field(default=domain.system_clock)

    async def close_due_batches(self, conn: asyncpg.Connection) -> int:
        """Close at most one batch per programme that is due; call inside one transaction. Returns batches made."""
        now = self.clock()
        due = await repository.programmes_with_unbatched(conn, now - self.max_age, self.max_size)
        made = 0
        for programme_id in due:
            rows = await repository.take_unbatched(conn, programme_id, self.max_size)
            if rows:
                await write_outbox(conn, await self._close(conn, self.programmes[programme_id], rows, now))
                made += 1
        return made

    async def _close(
        self, conn: asyncpg.Connection, programme: Programme, rows: list[asyncpg.Record], now: dt.datetime
    ) -> list[OutboxMessage]:
        batch_id = domain.new_batch_id(programme.id, now, programme.zone)
        execution_date = domain.paris_today(now, programme.zone)
        debtor = programme.payment
        xml = sepa.credit_transfer_xml(
            sepa.BatchFile(
                batch_id=batch_id,
                debtor=sepa.Debtor(debtor.debtor_name, debtor.debtor_iban, debtor.debtor_bic),
                execution_date=execution_date,
                created_at=now,
                transfers=tuple(
                    sepa.Transfer(
                        end_to_end_id=row["end_to_end_id"],
                        amount_cents=row["amount_cents"],
                        creditor_name=row["beneficiary_name"],
                        creditor_iban=row["iban"],
                        creditor_bic=row["bic"],
                        remittance=domain.remittance_information(debtor.remittance_prefix, row["claim_id"]),
                    )
                    for row in rows
                ),
            )
        )
        # The file is written before the transaction commits: if the commit fails, an orphan file with an
        # unknown batch id is left, never a recorded batch without its file.
        path = sepa.write_batch_file(self.files_dir, batch_id, xml)
        await repository.record_batch(
            conn,
            {
                "batch_id": batch_id,
                "programme": programme.id,
                "file_path": str(path),
                "file_sha256": hashlib.sha256(xml).hexdigest(),
                "transfer_count": len(rows),
                "control_sum_cents": sum(row["amount_cents"] for row in rows),
                "requested_execution_date": execution_date,
            },
            [(row["payment_id"], row["attempt"]) for row in rows],
        )
        log.info("batch_closed", batch_id=batch_id, transfers=len(rows))
        return [m for row in rows for m in self._issued(programme, row, batch_id, execution_date, now)]

    def _issued(
        self, programme: Programme, row: asyncpg.Record, batch_id: str, execution_date: dt.date, now: dt.datetime
    ) -> list[OutboxMessage]:
        announce = Announcer(self.topic_prefix)
        issued = PaymentIssuedV1(
            event_id=uuid.uuid4(),
            occurred_at=now,
            payment_id=row["payment_id"],
            claim_id=row["claim_id"],
            programme=programme.id,
            siren=row["siren"],
            beneficiary_name=row["beneficiary_name"][:140],
            iban=row["iban"],
            bic=row["bic"],
            amount_cents=row["amount_cents"],
            end_to_end_id=row["end_to_end_id"],
            remittance_information=domain.remittance_information(programme.payment.remittance_prefix, row["claim_id"]),
            batch_id=batch_id,
            requested_execution_date=execution_date,
            attempt=row["attempt"],
        )
        sent = announce.status(
            claim_id=row["claim_id"],
            programme=programme.id,
            siren=row["siren"],
            status="payment_sent",
            amount_cents=row["amount_cents"],
            payment_id=row["payment_id"],
            now=now,
        )
        return [announce.issued(issued), sent]
