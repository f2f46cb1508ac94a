"""Issue 19's failure-suite line: a campaign, its outcomes, recovery orders and their repayments (partial credits,
free-text and structured references, a statement repeating them) while payments and notifications are killed
with -9 and restarted over and over, every decision delivered twice. 0 lost (every selected claim decided, every
order settled, every e-mail sent) and 0 duplicates (no order twice, no repayment counted twice, one status change
and one e-mail per kind). In `make chaos` (marker chaos), not in the short suite of make test: it pays claims
first, which takes a minute of its own."""

from __future__ import annotations

import pytest
from guichet_chaos.faults import CONTROL_AND_RECOVERY
from guichet_chaos.runner import run_suite, table

pytestmark = [pytest.mark.e2e, pytest.mark.chaos, pytest.mark.timeout(600)]


async def test_no_control_or_repayment_lost_or_counted_twice_while_payments_and_notifications_die(infra) -> None:
    if infra.pg_admin_dsn is None:
        pytest.skip("the failure suite creates its own databases and needs an admin DSN")
    [figures] = await run_suite(infra, [CONTROL_AND_RECOVERY], claims=60)
    print("\n" + table([figures]))
    assert figures.published > 0, figures.notes  # claims were controlled
    assert any(note.startswith("kill -9: ") and "payments-1" in note for note in figures.notes), figures.notes
    assert figures.lost == 0, table([figures])
    assert figures.duplicate_statuses == 0, table([figures])
    assert figures.duplicate_payments == 0, table([figures])  # orders, repayments and outcomes, in this scenario
    assert figures.duplicate_emails == 0, table([figures])
    assert figures.overshoot_cents == 0, table([figures])  # and the envelope got back exactly what was repaid
    assert figures.dead_letters == 0, table([figures])
    assert figures.personal_data_in_logs == 0, table([figures])
    assert "all alive" in figures.notes, figures.notes
    assert figures.graceful_exit, figures.notes
