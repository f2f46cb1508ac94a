"""What an operator's decision on a claim the registry-deadline job set aside does (`guichet set-aside`).

Called by the console in the transaction that records the decision (`guichet_common.set_aside.record_decision`).
Kind owned here: `registry_deadline` (item id: the claim_id).

- Release: the claim waits for its registry record again, its deadline now: the next sweep judges it (with the
  record if it has arrived meanwhile).
- Cancel: the claim is not judged by the rules (they failed on it); it goes to manual review as the deadline job
  would have sent it, `under_review` with `REGISTRY_NO_RECORD`, announced to the portal and the applicant, and an
  operator decides with `guichet review approve|reject`. Judging it "as if no registry record" would run the
  same rules that just failed on it.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

import asyncpg
import structlog

from guichet_common.contracts import ClaimStatusV1
from guichet_common.contracts.status import TOPIC as STATUS_TOPIC
from guichet_common.outbox import OutboxMessage, write_outbox
from guichet_common.settings import project_root
from guichet_eligibility import domain
from guichet_eligibility.repository import PostgresClaims
from guichet_eligibility.service import REGISTRY_DEADLINE
from guichet_programme import load_programmes

log = structlog.get_logger()
KINDS = (REGISTRY_DEADLINE,)
REGISTRY_NO_RECORD = "REGISTRY_NO_RECORD"


class NotSetAsideHere(ValueError):
    """The claim is not in the state its set-aside record says (or not an eligibility kind): nothing changes."""


async def release(conn: asyncpg.Connection, kind: str, item_id: str, *, topic_prefix: str = "") -> str:
    _check(kind)
    found = await conn.fetchval(
        "UPDATE claims SET set_aside_at = NULL, registry_deadline = now()"
        " WHERE claim_id = $1 AND status = 'awaiting_registry' AND set_aside_at IS NOT NULL RETURNING claim_id",
        item_id,
    )
    if found is None:
        raise NotSetAsideHere(f"claim {item_id} is not set aside")
    return "back to waiting for its registry record; judged at the next sweep"


async def cancel(conn: asyncpg.Connection, kind: str, item_id: str, *, topic_prefix: str = "") -> str:
    _check(kind)
    row = await conn.fetchrow(
        "SELECT claim_id, programme, siren, submitted_at, source FROM claims"
        " WHERE claim_id = $1 AND status = 'awaiting_registry' AND set_aside_at IS NOT NULL FOR UPDATE",
        item_id,
    )
    if row is None:
        raise NotSetAsideHere(f"claim {item_id} is not set aside")
    version = _rule_version(row["programme"], row["submitted_at"])
    review = domain.Decision(domain.UNDER_REVIEW, version, (REGISTRY_NO_RECORD,), (), 0)
    await PostgresClaims(conn).record_decisions([(item_id, review)])
    status = ClaimStatusV1(
        event_id=uuid.uuid4(),
        occurred_at=dt.datetime.now(dt.UTC),
        claim_id=item_id,
        programme=row["programme"],
        siren=row["siren"],
        status="under_review",
        reasons=[REGISTRY_NO_RECORD],
        rule_version=version,
        source=row["source"],
    )
    await write_outbox(conn, [OutboxMessage.of_event(topic_prefix + STATUS_TOPIC, item_id, status)])
    log.info("claim_sent_to_review_by_operator", claim_id=item_id)
    return "sent to manual review (REGISTRY_NO_RECORD): decide it with `guichet review`"


def _check(kind: str) -> None:
    if kind != REGISTRY_DEADLINE:
        raise NotSetAsideHere(f"eligibility owns no kind {kind!r}")


def _rule_version(programme_id: str, submitted_at: dt.datetime) -> str:
    # The services' own programme files (GUICHET_PROGRAMMES_DIR, as in their settings): the console runs this.
    folder = Path(os.environ.get("GUICHET_PROGRAMMES_DIR") or project_root() / "programmes")
    programme = load_programmes(folder).get(programme_id)
    if programme is None:
        return "unknown"
    return domain.version_on(programme, domain.wall_time(submitted_at, programme.zone).date()).id
