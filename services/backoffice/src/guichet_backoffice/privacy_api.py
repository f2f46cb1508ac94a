"""The privacy API under /api/privacy, for the console's `guichet privacy ...` (a personal token, as /api/v1):

    POST /api/privacy/exports {"email"|"siren"|"claim_id": ..., "reason": ...}
         -> 202 {"request_id", "claim_ids"}: every service is asked what it holds about those claims
    GET  /api/privacy/exports/{request_id}
         -> {"complete", "missing": [services], "subject", "parts": [{"service", "records"}]} (the back-office's part
            included); the parts once complete only, that read recorded as an unmasked view of personal data
    POST /api/privacy/erasures {"email"|"siren"|"claim_id": ..., "reason": ...}
         -> 202 {"request_ids": {claim_id: request id}}: notifications erases each claim, or refuses and says why
            (nobody found: {"request_ids": {}})
    GET  /api/privacy/requests/{request_id} -> {"request_id", "outcome": "applied"|"refused"|null, "detail",
            "service", "pending"}
    POST /api/privacy/rectifications {"claim_id", "email"|"full_name"|"phone": ..., "reason"}
         -> 202 {"request_id", "claim_id", "updated_here"}

Who may: supervisors and auditors, the roles that already see personal data unmasked (dead letters). Every call is
in the audit trail with the person's login and the reason given. Errors: {"error": "..."} with 400, 401, 403, 404.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from guichet_backoffice import accounts, privacy_requests
from guichet_backoffice.auth.roles import holds
from guichet_backoffice.privacy_model import PRIVACY_ROLES, selector_of
from guichet_backoffice.privacy_requests import PrivacyRefused, PrivacyWork
from guichet_common.db import PoolSlot
from guichet_common.unit_of_work import open_unit_of_work

PREFIX = "/api/privacy"
Handler = Callable[[Request, str, dict[str, Any]], Awaitable[Response]]


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _selector(body: dict[str, Any]) -> tuple[str, str]:
    if (selector := selector_of(body)) is None:
        raise PrivacyRefused("Désigner la personne par un seul de : email, siren, claim_id.")
    return selector


def _request_id(request: Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.path_params["request_id"])
    except ValueError:
        raise PrivacyRefused("Demande inconnue.", 404) from None


def privacy_api(pool: PoolSlot, topic_prefix: str) -> Mount:
    def endpoint(handle: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def answer(request: Request) -> Response:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return _error("jeton absent, inconnu ou révoqué", 401)
            async with pool.acquire() as conn:
                account = await accounts.account_for_token(conn, token.strip())
            if account is None:
                return _error("jeton absent, inconnu ou révoqué", 401)
            if not holds(account.role, *PRIVACY_ROLES):
                return _error(
                    "les demandes sur les données personnelles sont réservées aux superviseurs et auditeurs", 403
                )
            try:
                body = json.loads(await request.body() or b"{}") if request.method == "POST" else {}
                if not isinstance(body, dict):
                    raise PrivacyRefused("le corps doit être un objet JSON")
                return await handle(request, account.login, body)
            except json.JSONDecodeError:
                return _error("corps JSON invalide", 400)
            except PrivacyRefused as refused:
                return _error(refused.message, refused.status)

        return answer

    def work() -> Any:
        return open_unit_of_work(pool, PrivacyWork)

    def now() -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    async def ask_export(request: Request, login: str, body: dict[str, Any]) -> Response:
        async with work() as uow:
            asked = await privacy_requests.ask_export(
                uow, login, _selector(body), body.get("reason"), topic_prefix=topic_prefix, now=now()
            )
        return JSONResponse({"request_id": str(asked.request_id), "claim_ids": list(asked.claim_ids)}, 202)

    async def read_export(request: Request, login: str, body: dict[str, Any]) -> Response:
        async with work() as uow:
            found = await privacy_requests.read_export(uow, login, _request_id(request))
        return _error("export inconnu (ou effacé après 30 jours)", 404) if found is None else JSONResponse(found)

    async def ask_erasure(request: Request, login: str, body: dict[str, Any]) -> Response:
        async with work() as uow:
            sent = await privacy_requests.ask_erasure(
                uow, login, _selector(body), body.get("reason"), topic_prefix=topic_prefix, now=now()
            )
        return JSONResponse({"request_ids": {claim: str(command) for claim, command in sent.items()}}, 202)

    async def read_outcome(request: Request, login: str, body: dict[str, Any]) -> Response:
        async with work() as uow:
            return JSONResponse(await privacy_requests.read_outcome(uow, login, _request_id(request)))

    async def ask_rectification(request: Request, login: str, body: dict[str, Any]) -> Response:
        changes = {name: body.get(name) for name in privacy_requests.RECTIFIABLE}
        async with work() as uow:
            command_id, changed = await privacy_requests.ask_rectification(
                uow, login, body.get("claim_id"), changes, body.get("reason"), topic_prefix=topic_prefix, now=now()
            )
        answer = {"request_id": str(command_id), "claim_id": body["claim_id"], "updated_here": changed}
        return JSONResponse(answer, 202)

    return Mount(
        PREFIX,
        routes=[
            Route("/exports", endpoint(ask_export), methods=["POST"]),
            Route("/exports/{request_id}", endpoint(read_export), methods=["GET"]),
            Route("/erasures", endpoint(ask_erasure), methods=["POST"]),
            Route("/requests/{request_id}", endpoint(read_outcome), methods=["GET"]),
            Route("/rectifications", endpoint(ask_rectification), methods=["POST"]),
        ],
    )
