"""Accounts (admin), the audit trail with its CSV export (auditor, admin), and one's own API token (everyone)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from guichet_backoffice import accounts, audit
from guichet_backoffice.auth.roles import ROLE_LABELS, ROLES
from guichet_backoffice.web.auth import current_user, require
from guichet_backoffice.web.context import WebContext

ACCOUNTS_PATH = "/comptes"
AUDIT_PATH = "/audit"
TOKEN_PATH = "/jeton"
ACCOUNT_ACTIONS = ("desactiver", "activer", "role", "mot-de-passe", "jetons")


def _login(request: Request) -> str:
    user = current_user(request)
    assert user is not None  # behind require()
    return user.login


def routes(web: WebContext) -> list[Route]:
    async def accounts_page(request: Request, notice: dict[str, Any] | None = None, status: int = 200) -> Response:
        async with web.pool.acquire() as conn:
            listed = await accounts.list_accounts(conn)
        context = {"accounts": listed, "roles": [(r, ROLE_LABELS[r]) for r in ROLES], **(notice or {})}
        return web.render(request, "accounts.html", context, status_code=status)

    @require("admin")
    async def accounts_list(request: Request) -> Response:
        return await accounts_page(request)

    @require("admin")
    async def account_add(request: Request) -> Response:
        form = await request.form()
        login, role = str(form.get("login", "")).strip().lower(), str(form.get("role", ""))
        try:
            async with web.pool.acquire() as conn, conn.transaction():
                one_time = await accounts.add(conn, login, role, by=_login(request))
        except accounts.AccountError as error:
            return await accounts_page(request, {"error": str(error)}, status=400)
        return await accounts_page(request, {"one_time": (login, one_time)})

    @require("admin")
    async def account_change(request: Request) -> Response:
        login, action = request.path_params["login"], request.path_params["action"]
        form = await request.form()
        notice: dict[str, Any] = {"done": f"Compte {login} modifié."}
        try:
            async with web.pool.acquire() as conn, conn.transaction():
                if action in ("desactiver", "activer"):
                    if action == "desactiver" and login == _login(request):
                        raise accounts.AccountError("Vous ne pouvez pas désactiver votre propre compte.")
                    await accounts.set_disabled(conn, login, action == "desactiver", by=_login(request))
                elif action == "role":
                    await accounts.set_role(conn, login, str(form.get("role", "")), by=_login(request))
                elif action == "mot-de-passe":
                    notice = {"one_time": (login, await accounts.reset_password(conn, login, by=_login(request)))}
                elif action == "jetons":
                    await accounts.revoke_tokens(conn, login, by=_login(request))
                else:
                    raise accounts.AccountError("Action inconnue.")
        except accounts.AccountError as error:
            return await accounts_page(request, {"error": str(error)}, status=400)
        return await accounts_page(request, notice)

    @require("auditor", "admin")
    async def audit_page(request: Request) -> Response:
        actor = request.query_params.get("acteur") or None
        action = request.query_params.get("action") or None
        async with web.pool.acquire() as conn:
            rows = await audit.latest(conn, actor=actor, action=action, limit=300)
            # The whole chain is read to verify it: on demand, not at every look at the latest rows.
            check = await audit.verify_chain(conn) if request.query_params.get("verifier") else None
        context = {"rows": rows, "check": check, "actor": actor or "", "action": action or ""}
        return web.render(request, "audit.html", context)

    @require("auditor", "admin")
    async def audit_csv(request: Request) -> Response:
        async with web.pool.acquire() as conn, conn.transaction():
            await audit.record(conn, _login(request), "audit_exported", "audit_trail")

        async def lines() -> AsyncIterator[str]:
            yield audit.csv_header()
            async with web.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
                async for row in audit.all_rows(conn):
                    yield audit.csv_line(row)

        headers = {"content-disposition": 'attachment; filename="journal-audit.csv"'}
        return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)

    @require(*ROLES)
    async def token_page(request: Request) -> Response:
        return web.render(request, "token.html", {})

    @require(*ROLES)
    async def token_issue(request: Request) -> Response:
        form = await request.form()
        label = str(form.get("label", "")).strip()[:100] or "console"
        async with web.pool.acquire() as conn, conn.transaction():
            token = await accounts.issue_token(conn, _login(request), label, by=_login(request))
        return web.render(request, "token.html", {"token": token, "label": label})

    return [
        Route(ACCOUNTS_PATH, accounts_list, methods=["GET"]),
        Route(ACCOUNTS_PATH, account_add, methods=["POST"]),
        Route(ACCOUNTS_PATH + "/{login}/{action}", account_change, methods=["POST"]),
        Route(AUDIT_PATH, audit_page, methods=["GET"]),
        Route(AUDIT_PATH + ".csv", audit_csv, methods=["GET"]),
        Route(TOKEN_PATH, token_page, methods=["GET"]),
        Route(TOKEN_PATH, token_issue, methods=["POST"]),
    ]
