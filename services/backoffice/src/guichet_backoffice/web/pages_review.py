"""The review queue and a claim's page: its rule-by-rule explanation, invoices, company's other claims, timeline,
e-mails, and the decision form (which posts to the decisions endpoint, guichet_backoffice.web.app's).

E-mail addresses are masked; the button "Afficher les données personnelles" posts (with its CSRF token), is
recorded in the audit trail, and answers with the same page unmasked. Nothing unmasked is ever in a URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from guichet_backoffice import audit, read_model
from guichet_backoffice.web.pages_common import (
    DECIDES_CLAIMS,
    REVIEW,
    connection,
    guarded,
    may,
    render,
    signed_in_login,
)

QUEUE_PATH = "/demandes/a-verifier"
QUEUE_LIMIT = 200


@dataclass(frozen=True)
class QueueFilters:
    programme: str | None = None
    code: str | None = None
    min_age_days: int | None = None
    error: str | None = None

    @classmethod
    def from_query(cls, query: QueryParams) -> QueueFilters:
        programme = query.get("programme", "").strip()[:64] or None
        code = query.get("code", "").strip().upper()[:64] or None
        age_text = query.get("age", "").strip()
        if not age_text:
            return cls(programme, code)
        if not age_text.isdigit() or int(age_text) > 3650:
            return cls(programme, code, error="L'ancienneté doit être un nombre entier de jours, entre 0 et 3650.")
        return cls(programme, code, int(age_text))


async def review_queue(request: Request) -> Response:
    filters = QueueFilters.from_query(request.query_params)
    async with connection(request) as conn:
        rows = await read_model.review_queue(
            conn,
            programme=filters.programme,
            code=filters.code,
            min_age_days=filters.min_age_days,
            limit=QUEUE_LIMIT,
        )
    context = {"rows": rows, "filters": filters, "limit": QUEUE_LIMIT}
    return render(request, "review_queue.html", context)


async def claim_page(request: Request) -> Response:
    return await _claim(request, unmasked=False)


async def claim_unmasked(request: Request) -> Response:
    return await _claim(request, unmasked=True)


async def _claim(request: Request, *, unmasked: bool) -> Response:
    claim_id = request.path_params["claim_id"]
    async with connection(request) as conn:
        detail = await read_model.claim_detail(conn, claim_id)
        if detail is None:
            return render(request, "not_found.html", {"what": "Cette demande"}, status_code=404)
        if unmasked:
            await audit.record(
                conn,
                signed_in_login(request),
                audit.PERSONAL_DATA_VIEWED,
                target=f"claim:{claim_id}",
                details={"page": "claim", "fields": ["email_recipients"]},
            )
    context = {
        "detail": detail,
        "unmasked": unmasked,
        "may_decide": may(request, DECIDES_CLAIMS),
        "decision_path": decision_path(claim_id),
    }
    return render(request, "claim.html", context)


def claim_path(claim_id: str) -> str:
    return f"/demandes/{claim_id}"


def decision_path(claim_id: str) -> str:
    """Where the decision form posts: the decisions endpoint (guichet_backoffice.web.app's)."""
    return f"/demandes/{claim_id}/decision"


def routes() -> list[Route]:
    return [
        Route(QUEUE_PATH, guarded(REVIEW, review_queue), methods=["GET"], name="review_queue"),
        Route("/demandes/{claim_id}", guarded(REVIEW, claim_page), methods=["GET"], name="claim"),
        Route(
            "/demandes/{claim_id}/donnees-personnelles",
            guarded(REVIEW, claim_unmasked),
            methods=["POST"],
            name="claim_unmasked",
        ),
    ]
