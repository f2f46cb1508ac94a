"""Password hashes (argon2id through argon2-cffi, its defaults: RFC 9106's second recommended profile) and the
one-time passwords given to new accounts."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 takes any length; a bound keeps a megabyte "password" from costing the server
_hasher = PasswordHasher()  # argon2id
# Verified against when the login is unknown, so that an unknown login costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class WeakPassword(ValueError):
    """A new password the policy refuses; the message is shown to the person, in French."""


def hash_password(password: str) -> str:
    check_policy(password)
    return _hasher.hash(password)


def check_policy(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Le mot de passe doit compter au plus {MAX_LENGTH} caractères.")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; an account without a password (identity provider only) never matches."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's: it is replaced at the next sign-in."""
    return _hasher.check_needs_rehash(stored_hash)


def one_time_password() -> str:
    """A random password to be replaced at first sign-in (about 96 bits)."""
    return secrets.token_urlsafe(12)
