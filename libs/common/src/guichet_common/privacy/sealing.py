"""Sealed values: a field encrypted with AES-256-GCM under its subject's data key, as one printable string.

`sealed:v1:<kind>:<subject>:<base64url(nonce || ciphertext || tag)>`. The subject (a claim id, or `batch-<id>` for
a SEPA file) and the kind (`contact`, `bank`) say which key opens it, and are the associated data: a sealed value
moved to another claim's event does not open. Data keys are wrapped by the master key (AES key wrap, RFC 3394)
wherever they are stored or announced; the master key comes from settings (`GUICHET_PRIVACY_MASTER_KEY` or
`..._FILE`) or, behind the same two methods, from a KMS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Literal, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap

DataKind = Literal["contact", "bank"]
DATA_KINDS: tuple[DataKind, ...] = ("contact", "bank")
PREFIX = "sealed:v1:"
_NONCE_BYTES = 12
# Used only when no master key is configured (a developer's machine): a warning says so at start-up.
DEVELOPMENT_MASTER_KEY = hashlib.sha256(b"guichet development master key - never in production").digest()


class SealingError(ValueError):
    """A value that claims to be sealed but is not well formed, or does not open with its key."""


class KeyNotYetKnown(Exception):
    """The subject's key has not reached this service yet (its announcement is on another topic): retry shortly."""

    def __init__(self, subject: str, kind: str) -> None:
        super().__init__(f"no key yet for {kind} of {subject}")
        self.subject, self.kind = subject, kind


class KeyWrapper(Protocol):
    """What wraps data keys: the master key from settings, or a KMS client with the same two methods."""

    def wrap(self, data_key: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes) -> bytes: ...


@dataclass(frozen=True, repr=False)
class MasterKey:
    """A 256-bit key-encryption key. repr never shows it."""

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) != 32:
            raise ValueError("the privacy master key is 32 bytes (base64 of 32 random bytes)")

    @classmethod
    def from_base64(cls, text: str) -> MasterKey:
        try:
            return cls(base64.b64decode(text.strip(), validate=True))
        except (ValueError, TypeError):
            raise ValueError("the privacy master key is not base64 of 32 bytes") from None

    def wrap(self, data_key: bytes) -> bytes:
        return aes_key_wrap(self.secret, data_key)

    def unwrap(self, wrapped: bytes) -> bytes:
        return aes_key_unwrap(self.secret, wrapped)

    def fingerprint(self, value: str) -> str:
        """A keyed hash (HMAC-SHA256, hex) of `value`: equal values compare equal, and nobody without the master key
        can test a guess. Eligibility compares IBANs this way, never seeing one."""
        return hmac.new(self.secret, b"fingerprint:" + value.encode(), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return "MasterKey(***)"


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


@dataclass(frozen=True)
class SealedRef:
    """Which key a sealed value needs."""

    kind: str
    subject: str
    payload: bytes


def _aad(kind: str, subject: str) -> bytes:
    return f"{subject}:{kind}".encode()


def seal(data_key: bytes, kind: str, subject: str, plaintext: str) -> str:
    return seal_many(data_key, kind, subject, [plaintext])[0]


def seal_many(data_key: bytes, kind: str, subject: str, plaintexts: list[str]) -> list[str]:
    """Several fields of one subject and kind: one cipher for all (building it is most of the cost of one seal)."""
    cipher, aad, head = AESGCM(data_key), _aad(kind, subject), f"{PREFIX}{kind}:{subject}:"
    sealed = []
    for plaintext in plaintexts:
        nonce = os.urandom(_NONCE_BYTES)
        data = nonce + cipher.encrypt(nonce, plaintext.encode(), aad)
        sealed.append(head + base64.urlsafe_b64encode(data).decode().rstrip("="))
    return sealed


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def parse(value: str) -> SealedRef:
    if not is_sealed(value):
        raise SealingError("not a sealed value")
    rest = value[len(PREFIX) :]
    kind, _, rest = rest.partition(":")
    subject, _, encoded = rest.rpartition(":")
    if not kind or not subject or not encoded:
        raise SealingError("a sealed value is sealed:v1:<kind>:<subject>:<data>")
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError:
        raise SealingError("a sealed value's data is not base64url") from None
    if len(payload) < _NONCE_BYTES + 16:
        raise SealingError("a sealed value's data is too short")
    return SealedRef(kind, subject, payload)


def unseal(data_key: bytes, value: str) -> str:
    ref = parse(value)
    try:
        plain = AESGCM(data_key).decrypt(
            ref.payload[:_NONCE_BYTES], ref.payload[_NONCE_BYTES:], _aad(ref.kind, ref.subject)
        )
    except Exception:  # cryptography's InvalidTag: a wrong key, or altered data
        raise SealingError(f"a sealed {ref.kind} value of {ref.subject} does not open with its key") from None
    return plain.decode()
