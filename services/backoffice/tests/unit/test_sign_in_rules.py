"""Password hashes, lockout, tokens and roles: the pure rules of signing in."""

from __future__ import annotations

import datetime as dt

import pytest

from guichet_backoffice.auth import lockout, passwords, tokens
from guichet_backoffice.auth.roles import ROLES, holds

NOW = dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC)


def test_passwords_are_argon2id_hashes_that_verify_only_the_right_password() -> None:
    stored = passwords.hash_password("un mot de passe assez long")
    assert stored.startswith("$argon2id$") and "assez long" not in stored
    assert passwords.verify_password(stored, "un mot de passe assez long")
    assert not passwords.verify_password(stored, "un autre mot de passe")
    assert not passwords.verify_password("pas un hash", "un mot de passe assez long")
    assert not passwords.needs_rehash(stored)


def test_an_account_without_password_never_signs_in_with_one() -> None:
    assert not passwords.verify_password(None, "")
    assert not passwords.verify_password(None, "n'importe quoi")


def test_the_policy_refuses_short_and_absurdly_long_passwords() -> None:
    with pytest.raises(passwords.WeakPassword):
        passwords.hash_password("court")
    with pytest.raises(passwords.WeakPassword):
        passwords.hash_password("x" * (passwords.MAX_LENGTH + 1))
    assert not passwords.verify_password(passwords.hash_password("y" * 20), "y" * (passwords.MAX_LENGTH + 1))


def test_one_time_passwords_are_random_and_pass_the_policy() -> None:
    first, second = passwords.one_time_password(), passwords.one_time_password()
    assert first != second and len(first) >= passwords.MIN_LENGTH
    passwords.check_policy(first)


def test_failures_lock_the_account_at_the_limit_for_a_while() -> None:
    policy = lockout.LockoutPolicy(after_failures=3, duration=dt.timedelta(minutes=15))
    first = lockout.after_failure(0, NOW, policy)
    second = lockout.after_failure(first.failed_attempts, NOW, policy)
    third = lockout.after_failure(second.failed_attempts, NOW, policy)
    assert (first.locked, second.locked, third.locked) == (False, False, True)
    assert third.locked_until == NOW + dt.timedelta(minutes=15) and third.failed_attempts == 0
    assert lockout.is_locked(third.locked_until, NOW + dt.timedelta(minutes=14))
    assert not lockout.is_locked(third.locked_until, NOW + dt.timedelta(minutes=15))
    assert not lockout.is_locked(None, NOW)


def test_tokens_are_random_prefixed_and_kept_as_their_digest() -> None:
    token = tokens.new_api_token()
    assert token.startswith(tokens.TOKEN_PREFIX) and len(token) > 40
    assert tokens.new_api_token() != token
    assert tokens.digest(token) == tokens.digest(token) and len(tokens.digest(token)) == 32
    assert tokens.same("abc", "abc") and not tokens.same("abc", "abd")


def test_roles_open_their_own_pages_and_a_supervisor_a_caseworkers_too() -> None:
    assert set(ROLES) == {"caseworker", "supervisor", "finance", "auditor", "admin"}
    assert holds("supervisor", "caseworker") and holds("caseworker", "caseworker")
    assert not holds("caseworker", "supervisor")
    assert not holds("admin", "caseworker", "supervisor", "finance")  # an admin manages accounts, decides nothing
    assert holds("admin", "auditor", "admin")
