"""The decisions people take on pages: the forms of the claim, dead-letter and set-aside pages post here, and
supervisors second (or authors withdraw) pending ones on /decisions/en-attente. The use cases are `commands`'."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from guichet_backoffice import commands
from guichet_backoffice.auth.roles import holds
from guichet_backoffice.decision_repository import DecisionRepository
from guichet_backoffice.four_eyes import ACTION_LABELS, Action, Decision, DecisionRefused, InvalidDecision
from guichet_backoffice.web.auth import current_user, require
from guichet_backoffice.web.context import WebContext
from guichet_common.unit_of_work import open_unit_of_work

PENDING_PATH = "/decisions/en-attente"


def actor_of(request: Request) -> commands.Actor:
    user = current_user(request)
    assert user is not None  # behind require()
    return commands.Actor(user.login, user.role)


def routes(web: WebContext) -> list[Route]:
    def result(request: Request, decision: Decision | None, error: DecisionRefused | None = None) -> Response:
        context = {"decision": decision, "error": error, "labels": ACTION_LABELS, "pending_path": PENDING_PATH}
        return web.render(request, "decision.html", context, status_code=error.status if error else 200)

    async def taking(request: Request, asked: Callable[[str], commands.Asked]) -> Response:
        form = await request.form()
        try:
            async with open_unit_of_work(web.pool, commands.DecisionsWork) as uow:
                decision = await commands.decide(
                    uow,
                    actor_of(request),
                    asked(str(form.get("reason", ""))),
                    topic_prefix=web.topic_prefix,
                    now=dt.datetime.now(dt.UTC),
                )
        except DecisionRefused as refused:
            return result(request, None, refused)
        return result(request, decision)

    @require("caseworker")
    async def review(request: Request) -> Response:
        form = await request.form()
        choice = str(form.get("decision", ""))
        if choice not in ("approve", "reject"):
            return result(request, None, InvalidDecision("Choisissez d'accorder ou de rejeter."))
        action = Action.REVIEW_APPROVE if choice == "approve" else Action.REVIEW_REJECT
        codes = tuple(str(code) for code in form.getlist("codes") if str(code))
        claim_id = request.path_params["claim_id"]
        return await taking(request, lambda reason: commands.Asked(action, claim_id, reason, codes=codes))

    def dead_letter(action: Action) -> Callable[[Request], Awaitable[Response]]:
        @require("supervisor")
        async def deciding(request: Request) -> Response:
            letter_id = request.path_params["letter_id"]
            return await taking(request, lambda reason: commands.Asked(action, letter_id, reason))

        return deciding

    def set_aside(action: Action) -> Callable[[Request], Awaitable[Response]]:
        @require("supervisor")
        async def deciding(request: Request) -> Response:
            service, kind, item_id = (request.path_params[name] for name in ("service", "kind", "item_id"))
            return await taking(request, lambda reason: commands.Asked(action, item_id, reason, service, kind))

        return deciding

    def closing(second: bool) -> Callable[[Request], Awaitable[Response]]:
        @require("caseworker")
        async def deciding(request: Request) -> Response:
            try:
                decision_id = uuid.UUID(request.path_params["decision_id"])
                now = dt.datetime.now(dt.UTC)
                async with open_unit_of_work(web.pool, commands.DecisionsWork) as uow:
                    if second:
                        decision = await commands.second(
                            uow, actor_of(request), decision_id, topic_prefix=web.topic_prefix, now=now
                        )
                    else:
                        decision = await commands.withdraw(uow, actor_of(request), decision_id, now=now)
            except ValueError:
                return result(request, None, InvalidDecision("Décision inconnue."))
            except DecisionRefused as refused:
                return result(request, None, refused)
            return result(request, decision)

        return deciding

    @require("caseworker")
    async def pending(request: Request) -> Response:
        user = current_user(request)
        assert user is not None
        async with web.pool.acquire() as conn:
            repository = DecisionRepository(conn)
            waiting, closed = await repository.pending(), await repository.recent(limit=30)
            outcomes = await repository.outcomes([d.command_id for d in closed if d.command_id is not None])
        if not holds(user.role, "supervisor"):  # a caseworker follows (and may withdraw) their own
            waiting = [d for d in waiting if d.requested_by == user.login]
            closed = [d for d in closed if d.requested_by == user.login]
        context = {
            "outcomes": outcomes,
            "waiting": waiting,
            "closed": closed,
            "labels": ACTION_LABELS,
            "is_supervisor": holds(user.role, "supervisor"),
        }
        return web.render(request, "pending.html", context)

    return [
        Route("/demandes/{claim_id}/decision", review, methods=["POST"]),
        Route("/lettres-mortes/{letter_id}/rejouer", dead_letter(Action.DEAD_LETTER_REPLAY), methods=["POST"]),
        Route("/lettres-mortes/{letter_id}/abandonner", dead_letter(Action.DEAD_LETTER_DISCARD), methods=["POST"]),
        Route(
            "/mis-de-cote/{service}/{kind}/{item_id}/relacher", set_aside(Action.SET_ASIDE_RELEASE), methods=["POST"]
        ),
        Route("/mis-de-cote/{service}/{kind}/{item_id}/annuler", set_aside(Action.SET_ASIDE_CANCEL), methods=["POST"]),
        Route(PENDING_PATH, pending, methods=["GET"]),
        Route("/decisions/{decision_id}/seconder", closing(second=True), methods=["POST"]),
        Route("/decisions/{decision_id}/retirer", closing(second=False), methods=["POST"]),
    ]
