"""`guichet finance import FILE… [--wait-s 60] [--json]`: hands the bank's files (pain.002, camt.054, camt.053) to
payments and says what became of each: imported (its entries reported, duplicate or in suspense), already imported
(nothing changed), or refused (the file and the element named).

The console writes no database: it drops each file into payments' inbound folder (PAYMENTS_INBOUND_DIR, as the
services get it) under a dot-prefixed name, renames it to `<sha256[:12]>-<name>` once complete, then reads
payments' database until it knows the file's SHA-256. Exit 0 when every file is imported or known, 1 when one was
refused, 2 when a file cannot be read (nothing is dropped), 3 when payments' database cannot be read or payments
did not answer in time (the files left in the folder are read when it runs).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import asyncpg
import typer

from guichet_common.cli import ExitCode
from guichet_common.safe_text import printable
from guichet_console.connect import Stack, current_stack
from guichet_console.operations import UNREACHABLE, Json, describe, fail
from guichet_payments import operators as payments

Files = Annotated[
    list[Path],
    typer.Argument(exists=True, dir_okay=False, readable=True, help="pain.002, camt.054 or camt.053 files"),
]
WaitS = Annotated[float, typer.Option("--wait-s", min=0, help="how long to wait for payments' verdict, in seconds")]
POLL_S = 0.5
REPORTED_STATES = ("reported", "duplicate", "suspense")


@dataclass(frozen=True)
class BankFileIn:
    path: Path
    content: bytes = field(repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def inbound_name(self) -> str:
        # Its hash first: two files of the same name never overwrite each other. No leading dot, which would hide
        # it, and an .xml suffix, the only one payments' folder reader picks up (a bank's `.camt` or no suffix).
        name = re.sub(r"[^\w.-]", "_", self.path.name).lstrip(".") or "bank-file"
        suffix = "" if name.lower().endswith(".xml") else ".xml"
        return f"{self.sha256[:12]}-{name}{suffix}"


@dataclass
class Handover:
    """What is known of each file so far (sha256 -> record, None while payments has not read it)."""

    files: list[BankFileIn]
    records: dict[str, payments.BankFileRecord | None] = field(default_factory=dict)
    known_before: set[str] = field(default_factory=set)  # already imported before this command dropped anything
    dropped: set[str] = field(default_factory=set)  # in the inbound folder now

    @property
    def waiting(self) -> list[BankFileIn]:
        return [f for f in self.files if self.records.get(f.sha256) is None]


def import_files(files: Files, wait_s: WaitS = 60.0, as_json: Json = False) -> None:
    """Hand bank files to payments and show what became of each (exit 1 when one was refused)."""
    handover = Handover([read_file(path) for path in files])
    stack = current_stack(databases=("payments",))
    try:
        asyncio.run(hand_over(stack.database_urls["payments"], inbound_folder(stack), handover, wait_s))
    except UNREACHABLE as error:
        show(handover, as_json)
        fail(ExitCode.UNREACHABLE, f"cannot read the payments database: {describe(error)}{still_waiting(handover)}")
    show(handover, as_json)
    if handover.waiting:
        fail(ExitCode.UNREACHABLE, f"payments gave no verdict within {wait_s:g} s{still_waiting(handover)}")
    if any(record is not None and record.refused for record in handover.records.values()):
        raise typer.Exit(ExitCode.REFUSED)


def read_file(path: Path) -> BankFileIn:
    try:
        return BankFileIn(path, path.read_bytes())
    except OSError as error:
        fail(ExitCode.USAGE, f"cannot read {printable(str(path), 200)}: {error.strerror or describe(error)}")


def inbound_folder(stack: Stack) -> Path:
    if stack.payments_inbound_dir:
        return Path(stack.payments_inbound_dir)
    return payments.PaymentsSettings().inbound_dir  # the service's own default, as the local stack runs it


async def hand_over(database_url: str, folder: Path, handover: Handover, wait_s: float) -> None:
    """Drops the files payments does not know yet, then reads its verdicts until all are known or `wait_s` ends."""
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        await refresh(conn, handover)
        handover.known_before = {sha for sha, record in handover.records.items() if record is not None}
        for bank_file in {f.sha256: f for f in handover.waiting}.values():
            drop(folder, bank_file)
            handover.dropped.add(bank_file.sha256)
        deadline = time.monotonic() + wait_s
        while handover.waiting and time.monotonic() < deadline:
            await asyncio.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))
            await refresh(conn, handover)
    finally:
        await conn.close()


async def refresh(conn: asyncpg.Connection, handover: Handover) -> None:
    for bank_file in handover.waiting:
        async with conn.transaction(readonly=True):
            handover.records[bank_file.sha256] = await payments.bank_file(conn, bank_file.sha256)


def drop(folder: Path, bank_file: BankFileIn) -> Path:
    """Writes the file under a dot-prefixed name (which the folder's reader skips), then renames it: payments
    never reads half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / bank_file.inbound_name
    partial = folder / f".{bank_file.inbound_name}.{uuid.uuid4().hex[:8]}.part"
    try:
        with partial.open("xb") as out:
            out.write(bank_file.content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return final


def outcome_line(bank_file: BankFileIn, record: payments.BankFileRecord | None, known_before: bool) -> str:
    name = printable(str(bank_file.path), 200)
    if record is None:
        return f"waiting: {name} (payments has not read it yet)"
    if known_before:
        return f"already imported: {name} (nothing changed)"
    if record.refused:
        return f"refused: {name}: {printable(record.refusal or '', 500)}"
    counts = ", ".join(f"{state} {record.counts.get(state, 0)}" for state in REPORTED_STATES)
    return f"imported: {name} ({record.message}, {record.entry_count} entries: {counts})"


def show(handover: Handover, as_json: bool) -> None:
    if as_json:
        known = [(f, handover.records.get(f.sha256)) for f in handover.files]
        listed = [
            record.as_json() | {"path": str(f.path), "already_imported": f.sha256 in handover.known_before}
            for f, record in known
            if record is not None
        ]
        typer.echo(json.dumps(listed))
        return
    for bank_file in handover.files:
        record = handover.records.get(bank_file.sha256)
        typer.echo(outcome_line(bank_file, record, bank_file.sha256 in handover.known_before))


def still_waiting(handover: Handover) -> str:
    if not handover.waiting:
        return ""
    names = ", ".join(printable(str(f.path), 200) for f in handover.waiting)
    if all(f.sha256 in handover.dropped for f in handover.waiting):
        return f"; still waiting: {names} (payments reads them from its inbound folder when it runs)"
    return f"; not handed over: {names}"
