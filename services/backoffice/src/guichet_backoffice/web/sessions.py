"""Server-side sessions (SQL on `web_sessions`): the cookie carries a random id, the table only its sha256.

A visitor gets a session before signing in, so that the sign-in form carries a CSRF token too; signing in
replaces it with a new one (a session id known before sign-in is worth nothing after). Sessions slide: each
request pushes the expiry `idle` further, never past `max_age` after creation.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from guichet_backoffice.auth import tokens


@dataclass(frozen=True)
class SessionUser:
    """The signed-in person, as pages see them (`guichet_backoffice.web.auth.current_user`)."""

    login: str
    role: str
    must_change_password: bool


@dataclass(frozen=True)
class Session:
    id_digest: bytes
    csrf_token: str
    user: SessionUser | None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Lifetime:
    idle: dt.timedelta
    max_age: dt.timedelta


async def start(
    conn: asyncpg.Connection,
    lifetime: Lifetime,
    now: dt.datetime,
    *,
    login: str | None = None,
    data: dict[str, Any] | None = None,
) -> tuple[str, Session]:
    """A new session; returns the id for the cookie (never stored) and the session."""
    session_id, csrf = tokens.new_secret(), tokens.new_secret()
    digest = tokens.digest(session_id)
    await conn.execute(
        "INSERT INTO web_sessions (id_sha256, login, csrf_token, data, created_at, expires_at)"
        " VALUES ($1, $2, $3, $4::text::jsonb, $5, $6)",
        digest,
        login,
        csrf,
        json.dumps(data or {}),
        now,
        now + min(lifetime.idle, lifetime.max_age),
    )
    user = None
    if login is not None:
        row = await conn.fetchrow("SELECT role, must_change_password FROM accounts WHERE login = $1", login)
        if row is not None:
            user = SessionUser(login, row["role"], row["must_change_password"])
    return session_id, Session(digest, csrf, user, data or {})


async def load(conn: asyncpg.Connection, session_id: str, lifetime: Lifetime, now: dt.datetime) -> Session | None:
    """The live session with this id (its expiry pushed on), or None. A disabled account's session is no user."""
    row = await conn.fetchrow(
        "WITH live AS ("
        "  UPDATE web_sessions SET expires_at = least(created_at + $3::interval, $2::timestamptz + $4::interval)"
        "  WHERE id_sha256 = $1 AND expires_at > $2 RETURNING id_sha256, login, csrf_token, data::text AS data)"
        " SELECT live.*, a.role, a.must_change_password, a.disabled"
        " FROM live LEFT JOIN accounts a ON a.login = live.login",
        tokens.digest(session_id),
        now,
        lifetime.max_age,
        lifetime.idle,
    )
    if row is None:
        return None
    user = None
    if row["login"] is not None and row["role"] is not None and not row["disabled"]:
        user = SessionUser(row["login"], row["role"], row["must_change_password"])
    return Session(row["id_sha256"], row["csrf_token"], user, json.loads(row["data"]))


async def end(conn: asyncpg.Connection, session: Session) -> None:
    await conn.execute("DELETE FROM web_sessions WHERE id_sha256 = $1", session.id_digest)


async def take(conn: asyncpg.Connection, session_id: str, now: dt.datetime) -> dict[str, Any] | None:
    """A visitor's session's data, used once and deleted (the identity provider's state and nonce)."""
    data = await conn.fetchval(
        "DELETE FROM web_sessions WHERE id_sha256 = $1 AND expires_at > $2 AND login IS NULL RETURNING data::text",
        tokens.digest(session_id),
        now,
    )
    return None if data is None else dict(json.loads(data))


async def purge_expired(conn: asyncpg.Connection, now: dt.datetime) -> int:
    status = await conn.execute("DELETE FROM web_sessions WHERE expires_at <= $1", now)
    return int(status.split()[-1])
