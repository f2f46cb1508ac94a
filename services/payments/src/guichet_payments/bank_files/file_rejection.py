"""A pain.002 rejecting a whole pain.001 (GrpSts RJCT): nothing in that file will be paid, and the bank details
were never judged. Each of its attempts still `sent` becomes `rejected`, and its payment is scheduled again as a new
attempt to the same payee, with a new EndToEndId, for the next file; the claim is announced `payment_scheduled`
with `BANK_FILE_REJECTED` (not a return: no e-mail asking for new bank details)."""

from __future__ import annotations

import structlog

from guichet_common.outbox import OutboxMessage
from guichet_payments.service import PaymentsService
from guichet_payments.unit_of_work import PaymentsWork

log = structlog.get_logger()
BANK_FILE_REJECTED = "BANK_FILE_REJECTED"


async def reject_file(
    uow: PaymentsWork, payments: PaymentsService, batch_reference: str, reason_code: str | None
) -> list[OutboxMessage] | None:
    """Apply the bank's rejection of the file `batch_reference` (our batch id, its MsgId and PmtInfId); returns the
    claims' statuses, or None when payments wrote no such batch. Attempts already reported on are left alone."""
    sent = await uow.payments.still_sent_in_batch(batch_reference)
    if sent is None:
        return None
    now = payments.clock()
    await uow.payments.record_batch_rejected(batch_reference, reason_code, now)
    announced: list[OutboxMessage] = []
    for payment, attempt in sent:
        again, rejected, new_attempt = payment.resend_after_file_rejection(attempt, now)
        await uow.payments.record_file_rejection(again, rejected, new_attempt)
        announced.append(
            payments.announce.of_payment(
                again, "payment_scheduled", now, reasons=[BANK_FILE_REJECTED], amount_cents=new_attempt.amount_cents
            )
        )
    log.info("bank_file_rejected", batch_id=batch_reference, reason=reason_code, attempts=len(sent))
    return announced
