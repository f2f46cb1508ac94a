"""Portal API keys: `gw_<key id>_<secret>`, shown once, kept as the key id (to find the portal) and the SHA-256 of
the whole key. The secret part is 256 random bits, so a fast hash is enough: a slow password hash (argon2) protects
guessable passwords, and would only add CPU to every request here."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

_KEY = re.compile(r"^gw_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True, repr=False)
class NewKey:
    key_id: str
    sha256: bytes
    api_key: str  # shown once, never stored nor logged

    def __repr__(self) -> str:
        return f"NewKey(key_id={self.key_id!r})"


def new_api_key() -> NewKey:
    key_id = secrets.token_hex(8)
    api_key = f"gw_{key_id}_{secrets.token_urlsafe(32)}"
    return NewKey(key_id, key_digest(api_key), api_key)


def key_id_of(api_key: str) -> str | None:
    """The key id of a well-formed key, else None (the caller answers 401 without looking anything up)."""
    match = _KEY.match(api_key)
    return match.group(1) if match else None


def key_digest(api_key: str) -> bytes:
    return hashlib.sha256(api_key.encode("ascii")).digest()


def key_matches(api_key: str, stored_sha256: bytes) -> bool:
    return hmac.compare_digest(key_digest(api_key), stored_sha256)
