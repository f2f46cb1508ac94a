"""Batches: scheduled payment attempts gather into one SEPA credit-transfer file per programme, closed by size
or by age. `payments.issued.v1` and `payment_sent` are published only once the file exists."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import structlog

from guichet_common.contracts import PaymentIssuedV1
from guichet_common.outbox import OutboxMessage, write_outbox
from guichet_common.set_aside import item_by_item, set_aside
from guichet_payments import domain, repository, sepa
from guichet_payments.events import Announcer
from guichet_programme import Programme

log = structlog.get_logger()
_XML_ELEMENT = re.compile(r"'\{[^}']*\}(\w+)'")  # lxml names the element: keep it, without its namespace
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
PAYMENT_ATTEMPT = "payment_attempt"  # the set-aside kind
PAYMENT_BLOCKED = "PAYMENT_BLOCKED"  # the reason code announced with payment_scheduled


def _kind(error: BaseException) -> str:
    """What failed, without the values that made it fail: sepa and lxml quote a name, an IBAN or a BIC there."""
    text = _QUOTED.sub("…", _XML_ELEMENT.sub(r"\1", str(error)))
    return f"{type(error).__name__}: {text}"[:300]


@dataclass(frozen=True)
class Batcher:
    programmes: Mapping[str, Programme]
    files_dir: Path
    max_size: int = 500
    max_age: dt.timedelta = dt.timedelta(seconds=5)
    topic_prefix: str = ""
    clock: domain.Clock = field(default=domain.system_clock)

    async def close_due_batches(self, conn: asyncpg.Connection) -> int:
        """Close at most one batch per programme that is due; call inside one transaction. Returns batches made
        (a batch whose every attempt had to be set aside counts too: the job found work, it should look again)."""
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
        try:
            xml, outbox = self._file(programme, rows, batch_id, now)
        except Exception as error:  # pure code: any failure comes from the values of one attempt or more
            log.warning("batch_unwritable", batch_id=batch_id, transfers=len(rows), error=_kind(error))
            rows = await self._writable(conn, programme, rows, batch_id, now)
            if not rows:
                return []
            # Each of these makes a valid file on its own; if together they still do not, that is a bug here,
            # and the job's failure says so.
            xml, outbox = self._file(programme, rows, batch_id, now)
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
                "requested_execution_date": domain.paris_today(now, programme.zone),
            },
            [(row["payment_id"], row["attempt"]) for row in rows],
        )
        log.info("batch_closed", batch_id=batch_id, transfers=len(rows))
        return outbox

    def _file(
        self, programme: Programme, rows: list[asyncpg.Record], batch_id: str, now: dt.datetime
    ) -> tuple[bytes, list[OutboxMessage]]:
        """The validated SEPA file of `rows` and what to announce once it exists; raises if any value does not fit."""
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
        outbox = [m for row in rows for m in self._issued(programme, row, batch_id, execution_date, now)]
        return xml, outbox

    async def _writable(
        self,
        conn: asyncpg.Connection,
        programme: Programme,
        rows: list[asyncpg.Record],
        batch_id: str,
        now: dt.datetime,
    ) -> list[asyncpg.Record]:
        """The attempts that make a valid file alone; the others are blocked and set aside, each with its reason."""
        writable: list[asyncpg.Record] = []

        async def alone(row: asyncpg.Record) -> None:
            self._file(programme, [row], batch_id, now)
            writable.append(row)

        async def block(row: asyncpg.Record, error: Exception) -> None:
            await self._block(conn, programme, row, error, now)

        await item_by_item(conn, rows, alone, block)
        return writable

    async def _block(
        self, conn: asyncpg.Connection, programme: Programme, row: asyncpg.Record, error: Exception, now: dt.datetime
    ) -> None:
        item_id = f"{row['payment_id']}:{row['attempt']}"
        await repository.block_attempt(conn, row["payment_id"], row["attempt"])
        if not await set_aside(conn, PAYMENT_ATTEMPT, item_id, _kind(error)):
            return  # held already: announced and logged the first time
        log.warning(
            "item_set_aside", kind=PAYMENT_ATTEMPT, item_id=item_id, claim_id=row["claim_id"], reason=_kind(error)
        )
        # The claim stays payment_scheduled; the reason tells the portal why the money is late (no e-mail: this
        # status mails nobody), until the attempt goes into a file (payment_sent) or is cancelled.
        blocked = Announcer(self.topic_prefix).status(
            claim_id=row["claim_id"],
            programme=programme.id,
            siren=row["siren"],
            status="payment_scheduled",
            reasons=[PAYMENT_BLOCKED],
            amount_cents=row["amount_cents"],
            payment_id=row["payment_id"],
            now=now,
        )
        await write_outbox(conn, [blocked])

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
