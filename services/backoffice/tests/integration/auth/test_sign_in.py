"""Sign-in, lockout, one-time passwords, CSRF, roles and security headers, through the web app."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from guichet_backoffice import accounts, audit

from .conftest import Person, csrf_of, sign_in

pytestmark = pytest.mark.integration


async def _account(pool: asyncpg.Pool, login: str, role: str, password: str = "Un-mot-de-passe-solide") -> str:
    async with pool.acquire() as conn, conn.transaction():
        one_time = await accounts.add(conn, login, role, by="tests")
        await accounts.change_password(conn, login, one_time, password)
    return password


async def _audited(pool: asyncpg.Pool, login: str) -> list[str]:
    async with pool.acquire() as conn:
        return [row.action for row in reversed(await audit.latest(conn, actor=login))]


async def test_a_signed_out_request_for_any_page_ends_at_sign_in(web) -> None:
    async with web() as client:
        for path in ("/", "/audit", "/comptes", "/decisions/en-attente", "/demandes/a-verifier", "/nimporte-quoi"):
            answer = await client.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/connexion?suite="), path


async def test_sign_in_with_the_right_password_opens_a_session_and_is_audited(pool, web) -> None:
    password = await _account(pool, "alice", "caseworker")
    async with web() as client:
        before = (await client.get("/connexion")).cookies.get("guichet-session") or client.cookies.get(
            "guichet-session"
        )
        answer = await sign_in(client, "alice", password)
        assert answer.status_code == 303 and answer.headers["location"] == "/jeton"
        assert client.cookies.get("guichet-session") != before  # a new session id after sign-in
        assert "set-cookie" in answer.headers
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        page = await client.get("/jeton")
        assert page.status_code == 200 and "alice" in page.text
    assert (await _audited(pool, "alice"))[-1] == audit.SIGN_IN


async def test_a_wrong_password_is_refused_and_audited(pool, web) -> None:
    await _account(pool, "bob", "caseworker")
    async with web() as client:
        answer = await sign_in(client, "bob", "pas-le-bon-mot-de-passe")
        assert answer.status_code == 401
        assert "Identifiant ou mot de passe incorrect" in answer.text
        assert (await client.get("/jeton")).status_code == 303
    assert (await _audited(pool, "bob"))[-1] == audit.SIGN_IN_FAILED


async def test_repeated_failures_lock_the_account_even_against_the_right_password(pool, web) -> None:
    password = await _account(pool, "carole", "caseworker")
    async with web() as client:
        answers = [await sign_in(client, "carole", f"mauvais-essai-{n}") for n in range(3)]
        assert [a.status_code for a in answers] == [401, 401, 423]
        assert (await sign_in(client, "carole", password)).status_code == 423
    trail = await _audited(pool, "carole")
    assert audit.LOCKED_OUT in trail and trail[-1] == audit.SIGN_IN_FAILED


async def test_a_one_time_password_opens_only_the_page_that_replaces_it(pool, web) -> None:
    async with pool.acquire() as conn, conn.transaction():
        one_time = await accounts.add(conn, "denis", "auditor", by="tests")
    async with web() as client:
        assert (await sign_in(client, "denis", one_time)).status_code == 303
        assert (await client.get("/audit")).headers["location"] == "/mot-de-passe"
        form = await client.get("/mot-de-passe")
        new = {
            "current_password": one_time,
            "new_password": "Le-mien-desormais",
            "confirm_password": "Le-mien-desormais",
        }
        assert (await client.post("/mot-de-passe", data={**new, "csrf_token": csrf_of(form)})).status_code == 303
        assert (await client.get("/audit")).status_code == 200
    async with web() as other:
        assert (await sign_in(other, "denis", one_time)).status_code == 401  # single use


async def test_a_form_without_its_csrf_token_is_refused(person: Person) -> None:
    client = await person("emma", "caseworker")
    assert (await client.post("/jeton", data={"label": "x"})).status_code == 403
    assert (await client.post("/jeton", data={"label": "x", "csrf_token": "faux"})).status_code == 403
    page = await client.get("/jeton")
    created = await client.post("/jeton", data={"label": "x", "csrf_token": csrf_of(page)})
    assert created.status_code == 200 and "gbo_" in created.text


async def test_sign_in_itself_needs_the_form_token(pool, web) -> None:
    password = await _account(pool, "fanny", "caseworker")
    async with web() as client:
        assert (await client.post("/connexion", data={"login": "fanny", "password": password})).status_code == 403


async def test_pages_beyond_a_role_answer_403(person: Person) -> None:
    client = await person("gaspard", "caseworker")
    assert (await client.get("/comptes")).status_code == 403
    assert (await client.get("/audit")).status_code == 403
    assert (await client.get("/audit.csv")).status_code == 403
    assert (await client.get("/decisions/en-attente")).status_code == 200


async def test_pages_carry_the_security_headers(person: Person) -> None:
    client = await person("hugo", "auditor")
    page = await client.get("/audit")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"


async def test_signing_out_ends_the_session(person: Person) -> None:
    client = await person("ines", "finance")
    page = await client.get("/jeton")
    stolen = client.cookies.get("guichet-session")
    assert (await client.post("/deconnexion", data={"csrf_token": csrf_of(page)})).status_code == 303
    async with httpx.AsyncClient(transport=client._transport, base_url="http://127.0.0.1") as replay:
        replay.cookies.set("guichet-session", stolen or "")
        assert (await replay.get("/jeton")).status_code == 303


async def test_a_disabled_account_loses_its_session_at_once(pool, person: Person) -> None:
    client = await person("jules", "caseworker")
    assert (await client.get("/jeton")).status_code == 200
    async with pool.acquire() as conn, conn.transaction():
        await accounts.set_disabled(conn, "jules", True, by="tests")
    assert (await client.get("/jeton")).status_code == 303


async def test_the_last_admin_can_be_neither_demoted_nor_disabled(pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        one_time = await accounts.ensure_first_admin(conn)
        assert one_time is not None and await accounts.ensure_first_admin(conn) is None
        with pytest.raises(accounts.AccountError, match="dernier administrateur"):
            await accounts.set_role(conn, accounts.FIRST_ADMIN, "auditor", by="tests")
        with pytest.raises(accounts.AccountError, match="dernier administrateur"):
            await accounts.set_disabled(conn, accounts.FIRST_ADMIN, True, by="tests")
        await accounts.add(conn, "second-admin", "admin", by="tests")
        await accounts.set_role(conn, accounts.FIRST_ADMIN, "auditor", by="tests")  # another admin remains
