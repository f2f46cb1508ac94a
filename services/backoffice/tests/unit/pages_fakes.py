"""A read model in memory, a signed-in person chosen by a header, and an audit trail that remembers: enough to
render every page without a database (the read model's own queries have their own tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from guichet_backoffice.web import sessions

NOW = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
EMAIL = "jeanne.martin@exemple.fr"
IBAN = "FR7630006000011234567890189"
CSRF = "jeton-csrf-de-test"

QUEUED = SimpleNamespace(
    claim_id="C-1",
    programme="aide-numerique",
    siren="123456789",
    reasons=["INVOICE_REUSED"],
    grant_amount_cents=150000,
    queued_at=NOW - dt.timedelta(days=3),
)
CLAIM_DETAIL = SimpleNamespace(
    claim=SimpleNamespace(
        claim_id="C-1",
        programme="aide-numerique",
        siren="123456789",
        status="under_review",
        submitted_at=NOW - dt.timedelta(days=4),
        grant_amount_cents=150000,
    ),
    judgement=SimpleNamespace(
        status="under_review",
        occurred_at=NOW - dt.timedelta(days=3),
        rule_version="2026-01-01",
        decided_by=None,
        reasons=["INVOICE_REUSED"],
        rules=[
            SimpleNamespace(code="SIREN_ACTIVE", passed=True, observed={"state": "A"}),
            SimpleNamespace(code="INVOICE_REUSED", passed=False, observed={"invoices": ["F-9"], "claims": ["C-0"]}),
        ],
    ),
    invoices=[
        SimpleNamespace(
            number="F-9",
            issuer_siren="987654321",
            issued_on=dt.date(2026, 10, 1),
            category="logiciel",
            amount_incl_tax_cents=300000,
        )
    ],
    other_claims=[
        SimpleNamespace(
            claim_id="C-0", programme="aide-numerique", status="approved", submitted_at=NOW - dt.timedelta(days=40)
        )
    ],
    payments=[],
    emails=[
        SimpleNamespace(
            occurred_at=NOW - dt.timedelta(days=3), subject="Votre demande <b>C-1</b>", recipient=EMAIL, outcome="sent"
        )
    ],
    timeline=[
        SimpleNamespace(
            at=NOW - dt.timedelta(days=4), service="intake", title="Reçue et enregistrée par intake", details=()
        ),
        SimpleNamespace(
            at=NOW - dt.timedelta(days=3),
            service="eligibility",
            title="Décision : envoyée en vérification manuelle",
            details=("✗ INVOICE_REUSED : facture F-9 déjà présentée",),
        ),
    ],
)
LETTER = SimpleNamespace(
    id="payments.claims-approved.v1.dlq:0:7",
    service="payments",
    original_topic="payments.claims-approved.v1",
    original_partition=0,
    original_offset=7,
    reason="ValidationError",
    attempts=3,
    dead_lettered_at=NOW - dt.timedelta(hours=5),
    state="waiting",
    payload=f'{{"claim_id": "C-1", "iban": "{IBAN}", "email": "{EMAIL}", "note": "écrire à {EMAIL}"}}',
)
SET_ASIDE = SimpleNamespace(
    service="payments",
    kind="payment_attempt",
    item_id="P-1:2",
    state="held",
    reason="IBAN refusé par la banque",
    occurred_at=NOW - dt.timedelta(hours=2),
    decided_by=None,
)
BUDGET = SimpleNamespace(
    programme="aide-numerique",
    total_cents=100_000_000,
    reserved_cents=2_000_000,
    paid_cents=30_000_000,
    released_cents=100_000,
    available_cents=68_000_000,
    waitlisted=4,
)
DASHBOARD = SimpleNamespace(
    taken_at=NOW,
    claims_by_status={"approved": 12, "under_review": 3, "rejected": 2},
    payments_by_status={"settled": SimpleNamespace(count=10, amount_cents=1_500_000)},
    budgets=[BUDGET],
    dead_letters=1,
    set_aside=1,
)
PAYMENT = SimpleNamespace(
    payment_id="P-1",
    claim_id="C-0",
    programme="aide-numerique",
    amount_cents=150000,
    status="settled",
    return_reason=None,
    batch_id="B-1",
    updated_at=NOW - dt.timedelta(days=1),
)
BATCH = SimpleNamespace(
    batch_id="B-1",
    programme="aide-numerique",
    occurred_at=NOW - dt.timedelta(days=2),
    payments=10,
    total_cents=1_500_000,
    sha256="a" * 64,
    file_name="pain001-B-1.xml",
)
SEPA_FILE = SimpleNamespace(
    batch_id="B-1", file_name="pain001-B-1.xml", content=b"<Document>" + IBAN.encode() + b"</Document>"
)
WAITING = SimpleNamespace(
    claim_id="C-5", programme="aide-numerique", amount_cents=90000, queued_at=NOW - dt.timedelta(days=1)
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

    async def sepa_file(self, conn: Any, batch_id: str) -> Any:
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
    app = Starlette(routes=routes)
    app.state.pool = FakePool()
    app.add_middleware(SignedInAs)
    return TestClient(app, follow_redirects=False)
