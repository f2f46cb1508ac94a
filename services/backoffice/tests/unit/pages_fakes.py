"""A read model in memory, a signed-in person chosen by a header, and an audit trail that remembers: enough to
render every page without a database (the read model's own queries have their own tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from guichet_backoffice import read_model
from guichet_backoffice import read_views as views
from guichet_backoffice.timeline import TimelineEvent
from guichet_backoffice.web import sessions
from guichet_backoffice.web.pages_common import STATIC_DIR, STATIC_PATH

NOW = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
EMAIL = "jeanne.martin@exemple.fr"
IBAN = "FR7630006000011234567890189"
CSRF = "jeton-csrf-de-test"

QUEUED = views.QueueEntry(
    claim_id="C-1",
    programme="aide-numerique",
    siren="123456789",
    company_name="Boulangerie Martin",
    reasons=("INVOICE_REUSED",),
    grant_amount_cents=150000,
    queued_at=NOW - dt.timedelta(days=3),
    received_at=NOW - dt.timedelta(days=4),
    other_claims=1,
)
CLAIM = views.ClaimView(
    claim_id="C-1",
    programme="aide-numerique",
    siren="123456789",
    company_name="Boulangerie Martin",
    status="under_review",
    status_reasons=("INVOICE_REUSED",),
    submitted_at=NOW - dt.timedelta(days=4),
    grant_amount_cents=150000,
    eligibility_status="under_review",
    registered=True,
    iban_last4="0189",
    applicant={"full_name": "Jeanne Martin"},
    contact={"email": EMAIL},
)
JUDGEMENT = views.JudgementView(
    status="under_review",
    occurred_at=NOW - dt.timedelta(days=3),
    rule_version="2026-01-01",
    decided_by=None,
    reasons=("INVOICE_REUSED",),
    rules=(
        views.RuleView("SIREN_ACTIVE", True, {"state": "A"}),
        views.RuleView("INVOICE_REUSED", False, {"invoices": ["F-9"], "claims": ["C-0"]}),
    ),
    grant_amount_cents=150000,
)
CLAIM_DETAIL = views.ClaimDetail(
    claim=CLAIM,
    judgement=JUDGEMENT,
    judgements=(JUDGEMENT,),
    invoices=(
        views.InvoiceView(
            number="F-9",
            issuer_siren="987654321",
            supplier_name="Logiciels du Sud",
            issued_on=dt.date(2026, 10, 1),
            category="logiciel",
            amount_excl_tax_cents=250000,
            amount_incl_tax_cents=300000,
        ),
    ),
    other_claims=(views.OtherClaim("C-0", "aide-numerique", "approved", NOW - dt.timedelta(days=40)),),
    timeline=(
        TimelineEvent(NOW - dt.timedelta(days=4), "intake", "Déposée et enregistrée", kind="registration"),
        TimelineEvent(
            NOW - dt.timedelta(days=3),
            "eligibility",
            "Décision : envoyée en vérification manuelle",
            ("✗ INVOICE_REUSED",),
            "judgement",
            "under_review",
        ),
    ),
    emails=(views.EmailView(NOW - dt.timedelta(days=3), "under_review", "Votre demande <b>C-1</b>", EMAIL, "sent"),),
    payments=(),
)
LETTER = views.DeadLetterView(
    id="payments.claims-approved.v1.dlq:0:7",
    service="payments",
    original_topic="payments.claims-approved.v1",
    original_partition=0,
    original_offset=7,
    reason=f"ValidationError: iban {IBAN}",
    attempts=3,
    dead_lettered_at=NOW - dt.timedelta(hours=5),
    state="waiting",
    acted_by=None,
    acted_at=None,
    key=b"C-1",
    payload=f'{{"claim_id": "C-1", "iban": "{IBAN}", "email": "{EMAIL}", "note": "écrire à {EMAIL}"}}'.encode(),
    headers=(("dlq.reason", f"bad iban {IBAN}"), ("dlq.attempts", "3")),
)
SET_ASIDE = views.SetAsideView(
    service="payments",
    kind="payment_attempt",
    item_id="P-1:2",
    state="held",
    reason="IBAN refusé par la banque",
    decided_by=None,
    decision_reason=None,
    set_aside_at=NOW - dt.timedelta(hours=2),
    occurred_at=NOW - dt.timedelta(hours=2),
)
BUDGET = views.BudgetView(
    programme="aide-numerique",
    total_cents=100_000_000,
    reserved_cents=32_000_000,
    paid_cents=30_000_000,
    released_cents=100_000,
    waitlisted=4,
    as_of=NOW,
)
DASHBOARD = read_model.Dashboard(
    taken_at=NOW,
    programme=None,
    claims_by_status={"approved": 12, "under_review": 3, "rejected": 2},
    eligibility={"awaiting_registry": 0, "under_review": 3, "approved": 12, "rejected": 2},
    rejections_by_reason={"SIREN_INACTIVE": 2},
    registered=17,
    waitlisted=0,
    beneficiaries=10,
    payments_by_status={"settled": read_model.PaymentFigure(10, 1_500_000)},
    budgets=[BUDGET],
    dead_letters=1,
    dead_letters_by_topic={"payments.claims-approved.v1": {"total": 1, "acted": 0, "waiting": 1}},
    set_aside=1,
    set_aside_by_service={"payments": {"payment_attempt": 1}},
)
PAYMENT = views.PaymentView(
    payment_id="P-1",
    claim_id="C-0",
    programme="aide-numerique",
    amount_cents=150000,
    status="settled",
    reasons=(),
    return_reason=None,
    blocked=False,
    batch_id="B-1",
    attempts=1,
    updated_at=NOW - dt.timedelta(days=1),
)
BATCH = views.SepaBatch(
    batch_id="B-1",
    programme="aide-numerique",
    file_name="pain001-B-1.xml",
    sha256="a" * 64,
    payments=10,
    total_cents=1_500_000,
    occurred_at=NOW - dt.timedelta(days=2),
    has_file=True,
)
SEPA_FILE = views.SepaFileDownload("B-1", "pain001-B-1.xml", b"<Document>" + IBAN.encode() + b"</Document>", "a" * 64)
WAITING = views.WaitingClaim(
    1, "C-5", "aide-numerique", "555666777", "Garage Dupont", 90000, NOW - dt.timedelta(days=1)
)


@dataclass
class FakeReadModel:
    """The read model's functions, answering the objects above; `calls` keeps the filters pages passed."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def review_queue(self, conn: Any, **filters: Any) -> list[Any]:
        self.calls.append(("review_queue", filters))
        return [QUEUED]

    async def claim_detail(self, conn: Any, claim_id: str) -> Any:
        return CLAIM_DETAIL if claim_id == "C-1" else None

    async def dead_letters(self, conn: Any, **filters: Any) -> list[Any]:
        self.calls.append(("dead_letters", filters))
        return [LETTER]

    async def dead_letter(self, conn: Any, letter_id: str) -> Any:
        return LETTER if letter_id == LETTER.id else None

    async def set_aside_items(self, conn: Any, **filters: Any) -> list[Any]:
        self.calls.append(("set_aside_items", filters))
        return [SET_ASIDE]

    async def dashboard(self, conn: Any, programme: str | None = None) -> Any:
        return DASHBOARD

    async def payments(self, conn: Any, **filters: Any) -> list[Any]:
        self.calls.append(("payments", filters))
        return [PAYMENT]

    async def sepa_batches(self, conn: Any) -> list[Any]:
        return [BATCH]

    async def sepa_file(self, conn: Any, batch_id: str, master: Any = None) -> Any:
        return SEPA_FILE if batch_id == "B-1" else None

    async def waitlist(self, conn: Any, programme: str | None = None) -> list[Any]:
        return [WAITING]

    async def budgets(self, conn: Any) -> list[Any]:
        return [BUDGET]


@dataclass
class FakeAudit:
    rows: list[dict[str, Any]] = field(default_factory=list)

    async def record(
        self, conn: Any, actor: str, action: str, target: str = "", reason: str = "", details: Any = None
    ) -> str:
        self.rows.append({"actor": actor, "action": action, "target": target, "details": details or {}})
        return "0" * 64


class FakePool:
    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[object]:
        yield object()


class SignedInAs:
    """Puts the person named by the X-Role header in the request, as AuthGate does from a session cookie."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            role = dict(scope["headers"]).get(b"x-role", b"").decode()
            user = sessions.SessionUser(login=f"{role}-1", role=role, must_change_password=False) if role else None
            scope["guichet.session"] = sessions.Session(id_digest=b"", csrf_token=CSRF, user=user) if user else None
        await self.app(scope, receive, send)


def client(routes: list[Any]) -> TestClient:
    app = Starlette(routes=[*routes, Mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")])
    app.state.pool = FakePool()
    app.add_middleware(SignedInAs)
    return TestClient(app, follow_redirects=False)


UNDER_CONTROL = {
    "claim_id": "C-1",
    "campaign_id": "C-20261203-0a1b2c3d",
    "programme": "aide-numerique",
    "siren": "123456789",
    "company_name": "Boulangerie Martin",
    "payment_id": "P-1",
    "paid_cents": 150000,
    "grounds": ["CONTROL_SAMPLED"],
    "reply_by": dt.date(2026, 12, 31),
    "selected_at": NOW,
    "outcome": None,
    "reason_code": None,
    "amount_undue_cents": None,
}
RECOVERY_ORDER = {
    "order_id": "RO-000000000001",
    "claim_id": "C-2",
    "programme": "aide-numerique",
    "reason_code": "CONTROL_INVOICE_UNPAID",
    "amount_cents": 60000,
    "repaid_cents": 10000,
    "outstanding_cents": 50000,
    "issued_on": dt.date(2026, 11, 1),
    "due_on": dt.date(2026, 12, 1),
    "payment_reference": "RF18539007547034",
    "reminders": 1,
    "state": "outstanding",
}


class FakeControlsReadModel:
    """controls_read_model's functions, answering one claim under control and one order."""

    async def campaigns(self, conn: Any, limit: int = 100) -> list[Any]:
        return [
            {
                "campaign_id": UNDER_CONTROL["campaign_id"],
                "programme": "aide-numerique",
                "seed": 42,
                "opened_by": "sam",
                "opened_at": NOW,
                "selected": 1,
                "decided": 0,
                "compliant": 0,
            }
        ]

    async def controls(self, conn: Any, **filters: Any) -> list[Any]:
        return [UNDER_CONTROL]

    async def recovery_orders(self, conn: Any, **filters: Any) -> list[Any]:
        return [RECOVERY_ORDER]

    async def figures(self, conn: Any, programme: str | None = None) -> Any:
        from guichet_backoffice.controls_read_model import ControlFigures

        return ControlFigures(2, {"compliant": 1, "none": 1}, 60000, 10000, 50000, 0, {"CONTROL_INVOICE_UNPAID": 1 / 6})


class FakeDecisions:
    """DecisionRepository for the Controls page: nothing pending."""

    def __init__(self, conn: Any) -> None:
        pass

    async def pending(self, limit: int = 500) -> list[Any]:
        return []
