"""Sign-in and sign-out with a password, and replacing a one-time password (the pages under /connexion)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from guichet_backoffice import accounts, audit
from guichet_backoffice.auth.passwords import WeakPassword
from guichet_backoffice.web import sessions
from guichet_backoffice.web.auth import (
    PASSWORD_PATH,
    SIGN_IN_PATH,
    SIGN_OUT_PATH,
    current_session,
    current_user,
    local_path,
)
from guichet_backoffice.web.context import WebContext


def routes(web: WebContext) -> list[Route]:
    async def sign_in_page(request: Request) -> Response:
        if current_user(request) is not None:
            return RedirectResponse(local_path(request.query_params.get("suite")), status_code=303)
        return await _sign_in_form(web, request, {})

    async def sign_in(request: Request) -> Response:
        form = await request.form()
        login, password = str(form.get("login", "")), str(form.get("password", ""))
        now = dt.datetime.now(dt.UTC)
        async with web.pool.acquire() as conn, conn.transaction():
            result = await accounts.sign_in(conn, login, password, policy=web.lockout, now=now)
        if result.outcome == "locked":
            message = (
                f"Ce compte est verrouillé après trop d'essais infructueux. Réessayez dans {web.lockout_minutes}"
                " minutes, ou demandez à un administrateur."
            )
            return await _sign_in_form(
                web, request, {"error": message, "login": login, "suite": form.get("suite")}, status=423
            )
        if result.outcome != "ok" or result.account is None:
            message = "Identifiant ou mot de passe incorrect."
            return await _sign_in_form(
                web, request, {"error": message, "login": login, "suite": form.get("suite")}, status=401
            )
        response = RedirectResponse(local_path(str(form.get("suite", "")) or None), status_code=303)
        await start_session(web, request, response, result.account.login)
        return response

    async def sign_out(request: Request) -> Response:
        session, user = current_session(request), current_user(request)
        async with web.pool.acquire() as conn, conn.transaction():
            if session is not None:
                await sessions.end(conn, session)
            if user is not None:
                await audit.record(conn, user.login, audit.SIGN_OUT, user.login)
        response = RedirectResponse(SIGN_IN_PATH, status_code=303)
        web.cookie.clear(response)
        return response

    async def password_page(request: Request) -> Response:
        return web.render(request, "password.html", {})

    async def change_password(request: Request) -> Response:
        user = current_user(request)
        assert user is not None  # the gate lets no signed-out request here
        form = await request.form()
        new, confirm = str(form.get("new_password", "")), str(form.get("confirm_password", ""))
        if new != confirm:
            return web.render(request, "password.html", {"error": "Les deux saisies diffèrent."}, status_code=400)
        try:
            async with web.pool.acquire() as conn, conn.transaction():
                await accounts.change_password(conn, user.login, str(form.get("current_password", "")), new)
        except (WeakPassword, accounts.AccountError) as error:
            return web.render(request, "password.html", {"error": str(error)}, status_code=400)
        response = RedirectResponse("/", status_code=303)
        await start_session(web, request, response, user.login)  # a new id for the new password
        return response

    return [
        Route(SIGN_IN_PATH, sign_in_page, methods=["GET"], name="sign_in_page"),
        Route(SIGN_IN_PATH, sign_in, methods=["POST"], name="sign_in"),
        Route(SIGN_OUT_PATH, sign_out, methods=["POST"], name="sign_out"),
        Route(PASSWORD_PATH, password_page, methods=["GET"], name="password_page"),
        Route(PASSWORD_PATH, change_password, methods=["POST"], name="change_password"),
    ]


async def _sign_in_form(web: WebContext, request: Request, context: dict[str, Any], status: int = 200) -> Response:
    """The form, on the visitor's session (made now if there is none, so the form has its CSRF token)."""
    fresh_id = None
    if current_session(request) is None:
        async with web.pool.acquire() as conn:
            fresh_id, session = await sessions.start(conn, web.lifetime, dt.datetime.now(dt.UTC))
        request.scope["guichet.session"] = session
    wanted = context.get("suite") or request.query_params.get("suite")
    context = {**context, "suite": local_path(str(wanted) if wanted else None), "oidc_label": web.oidc_label}
    response = web.render(request, "signin.html", context, status_code=status)
    if fresh_id is not None:
        web.cookie.set(response, fresh_id)
    return response


async def start_session(web: WebContext, request: Request, response: Response, login: str) -> None:
    """Replace whatever session the request had by a new one for `login`, and set its cookie on `response`."""
    previous = current_session(request)
    async with web.pool.acquire() as conn, conn.transaction():
        if previous is not None:
            await sessions.end(conn, previous)
        session_id, _ = await sessions.start(conn, web.lifetime, dt.datetime.now(dt.UTC), login=login)
    web.cookie.set(response, session_id)
