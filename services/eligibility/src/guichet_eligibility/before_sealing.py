"""Claims eligibility stored before intake sealed them (issue 18): their payload holds the contact and bank values
in clear, and they have no IBAN fingerprint (migration 005 dropped the IBAN column).

A background job upgrades them a batch at a time: it gives each its IBAN's fingerprint, computed here with the
master key from the IBAN in its payload, so IBAN_SHARED compares new claims with them as before; and once a claim is
decided (approved: payments has its own copy; or rejected) it nulls its clear contact and bank values, which nothing
needs any more (and, as an erasure of the contact does, the applicant's name and street lines). A claim still
waiting or under review keeps them until decided: an approval passes them to payments.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from guichet_eligibility.translate import ERASABLE
from guichet_eligibility.unit_of_work import EligibilityWork

log = structlog.get_logger()


def compact(iban: str) -> str:
    return "".join(iban.split()).upper()


async def upgrade_claims_stored_before_sealing(
    uow: EligibilityWork, fingerprint: Callable[[str], str], limit: int = 500
) -> int:
    """Fingerprint and, once decided, clear up to `limit` claims stored before sealing; returns how many."""
    found = await uow.personal.stored_in_clear(limit)
    fingerprints = {c.claim_id: fingerprint(compact(c.iban)) for c in found if c.without_fingerprint and c.iban}
    await uow.personal.set_fingerprints(fingerprints)
    decided = [c.claim_id for c in found if c.decided]
    for kind in ERASABLE:
        await uow.personal.erase(kind, decided)
    if found:
        log.info("claims_stored_before_sealing_upgraded", fingerprinted=len(fingerprints), cleared=len(decided))
    return len(found)
