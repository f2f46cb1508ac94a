"""Sign-in through an identity provider (an in-process fake one): authorization code with PKCE, roles mapped from
a claim, the account made on first sign-in, and refusals when no role maps or a local account has the login."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from guichet_backoffice import accounts, audit
from guichet_backoffice.web import oidc
from guichet_common.db import PoolSlot

from .conftest import settings

pytestmark = pytest.mark.integration
ISSUER = "https://idp.agence.test"


class FakeProvider:
    """Issues one code per authorization; the token endpoint checks the PKCE verifier against the challenge."""

    def __init__(self) -> None:
        self.claims: dict[str, Any] = {}
        self.challenge = ""

    def app(self) -> Starlette:
        async def discovery(request: Request) -> JSONResponse:
            return JSONResponse(
                {
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/authorize",
                    "token_endpoint": f"{ISSUER}/token",
                    "userinfo_endpoint": f"{ISSUER}/userinfo",
                }
            )

        async def token(request: Request) -> JSONResponse:
            form = await request.form()
            verifier = str(form.get("code_verifier", ""))
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if form.get("code") != "le-code" or digest != self.challenge:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            return JSONResponse({"access_token": "jeton-d-acces", "token_type": "Bearer", "expires_in": 300})

        async def userinfo(request: Request) -> JSONResponse:
            assert request.headers["authorization"] == "Bearer jeton-d-acces"
            return JSONResponse(self.claims)

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/token", token, methods=["POST"]),
                Route("/userinfo", userinfo),
            ]
        )


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    fake = FakeProvider()
    monkeypatch.setattr(oidc, "provider_transport", httpx.ASGITransport(app=fake.app()))
    return fake


@pytest.fixture
def browser(pool: asyncpg.Pool) -> Callable[[], httpx.AsyncClient]:
    from guichet_backoffice.web.app import create_web

    slot = PoolSlot()
    slot.fill(pool)
    configured = settings(
        oidc_issuer=ISSUER,
        oidc_client_id="guichet",
        oidc_client_secret="secret",
        oidc_roles_claim="realm_access.roles",
        oidc_role_mapping={"instructeurs": "caseworker", "superviseurs": "supervisor"},
        public_url="http://127.0.0.1",
    )
    app = create_web(SimpleNamespace(settings=configured, pool=slot))  # type: ignore[arg-type]
    return lambda: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")


async def _through_provider(client: httpx.AsyncClient, provider: FakeProvider) -> httpx.Response:
    sign_in = await client.get("/connexion")
    assert 'href="/connexion/oidc' in sign_in.text
    leaving = await client.get("/connexion/oidc")
    assert leaving.status_code == 303
    authorize = urlsplit(leaving.headers["location"])
    query = {key: values[0] for key, values in parse_qs(authorize.query).items()}
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == f"{ISSUER}/authorize"
    assert (
        query["code_challenge_method"] == "S256" and query["redirect_uri"] == "http://127.0.0.1/connexion/oidc/retour"
    )
    provider.challenge = query["code_challenge"]
    return await client.get("/connexion/oidc/retour", params={"code": "le-code", "state": query["state"]})


async def test_a_person_the_provider_vouches_for_signs_in_with_the_mapped_role(pool, provider, browser) -> None:
    provider.claims = {"sub": "42", "preferred_username": "Nadia", "realm_access": {"roles": ["instructeurs"]}}
    async with browser() as client:
        back = await _through_provider(client, provider)
        assert back.status_code == 200 and 'http-equiv="refresh"' in back.text
        page = await client.get("/jeton")
        assert page.status_code == 200 and "nadia" in page.text
    async with pool.acquire() as conn:
        account = await accounts.find(conn, "nadia")
        trail = await audit.latest(conn, actor="nadia", limit=1)
    assert account is not None and account.role == "caseworker" and not account.has_password
    assert trail[0].action == audit.SIGN_IN and trail[0].details["method"] == "oidc"

    provider.claims["realm_access"] = {"roles": ["superviseurs"]}  # the provider's role is followed
    async with browser() as client:
        assert (await _through_provider(client, provider)).status_code == 200
    async with pool.acquire() as conn:
        assert (await accounts.find(conn, "nadia")).role == "supervisor"  # type: ignore[union-attr]


async def test_no_mapped_role_or_a_local_accounts_login_is_refused(pool, provider, browser) -> None:
    provider.claims = {"sub": "43", "preferred_username": "omar", "realm_access": {"roles": ["autre"]}}
    async with browser() as client:
        assert (await _through_provider(client, provider)).status_code == 403
        assert (await client.get("/jeton")).status_code == 303
    async with pool.acquire() as conn, conn.transaction():
        await accounts.add(conn, "paul", "admin", by="tests")
    provider.claims = {"sub": "44", "preferred_username": "paul", "realm_access": {"roles": ["instructeurs"]}}
    async with browser() as client:
        assert (await _through_provider(client, provider)).status_code == 403
    async with pool.acquire() as conn:
        assert (await accounts.find(conn, "paul")).role == "admin"  # type: ignore[union-attr]


async def test_a_callback_without_its_flow_is_refused(provider, browser) -> None:
    async with browser() as client:
        assert (await client.get("/connexion/oidc/retour", params={"code": "le-code", "state": "x"})).status_code == 400
