"""What every page shares: the templates (base layout, filters), who may open which page, the menu built from
that, and the read model's connection.

One table, `PAGES`, says which roles open which page: the menu shows a person only what their role opens, and the
routes refuse the rest with the same sets, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from guichet_backoffice.auth.roles import ROLE_LABELS, ROLES, holds
from guichet_backoffice.four_eyes import ACTION_LABELS
from guichet_backoffice.web import auth
from guichet_backoffice.web.pages_format import (
    DEAD_LETTER_STATES,
    EMAIL_OUTCOMES,
    FILTERS,
    PAYMENT_STATUSES,
    SET_ASIDE_STATES,
)

PACKAGE = Path(__file__).resolve().parents[1]
TEMPLATES_DIR = PACKAGE / "templates"
STATIC_DIR = PACKAGE / "static"
STATIC_PATH = "/static"
SIGN_IN_PATH = auth.SIGN_IN_PATH

CASEWORKER, SUPERVISOR, FINANCE, AUDITOR, ADMIN = ROLES
# Who reads what (a supervisor holds a caseworker's pages too: auth.roles.holds). Deciding is narrower than
# reading: the forms show only to DECIDES_* (and the decision endpoints check again).
REVIEW = frozenset({CASEWORKER, AUDITOR})
OPERATIONS = frozenset({SUPERVISOR, AUDITOR})
MONEY = frozenset({FINANCE, AUDITOR})
ENVELOPE = frozenset({FINANCE, SUPERVISOR, AUDITOR})
EVERYONE = frozenset(ROLES)
DECIDES_CLAIMS = frozenset({CASEWORKER, SUPERVISOR})
DECIDES_OPERATIONS = frozenset({SUPERVISOR})
# Controls: caseworkers record outcomes, supervisors open campaigns and second; recovery orders are money too.
CONTROLS = REVIEW
RECOVERY = frozenset({CASEWORKER, FINANCE, AUDITOR})
# A pain.001 holds every beneficiary's name and IBAN: finance downloads it, an auditor sees that it exists.
DOWNLOADS_FILES = frozenset({FINANCE})


@dataclass(frozen=True)
class Page:
    path: str
    label: str
    roles: frozenset[str]


# The menu, in order. Pending decisions, the audit trail, accounts and the API token are guichet_backoffice.web.app's
# pages (decision_pages, admin_pages): their paths are theirs.
PAGES = (
    Page("/demandes/a-verifier", "Demandes à vérifier", REVIEW),
    # a caseworker follows (and may withdraw) her own; a supervisor seconds everyone's
    Page("/decisions/en-attente", "Décisions en attente", frozenset({CASEWORKER})),
    Page("/lettres-mortes", "Lettres mortes", OPERATIONS),
    Page("/mis-de-cote", "Éléments mis de côté", OPERATIONS),
    Page("/tableau-de-bord", "Tableau de bord", EVERYONE),
    Page("/paiements", "Paiements", MONEY),
    Page("/lots-sepa", "Lots SEPA", MONEY),
    Page("/liste-d-attente", "Liste d'attente", ENVELOPE),
    Page("/budget", "Budget", ENVELOPE),
    Page("/controles", "Contrôles", CONTROLS),
    Page("/reversements", "Ordres de reversement", RECOVERY),
    Page("/audit", "Journal d'audit", frozenset({AUDITOR, ADMIN})),
    Page("/comptes", "Comptes", frozenset({ADMIN})),
    Page("/jeton", "Jeton d'API", EVERYONE),
)


@dataclass(frozen=True)
class MenuItem:
    path: str
    label: str
    current: bool


def role_of(request: Request) -> str | None:
    user = auth.current_user(request)
    return None if user is None else str(user.role)


def signed_in_login(request: Request) -> str:
    """The login of the person behind a guarded page (auth.require let them in)."""
    user = auth.current_user(request)
    if user is None:
        raise RuntimeError("a guarded page without a signed-in person")
    return user.login


def may(request: Request, roles: frozenset[str]) -> bool:
    role = role_of(request)
    return role is not None and holds(role, *roles)


def menu(request: Request) -> list[MenuItem]:
    role = role_of(request)
    here = request.url.path
    return [
        MenuItem(page.path, page.label, here == page.path or here.startswith(page.path + "/"))
        for page in PAGES
        if role is not None and holds(role, *page.roles)
    ]


def home_path(role: str | None) -> str | None:
    """The first page of the menu a role opens: where `/` sends a person."""
    return next((page.path for page in PAGES if role is not None and holds(role, *page.roles)), None)


def _shared_context(request: Request) -> dict[str, Any]:
    user = auth.current_user(request)
    return {
        "user": user,
        "nav": menu(request) if user is not None else [],
        "csrf_field": lambda: Markup(auth.csrf_field(request)),
        "may": lambda roles: may(request, roles),
        "sign_out_path": auth.SIGN_OUT_PATH,
    }


def _static_url(name: str) -> str:
    return f"{STATIC_PATH}/{name}"


templates = Jinja2Templates(directory=TEMPLATES_DIR, context_processors=[_shared_context])
templates.env.filters.update(FILTERS)
templates.env.globals.update(
    plain_text=FILTERS["plain_text"],
    masked_text=FILTERS["masked_text"],
    static_url=_static_url,
    role_label=lambda role: ROLE_LABELS.get(role, role),
    REVIEW=REVIEW,
    DECIDES_CLAIMS=DECIDES_CLAIMS,
    DECIDES_OPERATIONS=DECIDES_OPERATIONS,
    MONEY=MONEY,
    PAYMENT_LABELS=PAYMENT_STATUSES,
    EMAIL_LABELS=EMAIL_OUTCOMES,
    DEAD_LETTER_LABELS=DEAD_LETTER_STATES,
    SET_ASIDE_LABELS=SET_ASIDE_STATES,
    DECISION_LABELS={str(action): label for action, label in ACTION_LABELS.items()},
    DECISION_STATES={"pending": "en attente d'un second agent", "complete": "transmise", "withdrawn": "retirée"},
)


def render(request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    """A page from `template` (which extends base.html), with the menu, the signed-in person and the CSRF field."""
    return templates.TemplateResponse(request, template, context or {}, status_code=status_code)


@asynccontextmanager
async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the back-office's own database (its read model), from the process's pool."""
    async with request.app.state.pool.acquire() as conn:
        yield conn


Endpoint = Callable[[Request], Awaitable[Response]]


def guarded(roles: frozenset[str], endpoint: Endpoint) -> Endpoint:
    """`endpoint` for the roles that hold `roles` (auth.require: signed out, to sign-in; anyone else, 403)."""
    return auth.require(*sorted(roles))(endpoint)
