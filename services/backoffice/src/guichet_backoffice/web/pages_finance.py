"""Payments and SEPA batches for finance (with the pain.001 file to download), and the waitlist and budget.

A file download is recorded in the audit trail: a pain.001 holds every beneficiary's name and IBAN.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from guichet_backoffice import audit, read_model
from guichet_backoffice.privacy_model import effaced_label
from guichet_backoffice.web.pages_common import (
    DOWNLOADS_FILES,
    ENVELOPE,
    MONEY,
    connection,
    guarded,
    may,
    render,
    signed_in_login,
)

PAYMENTS_PATH = "/paiements"
SEPA_PATH = "/lots-sepa"
WAITLIST_PATH = "/liste-d-attente"
BUDGET_PATH = "/budget"
PAYMENT_FILTERS = ("scheduled", "sent", "settled", "returned", "released", "blocked")
FILE_DOWNLOADED = "sepa_file_downloaded"
_SAFE_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]")


async def payments(request: Request) -> Response:
    status = request.query_params.get("statut") or None
    status = status if status in PAYMENT_FILTERS else None
    programme = request.query_params.get("programme", "").strip()[:64] or None
    async with connection(request) as conn:
        rows = await read_model.payments(conn, status=status, programme=programme)
    context = {"rows": rows, "status": status, "programme": programme, "statuses": PAYMENT_FILTERS}
    return render(request, "payments.html", context)


async def sepa_batches(request: Request) -> Response:
    async with connection(request) as conn:
        batches = await read_model.sepa_batches(conn)
    return render(request, "sepa_batches.html", {"batches": batches, "may_download": may(request, DOWNLOADS_FILES)})


async def sepa_file(request: Request) -> Response:
    batch_id = request.path_params["batch_id"]
    async with connection(request) as conn:
        settings = getattr(request.app.state, "settings", None)
        found = await read_model.sepa_file(conn, batch_id, settings.master_key() if settings else None)
        if found is None:
            return render(request, "not_found.html", {"what": "Ce fichier SEPA"}, status_code=404)
        if found.erased or found.key_missing:  # nothing personal is shown: no audit row
            context = {"file": found, "erased_label": effaced_label(found.erased_at)}
            return render(request, "sepa_file_unreadable.html", context, status_code=410 if found.erased else 503)
        await audit.record(
            conn,
            signed_in_login(request),
            FILE_DOWNLOADED,
            target=f"sepa_batch:{batch_id}",
            details={"file": found.file_name},
        )
    name = _SAFE_FILE_NAME.sub("_", found.file_name) or "pain001.xml"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    return Response(found.content, media_type="application/xml", headers=headers)


async def waitlist(request: Request) -> Response:
    programme = request.query_params.get("programme", "").strip()[:64] or None
    async with connection(request) as conn:
        rows = await read_model.waitlist(conn, programme=programme)
    return render(request, "waitlist.html", {"rows": rows, "programme": programme})


async def budget(request: Request) -> Response:
    async with connection(request) as conn:
        budgets = await read_model.budgets(conn)
    return render(request, "budget.html", {"budgets": budgets})


def routes() -> list[Route]:
    return [
        Route(PAYMENTS_PATH, guarded(MONEY, payments), methods=["GET"], name="payments"),
        Route(SEPA_PATH, guarded(MONEY, sepa_batches), methods=["GET"], name="sepa_batches"),
        Route(
            SEPA_PATH + "/{batch_id}/fichier", guarded(DOWNLOADS_FILES, sepa_file), methods=["GET"], name="sepa_file"
        ),
        Route(WAITLIST_PATH, guarded(ENVELOPE, waitlist), methods=["GET"], name="waitlist"),
        Route(BUDGET_PATH, guarded(ENVELOPE, budget), methods=["GET"], name="budget"),
    ]
