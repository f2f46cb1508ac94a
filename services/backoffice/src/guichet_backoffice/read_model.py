"""What the pages read: async functions on a connection to the back-office's database, returning frozen dataclasses
(SQL in guichet_backoffice.read_repository).

The dashboard gives the same figures as `guichet status --json` and `guichet report --json` where both can be
derived exactly from the events the back-office reads, once every event is consumed:

- `eligibility` = report's claims.awaiting_registry / under_review / approved / rejected: each registered claim by
  its latest judgement (none yet: awaiting_registry);
- `rejections_by_reason` = report's rejections_by_reason (codes of the latest judgement of rejected claims);
- `registered` = report's claims.registered; `waitlisted` = report's claims.waitlisted (claims whose latest status
  is waitlisted); `beneficiaries` = report's claims.beneficiaries (companies with a payment sent or settled);
- `payments_by_status` = report's payments_by_status (count and amount per payment state), but for a return
  released on expiry, which payments announces on no topic: it stays `returned` here;
- `budgets` = status's budgets and report's budget (payments' latest payments.budgets.v1 per programme);
- `dead_letters_by_topic[topic].total` = status's topics.<topic>.dead_letters.total (records ever on the `.dlq`, as
  long as the broker's retention kept them); replayed/discarded only count the back-office's own commands;
- `set_aside_by_service` = status's set_aside.<service>.<kind> (held items, from operations.set-aside.v1), plus the
  back-office's own (`backoffice`: records it could not project).

`claims_by_status` is the portal's view (each claim's latest claims.status.v1), which neither command prints.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import asyncpg

from guichet_backoffice import controls_read_model
from guichet_backoffice import read_repository as sql
from guichet_backoffice.privacy_model import effaced_label
from guichet_backoffice.read_views import (
    BudgetView,
    ClaimDetail,
    ClaimView,
    DeadLetterView,
    EmailView,
    InvoiceView,
    JudgementView,
    OtherClaim,
    PaymentView,
    QueueEntry,
    SepaBatch,
    SepaFileDownload,
    SetAsideView,
    WaitingClaim,
    budget_view,
    dead_letter_view,
    judgement_view,
    payment_view,
)
from guichet_backoffice.timeline import timeline
from guichet_common.privacy.erasures import PostgresErasures
from guichet_common.privacy.keyring import Erased, Opener, PostgresKeyRing
from guichet_common.privacy.sealing import KeyNotYetKnown, KeyWrapper

__all__ = [
    "BudgetView",
    "ClaimDetail",
    "ClaimView",
    "Dashboard",
    "DeadLetterView",
    "EmailView",
    "InvoiceView",
    "JudgementView",
    "OtherClaim",
    "PaymentFigure",
    "PaymentView",
    "QueueEntry",
    "SepaBatch",
    "SepaFileDownload",
    "SetAsideView",
    "WaitingClaim",
    "budgets",
    "claim_detail",
    "dashboard",
    "dead_letter",
    "dead_letters",
    "payments",
    "review_queue",
    "sepa_batches",
    "sepa_file",
    "set_aside_items",
    "waitlist",
]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def review_queue(
    conn: asyncpg.Connection,
    *,
    programme: str | None = None,
    code: str | None = None,
    min_age_days: int | None = None,
    limit: int = 200,
) -> list[QueueEntry]:
    """Claims under review, longest waiting first; `min_age_days`: waiting for at least that many days."""
    before = None if min_age_days is None else _now() - dt.timedelta(days=min_age_days)
    rows = await sql.review_queue(conn, programme, code, before, limit)
    return [
        QueueEntry(
            r["claim_id"],
            r["programme"],
            r["siren"],
            r["company_name"],
            tuple(r["reasons"]),
            r["grant_amount_cents"],
            r["queued_at"],
            r["received_at"],
            r["other_claims"],
        )
        for r in rows
    ]


async def claim_detail(conn: asyncpg.Connection, claim_id: str) -> ClaimDetail | None:
    claim = await sql.claim(conn, claim_id)
    if claim is None:
        return None
    erasures = PostgresErasures(conn)
    judgements = await sql.judgements(conn, claim_id)
    statuses, emails, attempts = (
        await sql.statuses(conn, claim_id),
        await sql.emails(conn, claim_id),
        await sql.attempts(conn, claim_id),
    )
    others = await sql.other_claims(conn, claim["siren"], claim_id) if claim["siren"] else []
    controls, recovery = await controls_read_model.claim_story(conn, claim_id)
    return ClaimDetail(
        claim=ClaimView.of(claim),
        judgement=judgement_view(judgements[-1]) if judgements else None,
        judgements=tuple(judgement_view(j) for j in judgements),
        invoices=tuple(InvoiceView.of(i) for i in await sql.invoices(conn, claim_id)),
        other_claims=tuple(OtherClaim(o["claim_id"], o["programme"], o["status"], o["received_at"]) for o in others),
        timeline=tuple(timeline(claim, statuses, judgements, emails, attempts, controls, recovery)),
        emails=tuple(EmailView.of(e) for e in emails),
        payments=tuple(payment_view(p) for p in await sql.payments(conn, claim_id=claim_id)),
        erased={kind: effaced_label(e.erased_at) for (_, kind), e in (await erasures.of([claim_id])).items()},
    )


async def dead_letters(conn: asyncpg.Connection, *, topic: str | None = None, limit: int = 500) -> list[DeadLetterView]:
    """Dead letters, newest first; `topic`: of that original topic only (as named on the broker)."""
    return [dead_letter_view(r) for r in await sql.dead_letters(conn, original_topic=topic, limit=limit)]


async def dead_letter(conn: asyncpg.Connection, letter_id: str) -> DeadLetterView | None:
    """One dead letter by its id `<topic>.dlq:<partition>:<offset>`, with its raw key, value and headers."""
    rows = await sql.dead_letters(conn, letter_id=letter_id, limit=1)
    return dead_letter_view(rows[0]) if rows else None


async def set_aside_items(
    conn: asyncpg.Connection, *, state: str | None = "held", limit: int = 500
) -> list[SetAsideView]:
    """Items set aside by the services (and by the back-office itself), latest first; `state` None: all."""
    return [SetAsideView.of(r) for r in await sql.set_aside_items(conn, state, limit)]


async def payments(
    conn: asyncpg.Connection, *, status: str | None = None, programme: str | None = None, limit: int = 500
) -> list[PaymentView]:
    """Payments, latest change first; `status` a payment state, or `blocked` (an attempt no file can take)."""
    return [payment_view(r) for r in await sql.payments(conn, status=status, programme=programme, limit=limit)]


async def sepa_batches(conn: asyncpg.Connection) -> list[SepaBatch]:
    return [SepaBatch.of(r) for r in await sql.sepa_batches(conn)]


async def sepa_file(
    conn: asyncpg.Connection, batch_id: str, master: KeyWrapper | None = None
) -> SepaFileDownload | None:
    """The pain.001 file of a batch, uncompressed, as payments wrote it. A file sealed under its batch's key is
    opened now (with `master`, unwrapping the back-office's copy of the key), never cached: once payments destroys
    the key, the file reads as erased."""
    row = await sql.sepa_file(conn, batch_id)
    if row is None:
        return None
    found = SepaFileDownload(row["batch_id"], row["file_name"], b"", row["sha256"])
    if row["content_sealed"] is None:
        return replace(found, content=gzip.decompress(row["content_gzip"]))
    if master is None:
        return replace(found, key_missing=True)
    try:
        opened = await Opener(master).open_many(PostgresKeyRing(conn), [row["content_sealed"]])
    except KeyNotYetKnown:
        return replace(found, key_missing=True)
    clear = opened[row["content_sealed"]]
    if isinstance(clear, Erased):
        return replace(found, erased=True, erased_at=clear.on)
    return replace(found, content=gzip.decompress(base64.b64decode(clear)))


async def waitlist(conn: asyncpg.Connection, programme: str | None = None) -> list[WaitingClaim]:
    """Claims waiting for money, first come first served."""
    return [WaitingClaim.of(position, r) for position, r in enumerate(await sql.waitlist(conn, programme), start=1)]


async def budgets(conn: asyncpg.Connection, programme: str | None = None) -> list[BudgetView]:
    return [budget_view(r) for r in await sql.budgets(conn, programme)]


@dataclass(frozen=True)
class PaymentFigure:
    count: int
    amount_cents: int


@dataclass(frozen=True)
class Dashboard:
    taken_at: dt.datetime
    programme: str | None
    claims_by_status: Mapping[str, int]
    eligibility: Mapping[str, int]
    rejections_by_reason: Mapping[str, int]
    registered: int
    waitlisted: int
    beneficiaries: int
    payments_by_status: Mapping[str, PaymentFigure]
    budgets: Sequence[BudgetView]
    dead_letters: int  # waiting: not replayed or discarded through the back-office
    dead_letters_by_topic: Mapping[str, Mapping[str, int]]  # original topic -> total, acted, waiting
    set_aside: int
    set_aside_by_service: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


ELIGIBILITY_STATES = ("awaiting_registry", "under_review", "approved", "rejected")
PAYMENT_STATES = ("scheduled", "sent", "settled", "returned", "released")


async def dashboard(conn: asyncpg.Connection, programme: str | None = None) -> Dashboard:
    """The programme's figures (every programme's when None); dead letters and set-aside items are system-wide."""
    found = await sql.figures(conn, programme)

    def counts(name: str) -> dict[str, int]:
        return {r["key"]: r["n"] for r in found[name]}

    payments = {r["key"]: PaymentFigure(r["n"], r["cents"]) for r in found["payments"]}
    letters = {
        r["key"]: {"total": r["n"], "acted": r["acted"], "waiting": r["n"] - r["acted"]} for r in found["dead_letters"]
    }
    by_service: dict[str, dict[str, int]] = {}
    for key, n in counts("set_aside").items():
        service, _, kind = key.partition(":")
        by_service.setdefault(service, {})[kind] = n
    claims_by_status = counts("claims_by_status")
    return Dashboard(
        taken_at=_now(),
        programme=programme,
        claims_by_status=dict(sorted(claims_by_status.items())),
        eligibility={state: counts("eligibility").get(state, 0) for state in ELIGIBILITY_STATES},
        rejections_by_reason=dict(sorted(counts("rejections").items(), key=lambda item: (-item[1], item[0]))),
        registered=counts("registered").get("all", 0),
        waitlisted=claims_by_status.get("waitlisted", 0),
        beneficiaries=counts("beneficiaries").get("all", 0),
        payments_by_status={state: payments.get(state, PaymentFigure(0, 0)) for state in PAYMENT_STATES},
        budgets=await budgets(conn, programme),
        dead_letters=sum(figures["waiting"] for figures in letters.values()),
        dead_letters_by_topic=dict(sorted(letters.items())),
        set_aside=sum(sum(kinds.values()) for kinds in by_service.values()),
        set_aside_by_service=by_service,
    )
