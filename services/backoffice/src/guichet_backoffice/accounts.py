"""Accounts: who may sign in, with which role; sign-in with lockout; personal API tokens; the first admin.

Passwords are argon2id hashes (`auth.passwords`), tokens sha256 digests (`auth.tokens`). A new account gets a
one-time password: it opens only the page where its owner chooses a real one (`must_change_password`), so
whoever created the account (an admin, or `make demo` printing it) does not know the password in use afterwards.
Every sign-in, failure and lockout is written to the audit trail in the same transaction as the account's change.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg

from guichet_backoffice import audit
from guichet_backoffice.auth import lockout, passwords, tokens
from guichet_backoffice.auth.roles import is_role

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,99}$")
FIRST_ADMIN = "admin"


class AccountError(ValueError):
    """A request on accounts that cannot be done; the message is French, for the person who asked."""


@dataclass(frozen=True)
class Account:
    login: str
    role: str
    disabled: bool
    must_change_password: bool
    failed_attempts: int
    locked_until: dt.datetime | None
    has_password: bool
    created_at: dt.datetime


@dataclass(frozen=True)
class SignIn:
    outcome: Literal["ok", "failed", "locked"]
    account: Account | None = None


_COLUMNS = (
    "login, role, disabled, must_change_password, failed_attempts, locked_until,"
    " password_hash IS NOT NULL AS has_password, created_at"
)


# argon2 takes tens of milliseconds and 64 MiB by design; in a thread (argon2-cffi releases the GIL), so that one
# sign-in does not hold every other request of the event loop back meanwhile.
async def _hashed(password: str) -> str:
    return await asyncio.to_thread(passwords.hash_password, password)


async def _verified(stored_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(passwords.verify_password, stored_hash, password)


def _account(row: asyncpg.Record) -> Account:
    return Account(**dict(row))


def check_login(login: str) -> str:
    if not LOGIN_PATTERN.match(login):
        raise AccountError("Identifiant invalide : minuscules, chiffres et . _ @ - seulement, 100 caractères au plus.")
    return login


def check_role(role: str) -> str:
    if not is_role(role):
        raise AccountError(f"Rôle inconnu : {role}.")
    return role


async def find(conn: asyncpg.Connection, login: str) -> Account | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM accounts WHERE login = $1", login)
    return _account(row) if row else None


async def list_accounts(conn: asyncpg.Connection) -> list[Account]:
    return [_account(r) for r in await conn.fetch(f"SELECT {_COLUMNS} FROM accounts ORDER BY login")]


async def add(conn: asyncpg.Connection, login: str, role: str, *, by: str) -> str:
    """Create an account; returns its one-time password (shown once, never stored in clear)."""
    check_login(login)
    check_role(role)
    one_time = passwords.one_time_password()
    created = await conn.fetchval(
        "INSERT INTO accounts (login, role, password_hash, must_change_password) VALUES ($1, $2, $3, true)"
        " ON CONFLICT (login) DO NOTHING RETURNING login",
        login,
        role,
        await _hashed(one_time),
    )
    if created is None:
        raise AccountError(f"Le compte {login} existe déjà.")
    await audit.record(conn, by, "account_added", login, details={"role": role})
    return one_time


async def _keep_an_admin(conn: asyncpg.Connection, login: str) -> None:
    """Refuse to disable or demote the last enabled admin: nobody could manage accounts any more."""
    others = await conn.fetchval(
        "SELECT count(*) FROM accounts WHERE role = 'admin' AND NOT disabled AND login <> $1", login
    )
    if not others and await conn.fetchval("SELECT role = 'admin' FROM accounts WHERE login = $1", login):
        raise AccountError("C'est le dernier administrateur actif : nommez-en un autre d'abord.")


async def set_disabled(conn: asyncpg.Connection, login: str, disabled: bool, *, by: str) -> None:
    """Disable (or enable again) an account; a disabled account's sessions and tokens stop working at once."""
    if disabled:
        await _keep_an_admin(conn, login)
    if await conn.execute("UPDATE accounts SET disabled = $2 WHERE login = $1", login, disabled) == "UPDATE 0":
        raise AccountError(f"Aucun compte {login}.")
    if disabled:
        await conn.execute("DELETE FROM web_sessions WHERE login = $1", login)
    await audit.record(conn, by, "account_disabled" if disabled else "account_enabled", login)


async def set_role(conn: asyncpg.Connection, login: str, role: str, *, by: str) -> None:
    check_role(role)
    if role != "admin":
        await _keep_an_admin(conn, login)
    if await conn.execute("UPDATE accounts SET role = $2 WHERE login = $1", login, role) == "UPDATE 0":
        raise AccountError(f"Aucun compte {login}.")
    await audit.record(conn, by, "account_role_set", login, details={"role": role})


async def reset_password(conn: asyncpg.Connection, login: str, *, by: str) -> str:
    """A new one-time password (and the lock lifted), for a person who forgot theirs."""
    one_time = passwords.one_time_password()
    changed = await conn.execute(
        "UPDATE accounts SET password_hash = $2, must_change_password = true, failed_attempts = 0,"
        " locked_until = NULL WHERE login = $1",
        login,
        await _hashed(one_time),
    )
    if changed == "UPDATE 0":
        raise AccountError(f"Aucun compte {login}.")
    await conn.execute("DELETE FROM web_sessions WHERE login = $1", login)
    await audit.record(conn, by, "account_password_reset", login)
    return one_time


async def change_password(conn: asyncpg.Connection, login: str, current: str, new: str) -> None:
    """The owner replaces their password (the one-time one included); raises WeakPassword or AccountError."""
    stored = await conn.fetchval("SELECT password_hash FROM accounts WHERE login = $1 FOR UPDATE", login)
    if not await _verified(stored, current):
        raise AccountError("Le mot de passe actuel est incorrect.")
    if new == current:
        raise AccountError("Le nouveau mot de passe doit différer de l'actuel.")
    await conn.execute(
        "UPDATE accounts SET password_hash = $2, must_change_password = false WHERE login = $1",
        login,
        await _hashed(new),
    )
    await audit.record(conn, login, "password_changed", login)


async def sign_in(
    conn: asyncpg.Connection, login: str, password: str, *, policy: lockout.LockoutPolicy, now: dt.datetime
) -> SignIn:
    """Check a login and password, count failures, lock after too many; audited whatever the outcome.

    A locked account is refused without its password being checked, so guessing on cannot unlock it."""
    typed = login.strip().lower()[:100]
    row = await conn.fetchrow(f"SELECT {_COLUMNS}, password_hash FROM accounts WHERE login = $1 FOR UPDATE", typed)
    if row is None:
        await _verified(None, password)  # as long as a wrong password: logins are not enumerable
        await audit.record(conn, typed or "?", audit.SIGN_IN_FAILED, typed, details={"cause": "unknown_login"})
        return SignIn("failed")
    stored_hash = row["password_hash"]
    account = Account(**_without_hash(row))
    if lockout.is_locked(account.locked_until, now):
        await audit.record(conn, typed, audit.SIGN_IN_FAILED, typed, details={"cause": "locked"})
        return SignIn("locked", account)
    if account.disabled or not await _verified(stored_hash, password):
        return await _failed(conn, account, policy, now)
    if passwords.needs_rehash(stored_hash):
        await conn.execute("UPDATE accounts SET password_hash = $2 WHERE login = $1", typed, await _hashed(password))
    await conn.execute("UPDATE accounts SET failed_attempts = 0, locked_until = NULL WHERE login = $1", typed)
    await audit.record(conn, typed, audit.SIGN_IN, typed, details={"method": "password"})
    return SignIn("ok", account)


def _without_hash(row: asyncpg.Record) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key != "password_hash"}


async def _failed(
    conn: asyncpg.Connection, account: Account, policy: lockout.LockoutPolicy, now: dt.datetime
) -> SignIn:
    cause = "disabled" if account.disabled else "wrong_password"
    after = lockout.after_failure(account.failed_attempts, now, policy)
    await conn.execute(
        "UPDATE accounts SET failed_attempts = $2, locked_until = $3 WHERE login = $1",
        account.login,
        after.failed_attempts,
        after.locked_until,
    )
    await audit.record(conn, account.login, audit.SIGN_IN_FAILED, account.login, details={"cause": cause})
    if after.locked:
        until = after.locked_until.isoformat() if after.locked_until else ""
        await audit.record(conn, account.login, audit.LOCKED_OUT, account.login, details={"until": until})
        return SignIn("locked", account)
    return SignIn("failed", account)


async def issue_token(conn: asyncpg.Connection, login: str, label: str, *, by: str) -> str:
    """A personal API token for `login`; returned once, only its digest is kept."""
    account = await find(conn, login)
    if account is None or account.disabled:
        raise AccountError(f"Aucun compte actif {login}.")
    token = tokens.new_api_token()
    await conn.execute(
        "INSERT INTO api_tokens (token_sha256, login, label) VALUES ($1, $2, $3)", tokens.digest(token), login, label
    )
    await audit.record(conn, by, "api_token_issued", login, details={"label": label})
    return token


async def revoke_tokens(conn: asyncpg.Connection, login: str, *, by: str) -> int:
    status = await conn.execute(
        "UPDATE api_tokens SET revoked_at = now() WHERE login = $1 AND revoked_at IS NULL", login
    )
    await audit.record(conn, by, "api_tokens_revoked", login)
    return int(status.split()[-1])


async def account_for_token(conn: asyncpg.Connection, token: str) -> Account | None:
    """The active account a bearer token belongs to, or None (unknown, revoked, or account disabled)."""
    row = await conn.fetchrow(
        "WITH used AS (UPDATE api_tokens SET last_used_at = now()"
        "              WHERE token_sha256 = $1 AND revoked_at IS NULL RETURNING login)"
        f" SELECT {_COLUMNS} FROM accounts WHERE login = (SELECT login FROM used) AND NOT disabled",
        tokens.digest(token),
    )
    return _account(row) if row else None


async def ensure_first_admin(conn: asyncpg.Connection, login: str = FIRST_ADMIN) -> str | None:
    """When no enabled admin exists, create (or reset) `login` as admin and return its one-time password;
    None when there is an admin already. For `make demo` and a new installation."""
    async with conn.transaction():
        await conn.execute("LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE")
        if await conn.fetchval("SELECT count(*) FROM accounts WHERE role = 'admin' AND NOT disabled"):
            return None
        one_time = passwords.one_time_password()
        await conn.execute(
            "INSERT INTO accounts (login, role, password_hash, must_change_password) VALUES ($1, 'admin', $2, true)"
            " ON CONFLICT (login) DO UPDATE SET role = 'admin', password_hash = excluded.password_hash,"
            " must_change_password = true, disabled = false, failed_attempts = 0, locked_until = NULL",
            check_login(login),
            await _hashed(one_time),
        )
        await audit.record(conn, "system", "first_admin_created", login)
        return one_time


async def admit_external(conn: asyncpg.Connection, login: str, role: str, subject: str) -> bool:
    """Make or update the account an identity provider signs in; False when the login is a local account, is
    bound to another subject, or is disabled."""
    check_login(login)
    try:
        async with conn.transaction():  # a savepoint: the subject bound to another login is a refusal, not a crash
            bound = await conn.fetchval(
                "INSERT INTO accounts (login, role, oidc_subject) VALUES ($1, $2, $3)"
                " ON CONFLICT (login) DO UPDATE SET role = excluded.role"
                "   WHERE accounts.oidc_subject = excluded.oidc_subject AND NOT accounts.disabled"
                " RETURNING login",
                login,
                check_role(role),
                subject,
            )
    except asyncpg.UniqueViolationError:
        return False
    return bound is not None
