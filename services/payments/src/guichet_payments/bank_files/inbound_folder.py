"""The inbound folder, as a background job: one bank file imported per committed turn, oldest first.

A file is moved out (to `imported/` or `refused/`) only once the database knows it, that is in a later turn than
the one that imported it: the repeating job commits after the turn, and a crash between that commit and the move
leaves a file whose hash is known, which the next turn simply moves. `guichet finance import` drops files here
atomically (a dotfile or temporary name first, then a rename), and such names are never read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from guichet_payments.bank_files.importer import BankFileImporter, ImportOutcome
from guichet_payments.domain import Clock, system_clock
from guichet_payments.unit_of_work import PaymentsWork

log = structlog.get_logger()
IMPORTED, REFUSED = "imported", "refused"
_SUFFIXES = (".xml",)  # compared in lower case: *.xml and *.XML
_CHUNK = 1 << 20


@dataclass
class InboundFolder:
    folder: Path
    importer: BankFileImporter
    clock: Clock = system_clock
    stuck: set[str] = field(default_factory=set)  # files that could not be moved out: skipped until a restart

    def prepare(self) -> None:
        for where in (self.folder, self.folder / IMPORTED, self.folder / REFUSED):
            where.mkdir(parents=True, exist_ok=True)

    async def import_next(self, uow: PaymentsWork) -> int:
        """Move out the files already known, then import the oldest new one: 1 when one was imported (so the job
        runs again at once, and moves it), 0 when nothing waits."""
        for path in self.waiting_files():
            try:
                content, sha = self._read(path)
            except FileNotFoundError:  # moved away by another instance meanwhile
                continue
            except OSError as error:  # unreadable (permissions...): skipped, so that the files behind it still go
                self.stuck.add(path.name)
                log.error("bank_file_unreadable", file_name=path.name, error=type(error).__name__)
                continue
            known = await uow.bank.file(sha)
            if known is not None:
                self._move(path, REFUSED if known.refused else IMPORTED)
                continue
            outcome = await self.importer.import_file(uow, path.name, content, self.clock(), file_sha256=sha)
            _log(outcome)
            return 1
        return 0

    def waiting_files(self) -> list[Path]:
        """The bank files waiting, oldest first (then by name)."""
        found: list[tuple[float, str, Path]] = []
        if not self.folder.is_dir():  # not made yet (the start-up step runs beside the jobs), or taken away
            return []
        for path in self.folder.iterdir():
            name = path.name
            if name.startswith(".") or not name.lower().endswith(_SUFFIXES) or name in self.stuck:
                continue
            try:
                if path.is_file():
                    found.append((path.stat().st_mtime, name, path))
            except FileNotFoundError:
                continue
        return [path for _, _, path in sorted(found)]

    def _read(self, path: Path) -> tuple[bytes, str]:
        # The hash is the whole file's (what `guichet finance import` waits for), but only max_bytes + 1 are kept:
        # enough for the reader to refuse a file that is too large.
        digest, kept, limit = hashlib.sha256(), bytearray(), self.importer.max_bytes + 1
        with path.open("rb") as file:
            while chunk := file.read(_CHUNK):
                digest.update(chunk)
                if len(kept) < limit:
                    kept += chunk[: limit - len(kept)]
        return bytes(kept), digest.hexdigest()

    def _move(self, path: Path, to: str) -> None:
        target = self.folder / to / path.name
        if target.exists():  # the same name imported before (another file): keep both
            target = target.with_name(f"{path.stem}.{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}{path.suffix}")
        try:
            path.rename(target)
        except FileNotFoundError:
            pass
        except OSError as error:
            self.stuck.add(path.name)
            log.error("bank_file_not_moved", file_name=path.name, to=to, error=type(error).__name__)


def _log(outcome: ImportOutcome) -> None:
    if outcome.outcome == "imported":
        log.info(
            "bank_file_imported",
            file_name=outcome.file_name,
            file_sha256=outcome.file_sha256,
            message=outcome.message,
            counts=dict(outcome.counts),
        )
    elif outcome.outcome == "refused":
        log.warning(
            "bank_file_refused",
            file_name=outcome.file_name,
            file_sha256=outcome.file_sha256,
            element=outcome.refused_element,
            refusal=outcome.refusal,
        )
    else:
        log.info("bank_file_already_imported", file_name=outcome.file_name, file_sha256=outcome.file_sha256)
