"""What an auditor with every database password and the master key finds of some people's seeded data (issue 18):
in every text, jsonb and bytea column of every table of the six databases, in every record of some topics, and in
files. Sealed values are opened with every key the services still hold, so a value counts as found whether it lies
in clear or under a key that still opens it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from guichet_common.kafka_admin import partitions_of
from guichet_common.privacy.sealing import DEVELOPMENT_MASTER_KEY, MasterKey, SealingError, unseal
from guichet_simulator.generator import SimulatedClaim

SEALED = re.compile(r"sealed:v1:(contact|bank):([A-Za-z0-9][A-Za-z0-9-]*):([A-Za-z0-9_-]+)")
KeyId = tuple[str, str]  # (subject, kind)


@dataclass(frozen=True)
class Person:
    """One applicant's seeded values, by label: what must be found where it is held, and nowhere once erased."""

    claim_id: str
    values: dict[str, str]

    @classmethod
    def of(cls, claim: SimulatedClaim) -> Person:
        contact, bank = claim.event["claim"]["contact"], claim.event["claim"]["bank_account"]
        values = {"email": contact["email"], "full_name": contact["full_name"], "iban": bank["iban"]}
        values["iban_spaced"] = " ".join(bank["iban"][i : i + 4] for i in range(0, len(bank["iban"]), 4))
        if phone := contact.get("phone"):
            values["phone"] = phone
        # A firm's name as account holder is the firm's (the registry publishes it); a person's name is personal.
        if bank["holder_name"] == contact["full_name"].upper():
            values["holder_name"] = bank["holder_name"]
        return cls(claim.claim_id, values)

    def labels_in(self, text: str) -> set[str]:
        """The labels whose value `text` holds, as written or JSON-escaped, in any case (holder names are upper)."""
        folded = text.casefold()
        return {
            label
            for label, value in self.values.items()
            if any(form.casefold() in folded for form in {value, json.dumps(value)[1:-1]})
        }


@dataclass(frozen=True)
class Finding:
    place: str  # "<service>.<table>.<column>", "<topic>" or a file path
    claim_id: str
    label: str
    sealed_subject: str | None  # None: in clear; else the subject of the sealed value that still opens


def master_key_of(env: Mapping[str, str]) -> MasterKey:
    """The stack's master key, as the services' settings read it."""
    if text := env.get("GUICHET_PRIVACY_MASTER_KEY"):
        return MasterKey.from_base64(text)
    if path := env.get("GUICHET_PRIVACY_MASTER_KEY_FILE"):
        return MasterKey.from_base64(Path(path).read_text(encoding="utf-8"))
    return MasterKey(DEVELOPMENT_MASTER_KEY)


@dataclass(frozen=True)
class HeldKeys:
    """Every service's privacy_keys rows: the live ones unwrapped, and where each subject's keys still live."""

    live: dict[KeyId, bytes]
    live_in: dict[KeyId, set[str]]  # (subject, kind) -> services holding it live

    def open(self, sealed: str) -> str | None:
        match = SEALED.fullmatch(sealed)
        if match is None or (key := self.live.get((match[2], match[1]))) is None:
            return None
        try:
            return unseal(key, sealed)
        except SealingError:
            return None


async def held_keys(database_urls: Mapping[str, str], master: MasterKey) -> HeldKeys:
    live: dict[KeyId, bytes] = {}
    live_in: dict[KeyId, set[str]] = {}
    for service, url in database_urls.items():
        connection = await asyncpg.connect(url)
        try:
            rows = await connection.fetch(
                "SELECT subject, kind, wrapped_key FROM privacy_keys WHERE wrapped_key IS NOT NULL"
                " AND destroyed_at IS NULL"
            )
        finally:
            await connection.close()
        for row in rows:
            key_id = (row["subject"], row["kind"])
            live[key_id] = master.unwrap(bytes(row["wrapped_key"]))
            live_in.setdefault(key_id, set()).add(service)
    return HeldKeys(live, live_in)


def findings_in(place: str, text: str, people: Iterable[Person], keys: HeldKeys) -> Iterator[Finding]:
    """What `text` (one column value, record or file) shows of `people`, in clear or under a live key."""
    people = list(people)
    for person in people:
        for label in person.labels_in(text):
            yield Finding(place, person.claim_id, label, None)
    for match in SEALED.finditer(text):
        if (opened := keys.open(match[0])) is not None:
            for person in people:
                for label in person.labels_in(opened):
                    yield Finding(place, person.claim_id, label, match[2])


def as_text(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)


async def scan_databases(database_urls: Mapping[str, str], people: Iterable[Person], keys: HeldKeys) -> list[Finding]:
    """Every column that can hold text (text, varchar, json, jsonb, bytea, arrays of them) of every table."""
    people = list(people)
    found: list[Finding] = []
    for service, url in database_urls.items():
        connection = await asyncpg.connect(url)
        try:
            columns = await connection.fetch(
                "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c"
                " JOIN information_schema.tables t USING (table_schema, table_name)"
                " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.data_type IN"
                " ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea', 'ARRAY')"
                " ORDER BY 1, 2"
            )
            by_table: dict[str, list[tuple[str, str]]] = {}
            for table, name, data_type in columns:
                by_table.setdefault(table, []).append((name, data_type))
            for table, named in by_table.items():
                # bytea as bytes (decoded as UTF-8 below), everything else as PostgreSQL prints it.
                selected = ", ".join(f'"{n}"' if t == "bytea" else f'"{n}"::text' for n, t in named)
                for row in await connection.fetch(f'SELECT {selected} FROM "{table}"'):
                    for (name, _), value in zip(named, row, strict=True):
                        if value is not None:
                            found += findings_in(f"{service}.{table}.{name}", as_text(value), people, keys)
        finally:
            await connection.close()
    return found


async def read_topics(bootstrap: str, topics: Iterable[str]) -> dict[str, list[bytes]]:
    """Every record value of `topics` (those that exist), from the beginning to the end offsets of now."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        partitions = [tp for topic in topics for tp in await partitions_of(admin, topic)]
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        values: dict[str, list[bytes]] = {tp.topic: [] for tp in partitions}
        pending = {tp for tp in partitions if ends[tp] > 0}
        while pending:
            for tp, records in (await consumer.getmany(*pending, timeout_ms=500)).items():
                values[tp.topic] += [r.value for r in records if r.value is not None]
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
        return values
    finally:
        await consumer.stop()


def scan_files(folders: Iterable[Path], people: Iterable[Person], keys: HeldKeys) -> list[Finding]:
    people = list(people)
    found: list[Finding] = []
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.exists() else ():
            if path.is_file():
                found += findings_in(str(path), path.read_bytes().decode("utf-8", errors="replace"), people, keys)
    return found


def strings_in(document: object) -> Iterator[str]:
    """Every string leaf of a JSON document (keys included)."""
    if isinstance(document, str):
        yield document
    elif isinstance(document, dict):
        for key, value in document.items():
            yield key
            yield from strings_in(value)
    elif isinstance(document, list):
        for value in document:
            yield from strings_in(value)
