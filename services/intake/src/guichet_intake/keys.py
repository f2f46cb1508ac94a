"""The data keys of the claims one unit of work touches: intake owns them (guichet_common.privacy).

A claim's keys are made the first time one of its fields is sealed, stored wrapped (`uow.keys`) and announced on
`privacy.claim-keys.v1` before any event that carries a value sealed under them. A claim that already has a key
(a refused submission's contact, a rectification) seals with it again: a new key would leave what was sealed
before unreadable. A destroyed key is never made again: what it sealed was erased.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable, Mapping

from guichet_common.contracts.privacy import CLAIM_KEYS_TOPIC, ClaimKeysV1
from guichet_common.outbox import OutboxMessage
from guichet_common.privacy.keyring import KeyId, KeyRing, KeyState, Sealer
from guichet_common.privacy.sealing import DATA_KINDS, KeyWrapper


class KeyErased(Exception):
    """The claim's key of that kind was destroyed: its data was erased, and nothing is sealed under it again."""


class ClaimKeys:
    """Keys held (unwrapped on demand) and keys made during one unit of work; `made` is what to store."""

    def __init__(self, master: KeyWrapper, held: Mapping[KeyId, KeyState]) -> None:
        self._sealer = Sealer(master)
        self._held = dict(held)
        self._open: dict[KeyId, bytes] = {}
        self._unannounced: set[str] = set()
        self.made: list[tuple[str, str, bytes | None]] = []

    @classmethod
    async def load(cls, master: KeyWrapper, ring: KeyRing, subjects: Iterable[str]) -> ClaimKeys:
        """The keys `ring` holds for `subjects`, both kinds, with one look-up."""
        return cls(master, await ring.get((s, kind) for s in set(subjects) for kind in DATA_KINDS))

    def seal(self, subject: str, kind: str, fields: Mapping[str, str | None]) -> dict[str, str | None]:
        """`fields` sealed under the subject's key of `kind`, made now if it has none. Raises KeyErased."""
        return Sealer.seal_fields(self._data_key(subject, kind), kind, subject, fields)

    def is_erased(self, subject: str, kind: str) -> bool:
        state = self._held.get((subject, kind))
        return state is not None and state.wrapped is None

    def announcement(self, subject: str, prefix: str, at: dt.datetime) -> list[OutboxMessage]:
        """The subject's keys on the key topic, if some were made since they were last announced (each announcement
        carries every kind the subject has: compaction keeps only the last one)."""
        if subject not in self._unannounced:
            return []
        self._unannounced.discard(subject)
        return [keys_message(subject, self._held, prefix, at)]

    def _data_key(self, subject: str, kind: str) -> bytes:
        key_id = (subject, kind)
        if key_id in self._open:
            return self._open[key_id]
        state = self._held.get(key_id)
        if state is not None and state.wrapped is None:
            raise KeyErased(f"the {kind} key of {subject} was destroyed")
        if state is not None and state.wrapped is not None:
            data_key = self._sealer.unwrap(state.wrapped)
        else:
            data_key, wrapped = self._sealer.new_keys(subject, [kind])[kind]
            self._held[key_id] = KeyState(wrapped, None)
            self.made.append((subject, kind, wrapped))
            self._unannounced.add(subject)
        self._open[key_id] = data_key
        return data_key


def keys_message(subject: str, held: Mapping[KeyId, KeyState], prefix: str, at: dt.datetime) -> OutboxMessage:
    """ClaimKeysV1 with the subject's keys as held: each kind wrapped (base64), or null once destroyed."""
    # Looked up by kind: `held` is every key of the unit of work's claims, and a batch holds hundreds.
    states = {kind: held[(subject, kind)] for kind in DATA_KINDS if (subject, kind) in held}
    keys = {
        kind: None if state.wrapped is None else base64.b64encode(state.wrapped).decode()
        for kind, state in states.items()
    }
    event = ClaimKeysV1.model_validate(
        {"subject": subject, "owner": "intake", "keys": keys, "occurred_at": at}, strict=False
    )
    return OutboxMessage.of_event(prefix + CLAIM_KEYS_TOPIC, subject, event)
