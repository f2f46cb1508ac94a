"""The JSON API's controls and recovery orders (under api.PREFIX, same bearer tokens, same use cases as the pages):

    POST /controls/campaigns            {"programme", "seed"?, "paid_before"?, "reason"}  a supervisor opens one;
                                        answers the decision with its "campaign_id"
    POST /controls/{claim_id}/outcome   {"outcome": "compliant"|"non_compliant"|"no_answer", "reason_code"?,
                                        "amount_undue_cents"?, "reason"}  non_compliant and no_answer wait for a
                                        second supervisor (POST /decisions/{id}/second)
    GET  /controls?campaign=&outcome=   claims under control (outcome "none": still without one)
    GET  /recovery-orders?state=        recovery orders (outstanding, settled, in_collection)

`paid_before` is an ISO 8601 time with its offset, or a date (the end of that day in Paris).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from guichet_backoffice import commands, controls_read_model
from guichet_backoffice.auth.roles import holds
from guichet_backoffice.control_rules import OUTCOMES, PARIS, ControlTerms
from guichet_backoffice.four_eyes import Action, Decision, InvalidDecision
from guichet_backoffice.web.pages_common import CONTROLS, RECOVERY
from guichet_common.db import PoolSlot
from guichet_common.unit_of_work import open_unit_of_work

Handler = Callable[[Request, commands.Actor, dict[str, Any]], Awaitable[Decision]]
Endpoint = Callable[[Handler], Callable[[Request], Awaitable[Response]]]
Actor = Callable[[Request], Awaitable[commands.Actor | None]]


def paid_before(value: object, now: dt.datetime) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidDecision("paid_before est une date ou une heure ISO 8601")
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value) + dt.timedelta(days=1)
            return min(dt.datetime.combine(day, dt.time(), PARIS) - dt.timedelta(microseconds=1), now)
        return dt.datetime.fromisoformat(value)
    except ValueError as error:
        raise InvalidDecision("paid_before est une date ou une heure ISO 8601") from error


def _integer(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidDecision(f"{name} est un entier")
    return value


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value.isoformat() if isinstance(value, dt.date) else list(value) if isinstance(value, tuple) else value
        for name, value in row.items()
    }


def routes(pool: PoolSlot, topic_prefix: str, endpoint: Endpoint, actor: Actor) -> list[Route]:
    async def decide(who: commands.Actor, asked: commands.Asked, now: dt.datetime) -> Decision:
        async with open_unit_of_work(pool, commands.DecisionsWork) as uow:
            return await commands.decide(uow, who, asked, topic_prefix=topic_prefix, now=now)

    async def campaign(request: Request, who: commands.Actor, body: dict[str, Any]) -> Decision:
        now = dt.datetime.now(dt.UTC)
        terms = ControlTerms(seed=_integer(body, "seed"), paid_before=paid_before(body.get("paid_before"), now))
        programme, reason = str(body.get("programme") or ""), str(body.get("reason", ""))
        return await decide(who, commands.Asked(Action.CONTROL_OPEN, programme, reason, control=terms), now)

    async def outcome(request: Request, who: commands.Actor, body: dict[str, Any]) -> Decision:
        if (action := OUTCOMES.get(str(body.get("outcome", "")))) is None:
            raise InvalidDecision("outcome vaut compliant, non_compliant ou no_answer")
        code = body.get("reason_code")
        if code is not None and not isinstance(code, str):
            raise InvalidDecision("reason_code est un code du catalogue")
        terms = ControlTerms(reason_code=code or None, amount_undue_cents=_integer(body, "amount_undue_cents"))
        asked = commands.Asked(action, request.path_params["claim_id"], str(body.get("reason", "")), control=terms)
        return await decide(who, asked, dt.datetime.now(dt.UTC))

    def listing(
        roles: frozenset[str], read: Callable[..., Awaitable[list[Any]]], key: str, filters: dict[str, tuple[str, ...]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """A read for `roles`; each query parameter of `filters` is one of its values (any, when none are listed)."""

        async def answer(request: Request) -> Response:
            if (who := await actor(request)) is None:
                return JSONResponse({"error": "jeton absent, inconnu ou révoqué"}, status_code=401)
            if not holds(who.role, *roles):
                return JSONResponse({"error": "votre rôle ne permet pas cette lecture"}, status_code=403)
            asked = {name: (request.query_params.get(name) or "").strip()[:64] or None for name in filters}
            if bad := [name for name, value in asked.items() if value and filters[name] and value not in filters[name]]:
                return JSONResponse({"error": f"{bad[0]} vaut {', '.join(filters[bad[0]])}"}, status_code=400)
            async with pool.acquire() as conn:
                rows = await read(conn, **asked)
            return JSONResponse({key: [_jsonable(row) for row in rows]})

        return answer

    async def controls(conn: Any, campaign: str | None, outcome: str | None) -> list[Any]:
        return await controls_read_model.controls(conn, campaign=campaign, outcome=outcome)

    async def orders(conn: Any, state: str | None) -> list[Any]:
        return await controls_read_model.recovery_orders(conn, state=state)

    return [
        Route("/controls/campaigns", endpoint(campaign), methods=["POST"]),
        Route("/controls/{claim_id}/outcome", endpoint(outcome), methods=["POST"]),
        Route(
            "/controls",
            listing(CONTROLS, controls, "controls", {"campaign": (), "outcome": controls_read_model.OUTCOME_FILTERS}),
            methods=["GET"],
        ),
        Route(
            "/recovery-orders",
            listing(RECOVERY, orders, "orders", {"state": controls_read_model.ORDER_STATES}),
            methods=["GET"],
        ),
    ]
