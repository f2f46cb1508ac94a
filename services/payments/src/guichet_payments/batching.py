"""Batches: scheduled payment attempts gather into one SEPA credit-transfer file per programme, closed by size
or by age. `payments.issued.v1` and `payment_sent` are published only once the file exists. The file, its control
sheets and (once the batch is committed) its manifest go to the outbound folder (`outbound`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from guichet_common.contracts import PaymentIssuedV1
from guichet_common.outbox import OutboxMessage
from guichet_common.privacy.keyring import Sealer
from guichet_payments import batch_keys, domain, outbound, sepa, sepa_versions
from guichet_payments.domain import Attempt, Batch, Payment
from guichet_payments.events import Announcer
from guichet_payments.unit_of_work import PaymentsWork
from guichet_programme import Programme

log = structlog.get_logger()
_XML_ELEMENT = re.compile(r"'\{[^}']*\}(\w+)'")  # lxml names the element: keep it, without its namespace
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
PAYMENT_ATTEMPT = "payment_attempt"  # the set-aside kind
PAYMENT_BLOCKED = "PAYMENT_BLOCKED"  # the reason code announced with payment_scheduled
Due = tuple[Payment, Attempt]  # a scheduled attempt waiting for a file, with its payment
# No transaction of the batcher lasts this long: a set on disk whose batch is still unknown then never will be.
UNRECORDED_AFTER = dt.timedelta(minutes=10)


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
    sealer: Sealer = field(default_factory=batch_keys.development_sealer)  # seals the file on the topic

    async def close_due_batches(self, uow: PaymentsWork) -> int:
        """Close at most one batch per programme that is due, writing its SEPA file and publishing its payment
        instructions and `payment_sent` statuses. Returns batches made (a batch whose every attempt had to be set
        aside counts too: the job found work, it should look again)."""
        now = self.clock()
        await self._announce_committed(uow, now)
        due = await uow.payments.programmes_with_unbatched(now - self.max_age, self.max_size)
        made = 0
        for programme_id in due:
            if programme_id not in self.programmes:
                # Scheduled under a programme file since withdrawn: its file cannot be written here. Said each turn
                # (an operator must deploy the programme again), and the other programmes' batches go on.
                log.warning("batch_programme_not_deployed", programme=programme_id)
                continue
            unbatched = await uow.payments.take_unbatched(programme_id, self.max_size)
            if unbatched:
                uow.publish(await self._close(uow, self.programmes[programme_id], unbatched, now))
                made += 1
        return made

    async def _close(
        self, uow: PaymentsWork, programme: Programme, unbatched: Sequence[Due], now: dt.datetime
    ) -> list[OutboxMessage]:
        batch_id = domain.new_batch_id(programme.id, now, programme.zone)
        try:
            xml, sent, outbox = self._file(programme, unbatched, batch_id, now)
        except Exception as error:  # pure code: any failure comes from the values of one attempt or more
            log.warning("batch_unwritable", batch_id=batch_id, transfers=len(unbatched), error=_kind(error))
            unbatched = await self._writable(uow, programme, unbatched, batch_id, now)
            if not unbatched:
                return []
            # Each of these makes a valid file on its own; if together they still do not, that is a bug here,
            # and the job's failure says so.
            xml, sent, outbox = self._file(programme, unbatched, batch_id, now)
        # The files are written before the transaction commits: if the commit fails, an orphan set with an
        # unknown batch id is left, never a recorded batch without its file. Its manifest, which lets the channel
        # send it, comes on a later turn, once the batch is seen committed (`_announce_committed`).
        path = outbound.write_batch_files(self.files_dir, batch_id, programme.id, xml)
        batch = Batch(
            batch_id=batch_id,
            programme=programme.id,
            file_path=str(path),
            file_sha256=hashlib.sha256(xml).hexdigest(),
            transfer_count=len(sent),
            control_sum_cents=sum(attempt.amount_cents for _, attempt in sent),
            requested_execution_date=domain.paris_today(now, programme.zone),
            message_version=sepa_versions.message_version(programme.payment.pain001_version),
        )
        await uow.payments.record_batch(batch, sent)
        log.info("batch_closed", batch_id=batch_id, transfers=len(sent))
        return [*outbox, *await self._sealed_file(uow, batch, path.name, xml, now)]

    async def _sealed_file(
        self, uow: PaymentsWork, batch: Batch, file_name: str, xml: bytes, now: dt.datetime
    ) -> list[OutboxMessage]:
        """The batch's new key, kept and announced, then the file sealed under it (the key first: a reader of the
        file waits for its key, never the other way round)."""
        subject = batch_keys.batch_subject(batch.batch_id)
        data_key, wrapped = self.sealer.new_keys(subject, [batch_keys.KIND])[batch_keys.KIND]
        await uow.keys.put([(subject, batch_keys.KIND, wrapped)], now)

        def seal(text: str) -> str:
            return Sealer.seal_fields(data_key, batch_keys.KIND, subject, {"content": text})["content"] or ""

        return [
            batch_keys.key_announcement(self.topic_prefix, subject, wrapped, now),
            Announcer(self.topic_prefix).sepa_file(batch, file_name, xml, now, seal),
        ]

    def _file(
        self, programme: Programme, unbatched: Sequence[Due], batch_id: str, now: dt.datetime
    ) -> tuple[bytes, list[Due], list[OutboxMessage]]:
        """The validated SEPA file of these attempts, them as sent in it, and what to announce once it exists; raises
        if any value does not fit (or an attempt cannot be sent, which blocks it like a value that does not fit)."""
        sent = [payment.send(attempt, batch_id) for payment, attempt in unbatched]
        execution_date = domain.paris_today(now, programme.zone)
        debtor = programme.payment
        xml = sepa.credit_transfer_xml(
            sepa.BatchFile(
                batch_id=batch_id,
                debtor=sepa.Debtor(debtor.debtor_name, debtor.debtor_iban, debtor.debtor_bic),
                execution_date=execution_date,
                created_at=now,
                message_version=sepa_versions.message_version(debtor.pain001_version),
                transfers=tuple(
                    sepa.Transfer(
                        end_to_end_id=attempt.end_to_end_id,
                        amount_cents=attempt.amount_cents,
                        creditor_name=attempt.payee.name,
                        creditor_iban=attempt.payee.iban,
                        creditor_bic=attempt.payee.bic,
                        remittance=domain.remittance_information(debtor.remittance_prefix, payment.claim_id),
                    )
                    for payment, attempt in sent
                ),
            )
        )
        outbox = [
            message
            for payment, attempt in sent
            for message in self._issued(programme, payment, attempt, batch_id, execution_date, now)
        ]
        return xml, sent, outbox

    async def _announce_committed(self, uow: PaymentsWork, now: dt.datetime) -> None:
        """Write the manifest of each set on disk whose batch is committed; set aside, out of the channel's way,
        a set whose batch never was (its commit failed long ago: its attempts went into another file)."""
        written = outbound.unannounced(self.files_dir)
        if not written:
            return
        recorded = {batch.batch_id: batch for batch in await uow.payments.recorded_batches(written)}
        for batch_id in written:
            batch = recorded.get(batch_id)
            if batch is not None:
                outbound.write_manifest(self.files_dir, batch_id, batch.programme, batch.file_sha256)
                log.info("batch_files_complete", batch_id=batch_id, message_version=batch.message_version)
            elif outbound.set_aside_if_older(self.files_dir, batch_id, now - UNRECORDED_AFTER):
                log.warning("batch_files_unrecorded", batch_id=batch_id, folder=outbound.UNRECORDED)

    async def _writable(
        self, uow: PaymentsWork, programme: Programme, unbatched: Sequence[Due], batch_id: str, now: dt.datetime
    ) -> list[Due]:
        """The attempts that make a valid file alone; the others are blocked and set aside, each with its reason."""
        writable: list[Due] = []

        async def alone(due: Due) -> None:
            self._file(programme, [due], batch_id, now)
            writable.append(due)

        async def block(due: Due, error: Exception) -> None:
            await self._block(uow, due, error, now)

        await uow.item_by_item(unbatched, alone, block)
        return writable

    async def _block(self, uow: PaymentsWork, due: Due, error: Exception, now: dt.datetime) -> None:
        payment, attempt = due
        await uow.payments.record_blocked(attempt.blocked())
        if not await uow.set_aside(PAYMENT_ATTEMPT, attempt.item_id, _kind(error)):
            return  # held already: announced and logged the first time
        log.warning(
            "item_set_aside",
            kind=PAYMENT_ATTEMPT,
            item_id=attempt.item_id,
            claim_id=payment.claim_id,
            reason=_kind(error),
        )
        # The claim stays payment_scheduled; the reason tells the portal why the money is late (no e-mail: this
        # status mails nobody), until the attempt goes into a file (payment_sent) or is cancelled.
        blocked = Announcer(self.topic_prefix).of_payment(
            payment, "payment_scheduled", now, reasons=[PAYMENT_BLOCKED], amount_cents=attempt.amount_cents
        )
        uow.publish([blocked])

    def _issued(
        self,
        programme: Programme,
        payment: Payment,
        attempt: Attempt,
        batch_id: str,
        execution_date: dt.date,
        now: dt.datetime,
    ) -> list[OutboxMessage]:
        announce = Announcer(self.topic_prefix)
        issued = PaymentIssuedV1(
            event_id=uuid.uuid4(),
            occurred_at=now,
            payment_id=payment.payment_id,
            claim_id=payment.claim_id,
            programme=programme.id,
            siren=payment.siren,
            beneficiary_name=attempt.payee.name[:140],
            iban=attempt.payee.iban,
            bic=attempt.payee.bic,
            amount_cents=attempt.amount_cents,
            end_to_end_id=attempt.end_to_end_id,
            remittance_information=domain.remittance_information(programme.payment.remittance_prefix, payment.claim_id),
            batch_id=batch_id,
            requested_execution_date=execution_date,
            attempt=attempt.number,
        )
        sent = announce.of_payment(payment, "payment_sent", now, amount_cents=attempt.amount_cents)
        return [announce.issued(issued), sent]
