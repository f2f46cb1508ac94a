"""Following intake's erasures of bank data (`privacy.erased.v1`, service "intake", kind "bank"): payments
pseudonymises its copies, destroys its copy of the claim's key, records the erasure and announces its own.

Accounting rows stay (payment and claim ids, SIREN, amounts, dates, batch, EndToEndId, return codes): only the
holder's name, IBAN and BIC become NULL (`privacy_repository`). A batch whose every claim is erased loses its
pain.001 on disk and its key (announced destroyed on `privacy.claim-keys.v1`, which leaves the copies of the file
on `payments.sepa-files.v1` unreadable); its row keeps the file's name, sha256 and totals, so reconcile and the
report say the same as before. Announcements of other services, and of kind "contact" (payments holds no contact
data), change nothing. Idempotent: a claim already erased here publishes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog

from guichet_common.contracts.privacy import PrivacyErasedV1
from guichet_common.outbox import OutboxMessage
from guichet_common.privacy.erasures import Erasure
from guichet_common.privacy.keyring import Opener
from guichet_common.privacy.requests import followed_erasure
from guichet_payments import batch_keys, domain, outbound
from guichet_payments.unit_of_work import PaymentsWork

log = structlog.get_logger()
SERVICE = "payments"
FOLLOWED = "intake"  # the service whose announcements payments follows: it destroyed the claim's keys
KIND = "bank"


@dataclass(frozen=True)
class ErasureFollower:
    opener: Opener
    topic_prefix: str = ""
    clock: domain.Clock = field(default=domain.system_clock)

    async def follow(self, uow: PaymentsWork, announcements: Sequence[PrivacyErasedV1]) -> list[OutboxMessage]:
        """Erase the bank data of the claims intake erased, once each; announce it, and the batches emptied."""
        followed = {a.claim_id: a for a in announcements if a.service == FOLLOWED and a.kind == KIND}
        if not followed:
            return []
        now = self.clock()
        new = await uow.erasures.record(
            Erasure(claim_id, KIND, now, a.reason, a.request_id) for claim_id, a in followed.items()
        )
        if not new:
            return []
        claim_ids = [erasure.claim_id for erasure in new]
        batch_ids = await uow.privacy.pseudonymise_bank(claim_ids)
        self.opener.forget(await uow.keys.destroy([(claim_id, KIND) for claim_id in claim_ids], now))
        published = [self._announcement(followed[claim_id], now) for claim_id in claim_ids]
        published += await self._empty_batches(uow, batch_ids, now)
        log.info("privacy_bank_data_erased", claims=len(claim_ids), batches=len(batch_ids))
        return published

    def _announcement(self, followed: PrivacyErasedV1, now: dt.datetime) -> OutboxMessage:
        return followed_erasure(self.topic_prefix, SERVICE, followed, erased_at=now)

    async def _empty_batches(
        self, uow: PaymentsWork, batch_ids: Sequence[str], now: dt.datetime
    ) -> list[OutboxMessage]:
        """Destroy the key and delete the pain.001 of each batch among `batch_ids` whose every claim is erased.

        The files go before the commit: if it fails, the batch is found again by the next announcement's retry
        (its erasures were not recorded either) and deleting a file already gone is nothing."""
        emptied = await uow.privacy.batches_fully_erased(batch_ids)
        if not emptied:
            return []
        subjects = [batch_keys.batch_subject(batch.batch_id) for batch in emptied]
        self.opener.forget(await uow.keys.destroy([(subject, batch_keys.KIND) for subject in subjects], now))
        await uow.privacy.record_file_erased([batch.batch_id for batch in emptied], now)
        for batch in emptied:
            outbound.delete_payment_order(batch.file_path)
            log.info("batch_file_erased", batch_id=batch.batch_id)
        return [batch_keys.key_announcement(self.topic_prefix, subject, None, now) for subject in subjects]
