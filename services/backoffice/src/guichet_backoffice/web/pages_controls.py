"""Post-payment controls and recovery orders: the Controls page (campaigns, claims under control with their grounds
and reply deadline, the outcome form, control decisions waiting for a second person) and the Recovery page (each
order: amount, repaid, outstanding, due date, reminders, state). The forms post here; the decisions are `commands`'
use cases, with the same four-eyes rules and audit rows as the JSON API's."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from guichet_backoffice import commands, controls_read_model, read_model
from guichet_backoffice.control_rules import NO_ANSWER, NON_COMPLIANCE_CODES, OUTCOMES, ControlTerms
from guichet_backoffice.controls_read_model import ORDER_STATES, OUTCOME_FILTERS
from guichet_backoffice.decision_repository import DecisionRepository
from guichet_backoffice.four_eyes import ACTION_LABELS, Action, DecisionRefused, InvalidDecision
from guichet_backoffice.web.decision_pages import PENDING_PATH
from guichet_backoffice.web.pages_common import (
    CONTROLS,
    DECIDES_CLAIMS,
    DECIDES_OPERATIONS,
    RECOVERY,
    connection,
    guarded,
    may,
    render,
    role_of,
    signed_in_login,
)
from guichet_backoffice.web.pages_format import CONTROL_OUTCOMES, PARIS, RECOVERY_STATES
from guichet_common.contracts.reason_codes import text as reason_text
from guichet_common.unit_of_work import open_unit_of_work

CONTROLS_PATH = "/controles"
RECOVERY_PATH = "/reversements"
_EUROS = re.compile(r"^(\d{1,9})(?:[.,](\d{1,2}))?$")


def cents(text: str) -> int | None:
    """An amount typed in euros ("1 234,56", "1234.5", "12") in cents; None when it is not one."""
    found = _EUROS.match(re.sub(r"[\s\u202f\u00a0€]", "", text))
    if found is None:
        return None
    return int(found.group(1)) * 100 + int((found.group(2) or "0").ljust(2, "0"))


def end_of_paris_day(text: str, now: dt.datetime) -> dt.datetime | None:
    """The last instant of a Paris date (no later than now): a campaign takes the claims paid on or before it."""
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as error:
        raise InvalidDecision("La date limite de paiement s'écrit AAAA-MM-JJ.") from error
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), PARIS)
    return min(midnight - dt.timedelta(microseconds=1), now)


async def controls_page(request: Request) -> Response:
    campaign = request.query_params.get("campagne", "").strip()[:40] or None
    outcome = request.query_params.get("issue", "").strip()
    outcome_filter = outcome if outcome in OUTCOME_FILTERS else None
    async with connection(request) as conn:
        campaigns = await controls_read_model.campaigns(conn)
        rows = await controls_read_model.controls(conn, campaign=campaign, outcome=outcome_filter)
        undecided = await controls_read_model.controls(conn, outcome="none")
        waiting = [d for d in await DecisionRepository(conn).pending() if d.action.is_control]
        programmes = [b.programme for b in await read_model.budgets(conn)]
    context = {
        "campaigns": campaigns,
        "rows": rows,
        "undecided": undecided,
        "waiting": waiting,
        "programmes": programmes,
        "campaign": campaign,
        "outcome": outcome_filter,
        "outcomes": CONTROL_OUTCOMES,
        "codes": [(code, reason_text(code) or code) for code in NON_COMPLIANCE_CODES],
        "no_answer_text": reason_text(NO_ANSWER),
        "labels": ACTION_LABELS,
        "may_open": may(request, DECIDES_OPERATIONS),
        "may_record": may(request, DECIDES_CLAIMS),
        "may_second": may(request, DECIDES_OPERATIONS),
        "login": signed_in_login(request),
    }
    return render(request, "controls.html", context)


async def recovery_page(request: Request) -> Response:
    state = request.query_params.get("etat", "").strip()
    state_filter = state if state in ORDER_STATES else None
    async with connection(request) as conn:
        orders = await controls_read_model.recovery_orders(conn, state=state_filter)
    context = {"orders": orders, "state": state_filter, "states": RECOVERY_STATES}
    return render(request, "recovery.html", context)


async def _taking(request: Request, asked: Callable[[dt.datetime], commands.Asked]) -> Response:
    now = dt.datetime.now(dt.UTC)
    context: dict[str, object] = {"labels": ACTION_LABELS, "pending_path": PENDING_PATH, "decision": None}
    try:
        async with open_unit_of_work(request.app.state.pool, commands.DecisionsWork) as uow:
            context["decision"] = await commands.decide(
                uow,
                commands.Actor(signed_in_login(request), role_of(request) or ""),
                asked(now),
                topic_prefix=request.app.state.settings.topic_prefix,
                now=now,
            )
    except DecisionRefused as refused:
        return render(request, "decision.html", context | {"error": refused}, status_code=refused.status)
    return render(request, "decision.html", context | {"error": None})


async def open_campaign(request: Request) -> Response:
    form = await request.form()
    seed_text = str(form.get("seed", "")).strip()
    if seed_text and not seed_text.isdigit():
        return await _taking(request, lambda now: _refuse("La graine est un entier positif, ou laissée vide."))

    def asked(now: dt.datetime) -> commands.Asked:
        terms = ControlTerms(
            seed=int(seed_text) if seed_text else None,
            paid_before=end_of_paris_day(str(form.get("paid_before", "")).strip(), now),
        )
        programme = str(form.get("programme", "")).strip()
        return commands.Asked(Action.CONTROL_OPEN, programme, str(form.get("reason", "")), control=terms)

    return await _taking(request, asked)


async def record_outcome(request: Request) -> Response:
    form = await request.form()
    action = OUTCOMES.get(str(form.get("outcome", "")))
    if action is None:
        return await _taking(request, lambda now: _refuse("Choisissez l'issue du contrôle."))
    amount_text = str(form.get("amount", "")).strip()
    amount = cents(amount_text) if amount_text else None
    if amount_text and amount is None:
        return await _taking(request, lambda now: _refuse("Le montant s'écrit en euros, par exemple 1 234,56."))
    code = str(form.get("reason_code", "")).strip() or None
    terms = ControlTerms(reason_code=code, amount_undue_cents=amount)
    claim_id = str(form.get("claim_id", "")).strip()
    return await _taking(
        request, lambda now: commands.Asked(action, claim_id, str(form.get("reason", "")), control=terms)
    )


def _refuse(message: str) -> commands.Asked:
    raise InvalidDecision(message)


def routes() -> list[Route]:
    return [
        Route(CONTROLS_PATH, guarded(CONTROLS, controls_page), methods=["GET"], name="controls"),
        Route(RECOVERY_PATH, guarded(RECOVERY, recovery_page), methods=["GET"], name="recovery_orders"),
        Route(CONTROLS_PATH + "/campagne", guarded(DECIDES_OPERATIONS, open_campaign), methods=["POST"]),
        Route(CONTROLS_PATH + "/issue", guarded(DECIDES_CLAIMS, record_outcome), methods=["POST"]),
    ]
