"""The back-office's pages (not sign-in, accounts, audit or decisions: guichet_backoffice.web.app's), for
create_web to mount: `routes()`.

Each family of pages is a module of its own: pages_review (queue and claim), pages_operations (dead letters and
set-aside items), pages_dashboard, pages_finance (payments, SEPA batches, waitlist, budget). pages_common holds
what they share: the templates, who opens which page, the menu.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from guichet_backoffice.web import pages_dashboard, pages_finance, pages_operations, pages_review
from guichet_backoffice.web.pages_common import SIGN_IN_PATH, STATIC_DIR, STATIC_PATH, home_path, role_of, templates
from guichet_backoffice.web.pages_operations import set_aside_paths

templates.env.globals["set_aside_paths"] = set_aside_paths


async def home(request: Request) -> Response:
    """`/` opens the first page of the person's menu; a signed-out person goes to sign-in."""
    return RedirectResponse(home_path(role_of(request)) or SIGN_IN_PATH, status_code=303)


def routes() -> list[BaseRoute]:
    """Every page of this package, and the style sheet (served to signed-out visitors too: sign-in uses it)."""
    return [
        Route("/", home, methods=["GET"], name="home"),
        *pages_review.routes(),
        *pages_operations.routes(),
        *pages_dashboard.routes(),
        *pages_finance.routes(),
        Mount(STATIC_PATH, app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
