"""The data keys a service holds (its own, or copies of the owner's), and opening sealed values with them.

`KeyRing` is what a unit of work exposes as `uow.keys`: `PostgresKeyRing` on the service's `privacy_keys` table,
`InMemoryKeyRing` in unit tests. `Opener` opens many sealed values with one look-up, keeps unwrapped keys in a small
cache (a destroyed key leaves it at once: `forget`), and says which values are erased (key destroyed: None).
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import asyncpg

from guichet_common.privacy.sealing import KeyNotYetKnown, KeyWrapper, new_data_key, parse, seal_many, unseal

KeyId = tuple[str, str]  # (subject, kind)
DESTROYED = None


@dataclass(frozen=True)
class KeyState:
    wrapped: bytes | None  # None: destroyed
    destroyed_at: dt.datetime | None


class KeyRing(Protocol):
    async def put(self, keys: Sequence[tuple[str, str, bytes | None]], at: dt.datetime) -> None:
        """Store wrapped keys (subject, kind, wrapped); a None wrapped key destroys that key. A destroyed key
        stays destroyed whatever arrives later."""
        ...

    async def get(self, ids: Iterable[KeyId]) -> dict[KeyId, KeyState]:
        """The state of each known key among `ids`; an id absent from the answer is not known here yet."""
        ...

    async def destroy(self, ids: Iterable[KeyId], at: dt.datetime) -> list[KeyId]:
        """Destroy those keys; return the ids that were live until now."""
        ...


class PostgresKeyRing:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self._conn = connection

    async def put(self, keys: Sequence[tuple[str, str, bytes | None]], at: dt.datetime) -> None:
        if not keys:
            return
        await self._conn.execute(
            "INSERT INTO privacy_keys (subject, kind, wrapped_key, created_at, destroyed_at)"
            " SELECT s, k, w, $4::timestamptz, CASE WHEN w IS NULL THEN $4::timestamptz END"
            " FROM unnest($1::text[], $2::text[], $3::bytea[]) AS t (s, k, w)"
            " ON CONFLICT (subject, kind) DO UPDATE SET"
            "  wrapped_key = CASE WHEN privacy_keys.destroyed_at IS NULL THEN EXCLUDED.wrapped_key END,"
            "  destroyed_at = coalesce(privacy_keys.destroyed_at, EXCLUDED.destroyed_at)",
            [k[0] for k in keys],
            [k[1] for k in keys],
            [k[2] for k in keys],
            at,
        )

    async def get(self, ids: Iterable[KeyId]) -> dict[KeyId, KeyState]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = await self._conn.fetch(
            "SELECT p.subject, p.kind, p.wrapped_key, p.destroyed_at FROM privacy_keys p"
            " JOIN unnest($1::text[], $2::text[]) AS w (s, k) ON p.subject = w.s AND p.kind = w.k",
            [s for s, _ in wanted],
            [k for _, k in wanted],
        )
        return {(r["subject"], r["kind"]): KeyState(r["wrapped_key"], r["destroyed_at"]) for r in rows}

    async def destroy(self, ids: Iterable[KeyId], at: dt.datetime) -> list[KeyId]:
        wanted = sorted(set(ids))
        if not wanted:
            return []
        rows = await self._conn.fetch(
            "INSERT INTO privacy_keys AS p (subject, kind, wrapped_key, created_at, destroyed_at)"
            " SELECT s, k, NULL::bytea, $3::timestamptz, $3::timestamptz"
            " FROM unnest($1::text[], $2::text[]) AS w (s, k)"
            " ON CONFLICT (subject, kind) DO UPDATE SET wrapped_key = NULL, destroyed_at = $3"
            "  WHERE p.destroyed_at IS NULL"
            " RETURNING p.subject, p.kind",
            [s for s, _ in wanted],
            [k for _, k in wanted],
            at,
        )
        return [(r["subject"], r["kind"]) for r in rows]


class InMemoryKeyRing:
    def __init__(self) -> None:
        self.keys: dict[KeyId, KeyState] = {}

    async def put(self, keys: Sequence[tuple[str, str, bytes | None]], at: dt.datetime) -> None:
        for subject, kind, wrapped in keys:
            current = self.keys.get((subject, kind))
            if current is not None and current.wrapped is None:
                continue
            self.keys[(subject, kind)] = KeyState(wrapped, None if wrapped is not None else at)

    async def get(self, ids: Iterable[KeyId]) -> dict[KeyId, KeyState]:
        return {i: self.keys[i] for i in set(ids) if i in self.keys}

    async def destroy(self, ids: Iterable[KeyId], at: dt.datetime) -> list[KeyId]:
        newly = [i for i in sorted(set(ids)) if i not in self.keys or self.keys[i].wrapped is not None]
        for i in newly:
            self.keys[i] = KeyState(None, at)
        return newly


@dataclass(frozen=True)
class Erased:
    """What an opened value is once its key was destroyed: the date says when ("effacé le ...")."""

    on: dt.datetime | None


class Opener:
    """Opens sealed values with a service's key ring. One per process: it caches unwrapped keys (bounded)."""

    def __init__(self, master: KeyWrapper, *, cache_size: int = 4096) -> None:
        self._master = master
        self._cache: OrderedDict[KeyId, bytes] = OrderedDict()
        self._cache_size = cache_size

    def forget(self, ids: Iterable[KeyId]) -> None:
        for key_id in ids:
            self._cache.pop(key_id, None)

    async def open_many(self, keys: KeyRing, values: Iterable[str | None]) -> dict[str, str | Erased]:
        """Each sealed value of `values` opened, or `Erased` when its key was destroyed. Values that are not sealed
        (None, or plaintext written before sealing existed) are left out. Raises KeyNotYetKnown for a key this
        service has not received yet."""
        sealed = {v for v in values if isinstance(v, str) and v.startswith("sealed:")}
        refs = {v: parse(v) for v in sealed}
        missing = {(r.subject, r.kind) for r in refs.values()} - set(self._cache)
        states = await keys.get(missing) if missing else {}
        opened: dict[str, str | Erased] = {}
        for value, ref in refs.items():
            key_id = (ref.subject, ref.kind)
            data_key = self._cache.get(key_id)
            if data_key is None:
                state = states.get(key_id)
                if state is None:
                    raise KeyNotYetKnown(ref.subject, ref.kind)
                if state.wrapped is None:
                    opened[value] = Erased(state.destroyed_at)
                    continue
                data_key = self._master.unwrap(state.wrapped)
                self._remember(key_id, data_key)
            opened[value] = unseal(data_key, value)
        return opened

    def _remember(self, key_id: KeyId, data_key: bytes) -> None:
        self._cache[key_id] = data_key
        self._cache.move_to_end(key_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


class Sealer:
    """Makes a subject's keys and seals its fields (the owner's side: intake for claims, payments for batches)."""

    def __init__(self, master: KeyWrapper) -> None:
        self._master = master

    def new_keys(self, subject: str, kinds: Sequence[str]) -> dict[str, tuple[bytes, bytes]]:
        """kind -> (data key, wrapped data key), fresh."""
        made = {}
        for kind in kinds:
            data_key = new_data_key()
            made[kind] = (data_key, self._master.wrap(data_key))
        return made

    def unwrap(self, wrapped: bytes) -> bytes:
        return self._master.unwrap(wrapped)

    @staticmethod
    def seal_fields(
        data_key: bytes, kind: str, subject: str, fields: Mapping[str, str | None]
    ) -> dict[str, str | None]:
        present = [name for name, value in fields.items() if value is not None]
        sealed = dict(zip(present, seal_many(data_key, kind, subject, [fields[n] or "" for n in present]), strict=True))
        return {name: sealed.get(name) for name in fields}
