"""The back-office's web app: `create_web(wiring)` gives the Starlette app `build_app` serves beside the
operational routes. Sign-in, sessions, CSRF and security headers wrap every page (`web.auth.AuthGate`); the pages
themselves are `web.pages.routes()`; decisions, accounts, the audit trail and the JSON API are this package's."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
from pathlib import Path

import structlog
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from guichet_backoffice import api, privacy_api
from guichet_backoffice.settings import BackofficeSettings
from guichet_backoffice.web import admin_pages, decision_pages, oidc, sessions, sign_in
from guichet_backoffice.web.auth import AuthGate, current_user
from guichet_backoffice.web.context import Render, WebContext, render_fallback
from guichet_common.runtime import Wiring

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
SESSION_PURGE_EVERY_S = 600.0
log = structlog.get_logger()


def _layout_render() -> Render:
    try:
        from guichet_backoffice.web.pages_common import render
    except ImportError:  # the layout's module is the pages' (issue 15, delivered separately)
        return render_fallback
    return render


def _pages() -> list[BaseRoute]:
    try:
        pages = importlib.import_module("guichet_backoffice.web.pages")
    except ImportError as missing:  # the pages and the read model land separately (issue 15): sign-in still works
        log.error("backoffice_pages_missing", error=str(missing))
        return []
    routes: list[BaseRoute] = pages.routes()
    return routes


def create_web(wiring: Wiring) -> Starlette:
    settings = wiring.settings
    assert isinstance(settings, BackofficeSettings)
    web = WebContext(settings=settings, pool=wiring.pool, render=_layout_render())

    async def home(request: Request) -> Response:
        from guichet_backoffice.web import pages_common

        user = current_user(request)
        target = pages_common.home_path(user.role if user else None) or admin_pages.TOKEN_PATH
        return RedirectResponse(target, status_code=303)

    routes: list[BaseRoute] = [
        api.api(wiring.pool, settings.topic_prefix),
        privacy_api.privacy_api(wiring.pool, settings.topic_prefix),
        *sign_in.routes(web),
        *oidc.routes(web),
        *decision_pages.routes(web),
        *admin_pages.routes(web),
        *_pages(),
        Route("/", home, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static"),
    ]
    gate = Middleware(AuthGate, pool=wiring.pool, lifetime=web.lifetime, cookie=web.cookie)
    app = Starlette(routes=routes, middleware=[gate])
    app.state.pool = wiring.pool  # the pages' connections (web.pages_common.connection)
    app.state.settings = settings
    if hasattr(wiring, "run_in_background"):
        wiring.run_in_background(_purging_sessions(web))
    return app


def _purging_sessions(web: WebContext):  # type: ignore[no-untyped-def]
    async def purge_expired_sessions() -> None:
        while True:
            if web.pool.filled:
                async with web.pool.acquire() as conn:
                    await sessions.purge_expired(conn, dt.datetime.now(dt.UTC))
            await asyncio.sleep(SESSION_PURGE_EVERY_S)

    return purge_expired_sessions
