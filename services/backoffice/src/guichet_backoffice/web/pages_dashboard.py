"""The programme dashboard: the same figures as `guichet status --json` and `guichet report --json` where they
overlap (claims and payments by status, budgets, dead letters, set-aside items), with charts drawn as inline SVG on
the server. Once a person asks (`?auto=1`), the page refreshes itself every REFRESH_SECONDS by a meta refresh: live,
without any script, and never unasked (WCAG 2.2.1: the person turns it on and off).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from guichet_backoffice import controls_read_model, read_model
from guichet_backoffice.web.pages_common import EVERYONE, connection, guarded, render
from guichet_backoffice.web.pages_format import PAYMENT_STATUSES, euros, status_label
from guichet_backoffice.web.pages_svg import bar_list, stacked_bar

DASHBOARD_PATH = "/tableau-de-bord"
REFRESH_SECONDS = 30


async def dashboard(request: Request) -> Response:
    programme = request.query_params.get("programme", "").strip()[:64] or None
    async with connection(request) as conn:
        figures = await read_model.dashboard(conn, programme=programme)
        controls = await controls_read_model.figures(conn, programme=programme)
    charts = {
        "eligibility": bar_list(
            [(status_label(state), n) for state, n in figures.eligibility.items()],
            "Demandes par décision d'éligibilité",
        ),
        "rejections": bar_list(list(figures.rejections_by_reason.items()), "Rejets par motif"),
        "payments": bar_list(
            [
                (status_label(s, PAYMENT_STATUSES), found.amount_cents)
                for s, found in figures.payments_by_status.items()
            ],
            "Montant des paiements par statut",
            label=euros,
        ),
        "budgets": {
            budget.programme: stacked_bar(
                # what is paid stays reserved (available = total - reserved): the bar splits the reservation
                [
                    ("Payé", budget.paid_cents),
                    ("Réservé, pas encore payé", max(0, budget.reserved_cents - budget.paid_cents)),
                    ("Reste disponible", budget.available_cents),
                ],
                f"Enveloppe du programme {budget.programme}",
                label=euros,
            )
            for budget in figures.budgets
        },
    }
    context = {
        "figures": figures,
        "controls": controls,
        "charts": charts,
        "programme": programme,
        "refresh_seconds": REFRESH_SECONDS,
        "auto": request.query_params.get("auto") == "1",
    }
    return render(request, "dashboard.html", context)


def routes() -> list[Route]:
    return [Route(DASHBOARD_PATH, guarded(EVERYONE, dashboard), methods=["GET"], name="dashboard")]
