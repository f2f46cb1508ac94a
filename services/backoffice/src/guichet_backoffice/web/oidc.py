"""Sign-in through the agency's identity provider (OpenID Connect, authorization code with PKCE, via authlib).

Off unless BACKOFFICE_OIDC_ISSUER is set. The provider's roles claim (BACKOFFICE_OIDC_ROLES_CLAIM) is mapped to
a back-office role by BACKOFFICE_OIDC_ROLE_MAPPING; a person none of whose values maps is refused. The account is
made on first sign-in (no password: the provider vouches for the person) and its role follows the provider's at
each sign-in. A local account with the same login is never taken over: the provider's subject is bound to the
account that first used it.

The session cookie is SameSite=Strict, which a browser does not send on the provider's redirect back; the flow's
state therefore travels in a short-lived SameSite=Lax cookie of its own, and the answer after sign-in is a page
that moves on by itself (meta refresh, no script), a same-site navigation that carries the new session cookie.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from typing import Any

from markupsafe import escape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from guichet_backoffice import accounts, audit
from guichet_backoffice.auth.roles import is_role
from guichet_backoffice.web import sessions
from guichet_backoffice.web.auth import OIDC_PATHS, current_session
from guichet_backoffice.web.context import WebContext
from guichet_backoffice.web.sign_in import start_session

STATE_COOKIE = "guichet-oidc"
START_PATH, CALLBACK_PATH = OIDC_PATHS
FLOW_LIFETIME = sessions.Lifetime(idle=dt.timedelta(minutes=10), max_age=dt.timedelta(minutes=10))
# How the back-office reaches the provider: None, the network; a test puts an in-process provider here.
provider_transport: Any = None


class OidcRefused(Exception):
    """The provider's answer does not let this person in; the message is French, for them."""


def role_from_claims(claims: Mapping[str, Any], roles_claim: str, mapping: Mapping[str, str]) -> str | None:
    """The back-office role the provider's claim maps to (the first value that maps, in the claim's order).
    A dotted name reaches into objects: Keycloak's realm roles are `realm_access.roles`."""
    values: Any = claims
    for part in roles_claim.split("."):
        values = values.get(part, []) if isinstance(values, Mapping) else []
    values = [values] if isinstance(values, str) else values if isinstance(values, list) else []
    for value in values:
        role = mapping.get(str(value))
        if role is not None and is_role(role):
            return role
    return None


def login_from_claims(claims: Mapping[str, Any], login_claim: str) -> str:
    login = str(claims.get(login_claim, "")).strip().lower()
    if not accounts.LOGIN_PATTERN.match(login):
        raise OidcRefused("Le fournisseur d'identité ne donne pas d'identifiant utilisable.")
    return login


def routes(web: WebContext) -> list[Route]:
    settings = web.settings
    metadata: dict[str, Any] = {}

    def client() -> Any:
        # Imported only when the sign-in is configured (authlib ships no types).
        from authlib.integrations.httpx_client import AsyncOAuth2Client  # type: ignore[import-untyped]

        secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
        base = (settings.public_url or "").rstrip("/")
        return AsyncOAuth2Client(
            settings.oidc_client_id,
            secret,
            scope="openid profile email",
            redirect_uri=f"{base}{CALLBACK_PATH}",
            code_challenge_method="S256",
            **({"transport": provider_transport} if provider_transport is not None else {}),
        )

    async def provider(oauth: Any) -> dict[str, Any]:
        if not metadata:
            issuer = str(settings.oidc_issuer).rstrip("/")
            discovery = f"{issuer}/.well-known/openid-configuration"
            answer = await oauth.request("GET", discovery, withhold_token=True)  # before any token exists
            answer.raise_for_status()
            metadata.update(answer.json())
        return metadata

    async def start(request: Request) -> Response:
        if not settings.oidc_issuer:
            return HTMLResponse("Connexion par fournisseur d'identité non configurée.", status_code=404)
        state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
        async with client() as oauth:
            url, _ = oauth.create_authorization_url(
                (await provider(oauth))["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce
            )
        flow = {"state": state, "nonce": nonce, "verifier": verifier, "suite": request.query_params.get("suite")}
        async with web.pool.acquire() as conn:
            flow_id, _ = await sessions.start(conn, FLOW_LIFETIME, dt.datetime.now(dt.UTC), data=flow)
        response = RedirectResponse(url, status_code=303)
        response.set_cookie(
            STATE_COOKIE,
            flow_id,
            max_age=600,
            path=CALLBACK_PATH,
            secure=web.cookie.secure,
            httponly=True,
            samesite="lax",
        )
        return response

    async def callback(request: Request) -> Response:
        flow_id = request.cookies.get(STATE_COOKIE, "")
        async with web.pool.acquire() as conn:
            flow = await sessions.take(conn, flow_id, dt.datetime.now(dt.UTC)) if flow_id else None
        if not settings.oidc_issuer or flow is None or request.query_params.get("state") != flow["state"]:
            return HTMLResponse("Connexion expirée ou invalide : recommencez depuis la page de connexion.", 400)
        try:
            async with client() as oauth:
                endpoints = await provider(oauth)
                await oauth.fetch_token(
                    endpoints["token_endpoint"],
                    code=request.query_params.get("code", ""),
                    code_verifier=flow["verifier"],
                )
                answer = await oauth.get(endpoints["userinfo_endpoint"])
                answer.raise_for_status()
                claims = answer.json()
            login = await _admit(web, claims)
        except OidcRefused as refused:
            return HTMLResponse(f"<p>{escape(str(refused))}</p>", status_code=403)
        response = HTMLResponse(_moving_on(flow.get("suite") or "/"))
        request.scope["guichet.session"] = current_session(request)
        await start_session(web, request, response, login)
        response.delete_cookie(STATE_COOKIE, path=CALLBACK_PATH)
        return response

    return [Route(START_PATH, start, methods=["GET"]), Route(CALLBACK_PATH, callback, methods=["GET"])]


async def _admit(web: WebContext, claims: Mapping[str, Any]) -> str:
    """The account the provider's claims sign in (made or its role updated), audited; raises OidcRefused."""
    settings = web.settings
    login = login_from_claims(claims, settings.oidc_login_claim)
    subject = f"{settings.oidc_issuer} {claims.get('sub', '')}"
    role = role_from_claims(claims, settings.oidc_roles_claim, settings.oidc_role_mapping)
    async with web.pool.acquire() as conn, conn.transaction():
        if role is None:
            await audit.record(conn, login, audit.SIGN_IN_FAILED, login, details={"method": "oidc", "cause": "no_role"})
            raise OidcRefused("Votre compte de l'agence n'a aucun rôle dans le back-office.")
        if not await accounts.admit_external(conn, login, role, subject):
            await audit.record(conn, login, audit.SIGN_IN_FAILED, login, details={"method": "oidc", "cause": "refused"})
            raise OidcRefused("Ce compte est désactivé ou déjà lié à une autre identité.")
        await audit.record(conn, login, audit.SIGN_IN, login, details={"method": "oidc", "role": role})
    return login


def _moving_on(target: str) -> str:
    from guichet_backoffice.web.auth import local_path

    url = escape(local_path(target))
    return (
        f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url={url}">'
        f'<title>Connexion</title></head><body><p><a href="{url}">Continuer</a></p></body></html>'
    )
