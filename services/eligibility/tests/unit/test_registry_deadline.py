"""The registry-deadline job (`judge_past_registry_deadline`) on the fake unit of work: claims whose company never
showed up go to review at their deadline; one that cannot be judged is set aside once and the others are judged."""

from __future__ import annotations

import datetime as dt

from structlog.testing import capture_logs

from guichet_eligibility.service import EligibilityService

from .fakes import (
    CLAIM,
    PROGRAMMES,
    FakeEligibilityUnitOfWork,
    claim,
    registered,
    statuses,
    subscriptions,
)

SERVICE = EligibilityService(programmes=PROGRAMMES, registry_grace=dt.timedelta(hours=1))
_, CLAIMS = subscriptions(SERVICE)
END_OF_TIME = dt.datetime(9999, 12, 31, 23, 30, tzinfo=dt.UTC)


def waiting_claim(n: int, **changes: object):
    """A claim of a company of its own (none is in the registry copy), with its own invoices and IBAN."""
    invoices = [i.model_copy(update={"invoice_number": f"{i.invoice_number}-{n}"}) for i in CLAIM.invoices]
    bank = CLAIM.bank_account.model_copy(update={"iban": f"FR76300060000112345678901{n % 90 + 10}"})
    return claim(f"CFN-DEADLINE-{n:04d}", f"{400000000 + n}", invoices=invoices, bank_account=bank, **changes)


async def past_deadline(*claims) -> FakeEligibilityUnitOfWork:
    uow = FakeEligibilityUnitOfWork()
    await CLAIMS.apply(uow, [registered(c) for c in claims])
    for row in uow.claims.rows.values():
        row.registry_deadline = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    return uow


async def test_claims_past_their_deadline_go_to_review_and_the_others_keep_waiting() -> None:
    uow = await past_deadline(waiting_claim(1), waiting_claim(2))
    await CLAIMS.apply(uow, [registered(waiting_claim(3))])  # its deadline is an hour away
    assert await SERVICE.judge_past_registry_deadline(uow) == 2
    await uow.commit()  # as the background loop does
    assert await SERVICE.judge_past_registry_deadline(uow) == 0
    assert statuses(uow) == [
        ("CFN-DEADLINE-0001", "under_review", ["REGISTRY_NO_RECORD"]),
        ("CFN-DEADLINE-0002", "under_review", ["REGISTRY_NO_RECORD"]),
    ]
    assert uow.claims.rows["CFN-DEADLINE-0003"].status == "awaiting_registry"


async def test_a_claim_submitted_at_the_end_of_the_calendar_is_judged() -> None:
    uow = await past_deadline(waiting_claim(1), waiting_claim(2, submitted_at=END_OF_TIME))
    assert await SERVICE.judge_past_registry_deadline(uow) == 2
    assert uow.claims.rows["CFN-DEADLINE-0002"].status == "rejected"
    assert "FILED_OUTSIDE_WINDOW" in uow.claims.rows["CFN-DEADLINE-0002"].decision.reasons


async def test_a_claim_that_cannot_be_judged_is_set_aside_once_and_the_others_are_judged() -> None:
    uow = await past_deadline(waiting_claim(1), waiting_claim(2), waiting_claim(3))
    del uow.claims.rows["CFN-DEADLINE-0002"].payload["applicant"]  # stored by some past bug
    with capture_logs() as logs:
        assert await SERVICE.judge_past_registry_deadline(uow) == 3
        assert await SERVICE.judge_past_registry_deadline(uow) == 0
    await uow.commit()
    assert [claim_id for claim_id, _, _ in statuses(uow)] == ["CFN-DEADLINE-0001", "CFN-DEADLINE-0003"]
    assert uow.claims.rows["CFN-DEADLINE-0002"].status == "awaiting_registry"
    assert uow.claims.rows["CFN-DEADLINE-0002"].set_aside
    [(kind_and_id, reason)] = uow.held.items()
    assert kind_and_id == ("registry_deadline", "CFN-DEADLINE-0002")
    assert "applicant" in reason and CLAIM.applicant.legal_name not in reason
    assert [e["item_id"] for e in logs if e["event"] == "item_set_aside"] == ["CFN-DEADLINE-0002"]
    assert [e["claims"] for e in logs if e["event"] == "registry_deadline_batch_failed"] == [3]
