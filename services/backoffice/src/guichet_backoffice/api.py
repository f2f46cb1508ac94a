"""The JSON API under /api/v1 for the console's write commands and its unmasked reads, authenticated by a personal
token (`Authorization: Bearer gbo_...`, issued on /jeton or by `guichet users token`).

Same use cases as the pages (`commands`), so the same four-eyes rules and the same audit rows. No cookie is read
here, so no CSRF token is needed: a browser cannot attach a bearer token to a forged request.

    GET  /api/v1/whoami
    GET  /api/v1/decisions                       pending decisions (a caseworker's own only)
    GET  /api/v1/dead-letters/{letter_id}[?unmasked=1]       one dead letter (dead_letter_json), masked unless
                                                 asked; an unmasked read is recorded in the audit trail
    POST /api/v1/review/{claim_id}/approve|reject            {"reason": "...", "codes": [...]}
    POST /api/v1/dead-letters/{letter_id}/replay|discard     {"reason": "..."}
    POST /api/v1/set-aside/{service}/{kind}/{item_id}/release|cancel   {"reason": "...", "assign_to": "..."}
                                                 (assign_to: a bank entry's release only, `<payment_id>:<attempt>`)
    POST /api/v1/decisions/{decision_id}/second|withdraw
    POST /api/v1/controls/campaigns, /api/v1/controls/{claim_id}/outcome; GET /api/v1/controls,
         /api/v1/recovery-orders                 controls and recovery orders (guichet_backoffice.controls_api)
Answers: 200 with the decision ({"id", "state": "complete"|"pending"|"withdrawn", "command_id", ...}), 401 without
a valid token, 403 when the role or four eyes refuse, 400/409 with {"error": "..."} otherwise.
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

from guichet_backoffice import accounts, audit, commands, controls_api, read_model
from guichet_backoffice.auth.roles import holds
from guichet_backoffice.control_commands import audited
from guichet_backoffice.dead_letter_json import dead_letter_json
from guichet_backoffice.decision_repository import DecisionRepository
from guichet_backoffice.four_eyes import Action, Decision, DecisionRefused, InvalidDecision
from guichet_backoffice.web.pages_common import OPERATIONS
from guichet_common.db import PoolSlot
from guichet_common.unit_of_work import open_unit_of_work

PREFIX = "/api/v1"
Handler = Callable[[Request, commands.Actor, dict[str, Any]], Awaitable[Decision]]
UNMASKED = {"": False, "0": False, "false": False, "1": True, "true": True}


def decision_json(decision: Decision) -> dict[str, Any]:
    return {
        "id": str(decision.id),
        "action": decision.action.value,
        "service": decision.service,
        "target": decision.target,
        "kind": decision.kind,
        "codes": list(decision.codes),
        "reason": decision.reason,
        "state": decision.state,
        "requested_by": decision.requested_by,
        "requested_at": decision.requested_at.isoformat(),
        "seconded_by": decision.seconded_by,
        "command_id": str(decision.command_id) if decision.command_id else None,
        # a control decision's terms: the campaign it opened (campaign_id, seed...) or the outcome it records
        **(audited(decision.control) if decision.control else {}),
    }


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def api(pool: PoolSlot, topic_prefix: str) -> Mount:
    async def actor(request: Request) -> commands.Actor | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        async with pool.acquire() as conn:
            account = await accounts.account_for_token(conn, token.strip())
        return None if account is None else commands.Actor(account.login, account.role)

    def endpoint(handle: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def answer(request: Request) -> Response:
            who = await actor(request)
            if who is None:
                return _error("jeton absent, inconnu ou révoqué", 401)
            try:
                body = json.loads(await request.body() or b"{}") if request.method == "POST" else {}
                if not isinstance(body, dict):
                    raise InvalidDecision("le corps doit être un objet JSON")
                return JSONResponse(decision_json(await handle(request, who, body)))
            except json.JSONDecodeError:
                return _error("corps JSON invalide", 400)
            except DecisionRefused as refused:
                return _error(refused.message, refused.status)

        return answer

    async def decide(who: commands.Actor, asked: commands.Asked) -> Decision:
        async with open_unit_of_work(pool, commands.DecisionsWork) as uow:
            return await commands.decide(uow, who, asked, topic_prefix=topic_prefix, now=dt.datetime.now(dt.UTC))

    def reason(body: dict[str, Any]) -> str:
        return str(body.get("reason", ""))

    async def review(request: Request, who: commands.Actor, body: dict[str, Any]) -> Decision:
        verb = request.path_params["verb"]
        if verb not in ("approve", "reject"):
            raise InvalidDecision("approve ou reject")
        action = Action.REVIEW_APPROVE if verb == "approve" else Action.REVIEW_REJECT
        codes = tuple(str(code) for code in body.get("codes", []) or [])
        return await decide(who, commands.Asked(action, request.path_params["claim_id"], reason(body), codes=codes))

    async def dead_letter(request: Request, who: commands.Actor, body: dict[str, Any]) -> Decision:
        verbs = {"replay": Action.DEAD_LETTER_REPLAY, "discard": Action.DEAD_LETTER_DISCARD}
        if (action := verbs.get(request.path_params["verb"])) is None:
            raise InvalidDecision("replay ou discard")
        return await decide(who, commands.Asked(action, request.path_params["letter_id"], reason(body)))

    async def set_aside(request: Request, who: commands.Actor, body: dict[str, Any]) -> Decision:
        verbs = {"release": Action.SET_ASIDE_RELEASE, "cancel": Action.SET_ASIDE_CANCEL}
        if (action := verbs.get(request.path_params["verb"])) is None:
            raise InvalidDecision("release ou cancel")
        service, kind, item_id = (request.path_params[name] for name in ("service", "kind", "item_id"))
        assign_to = body.get("assign_to")
        if assign_to is not None and not isinstance(assign_to, str):
            raise InvalidDecision("assign_to est une chaîne <paiement>:<tentative>")
        return await decide(who, commands.Asked(action, item_id, reason(body), service, kind, assign_to=assign_to))

    async def closing(request: Request, who: commands.Actor, body: dict[str, Any]) -> Decision:
        try:
            decision_id = uuid.UUID(request.path_params["decision_id"])
        except ValueError as error:
            raise InvalidDecision("décision inconnue") from error
        now = dt.datetime.now(dt.UTC)
        async with open_unit_of_work(pool, commands.DecisionsWork) as uow:
            if request.path_params["verb"] == "second":
                return await commands.second(uow, who, decision_id, topic_prefix=topic_prefix, now=now)
            if request.path_params["verb"] == "withdraw":
                return await commands.withdraw(uow, who, decision_id, now=now)
        raise InvalidDecision("second ou withdraw")

    async def whoami(request: Request) -> Response:
        who = await actor(request)
        if who is None:
            return _error("jeton absent, inconnu ou révoqué", 401)
        return JSONResponse({"login": who.login, "role": who.role})

    async def pending(request: Request) -> Response:
        if (who := await actor(request)) is None:
            return _error("jeton absent, inconnu ou révoqué", 401)
        async with pool.acquire() as conn:
            waiting = await DecisionRepository(conn).pending()
        if not holds(who.role, "supervisor", "auditor"):  # as on the page: one's own decisions only
            waiting = [decision for decision in waiting if decision.requested_by == who.login]
        return JSONResponse({"decisions": [decision_json(d) for d in waiting]})

    async def dead_letter_read(request: Request) -> Response:
        if (who := await actor(request)) is None:
            return _error("jeton absent, inconnu ou révoqué", 401)
        if not holds(who.role, *OPERATIONS):  # the roles that open the dead-letter page
            return _error("les lettres mortes sont réservées aux superviseurs et aux auditeurs", 403)
        if (unmasked := UNMASKED.get(request.query_params.get("unmasked", "").lower())) is None:
            return _error("unmasked vaut 1 ou 0", 400)
        letter_id = request.path_params["letter_id"]
        async with pool.acquire() as conn:
            if (letter := await read_model.dead_letter(conn, letter_id)) is None:
                return _error("lettre morte inconnue", 404)
            if unmasked:  # recorded before anything is shown: no record, no personal data
                await audit.record(
                    conn,
                    who.login,
                    audit.PERSONAL_DATA_VIEWED,
                    target=f"dead_letter:{letter_id}",
                    details={"page": "dead_letter", "fields": ["payload"], "via": "api"},
                )
        return JSONResponse(dead_letter_json(letter, unmasked=unmasked))

    return Mount(
        PREFIX,
        routes=[
            Route("/whoami", whoami, methods=["GET"]),
            Route("/decisions", pending, methods=["GET"]),
            Route("/review/{claim_id}/{verb}", endpoint(review), methods=["POST"]),
            Route("/dead-letters/{letter_id}", dead_letter_read, methods=["GET"]),
            Route("/dead-letters/{letter_id}/{verb}", endpoint(dead_letter), methods=["POST"]),
            Route("/set-aside/{service}/{kind}/{item_id}/{verb}", endpoint(set_aside), methods=["POST"]),
            Route("/decisions/{decision_id}/{verb}", endpoint(closing), methods=["POST"]),
            *controls_api.routes(pool, topic_prefix, endpoint, actor),
        ],
    )
