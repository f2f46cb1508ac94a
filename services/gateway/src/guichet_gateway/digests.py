"""A post's digest, as the gateway keeps it to know a repeated post from another: the SHA-256 of the canonical body,
keyed by the master key (HMAC). A digest of a body is derived from its contact and bank details: plain, anyone with a
database copy could test a guessed body against it (a bank-details body is an IBAN, a BIC and a name, few enough
unknowns to guess); keyed, nobody without the master key can. Rows written before the key was used hold the plain
SHA-256 until their claim's data is erased (guichet_gateway.privacy.service keys them then): a post matches either."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from guichet_common.privacy.sealing import MasterKey

DigestKey = Callable[[bytes], bytes]  # a plain SHA-256 -> the keyed digest that is stored


def digest_key(master: MasterKey) -> DigestKey:
    def keyed(plain: bytes) -> bytes:
        return bytes.fromhex(master.fingerprint("post-digest:" + plain.hex()))

    return keyed


@dataclass(frozen=True)
class PostDigest:
    plain: bytes  # the canonical body's SHA-256
    keyed: bytes  # what a new post's row keeps

    @classmethod
    def of(cls, plain: bytes, key: DigestKey) -> PostDigest:
        return cls(plain, key(plain))

    @property
    def candidates(self) -> list[bytes]:
        """What a stored row of this same body holds: the keyed digest, or the plain one (a row from before)."""
        return [self.keyed, self.plain]

    def matches(self, stored: bytes) -> bool:
        return stored in self.candidates
