"""Personal API tokens and session ids: random, shown once, stored as their sha256 only.

A token is 32 random bytes, so a plain sha256 is enough to store it (no dictionary to guess from, unlike a
password); the prefix tells a leaked token apart in a secret scanner."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "gbo_"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    return TOKEN_PREFIX + new_secret()


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison, for CSRF tokens."""
    return secrets.compare_digest(a.encode(), b.encode())
