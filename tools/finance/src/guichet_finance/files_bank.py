"""The bank of the demo, in files: it reads the pain.001 files payments puts in its outbound folder and answers
each batch once, with a camt.054 and a pain.002 written into payments' inbound folder.

A batch is picked up by its manifest (`<batch>.manifest.json`, which payments writes last, once the batch is
committed): a set without one is not a payment order yet and may never be. Answered batches are remembered in a
small state file beside the inbound folder, so a restarted bank does not answer them again; if it does (state
lost), the answer has the same bytes and payments recognises it by its hash.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import structlog

from guichet_finance import iso_writer
from guichet_finance.bank import DEFAULT_RETURN_EVERY, outcomes
from guichet_finance.payment_order import UnreadableOrder, read_payment_order

MANIFEST_SUFFIX = ".manifest.json"
STATE_FILE = "bank-simulator-state.json"
log = structlog.get_logger()


@dataclass(frozen=True)
class FilesBankConfig:
    outbound: Path  # payments' PAYMENTS_FILES_DIR
    inbound: Path  # payments' PAYMENTS_INBOUND_DIR
    return_every: int = DEFAULT_RETURN_EVERY
    poll_s: float = 0.5  # how often the outbound folder is looked at (also how long a stop request may wait)
    state_file: Path | None = None  # default: bank-simulator-state.json beside the inbound folder
    bare_xml: bool = False  # also answer `<batch>.xml` without a manifest (folders written before manifests)

    @property
    def state_path(self) -> Path:
        return self.state_file if self.state_file is not None else self.inbound.parent / STATE_FILE


@dataclass(frozen=True)
class AnswerFile:
    name: str
    content: bytes


@dataclass(frozen=True)
class PendingOrder:
    batch_id: str
    path: Path
    sha256: str | None  # what the manifest says the file holds


def answer_files(batch_id: str, content: bytes, return_every: int = DEFAULT_RETURN_EVERY) -> list[AnswerFile]:
    """The bank's answer files to one pain.001 (pure): a pain.002 when it rejects transfers, a camt.054 when it
    books or returns some. Raises UnreadableOrder when the file is not a pain.001 it can read."""
    order = read_payment_order(content)
    answers = outcomes(order, return_every)
    written = {
        f"{batch_id}.pain002.xml": iso_writer.pain002(order, answers),
        f"{batch_id}.camt054.xml": iso_writer.camt054(order, answers),
    }
    return [AnswerFile(name, content) for name, content in written.items() if content is not None]


class FilesBank:
    """Answers every batch of the outbound folder once; `run()` until `stop` is set or `duration_s` passes."""

    def __init__(self, config: FilesBankConfig) -> None:
        if config.return_every < 1:
            raise ValueError(f"return_every must be at least 1, not {config.return_every}")
        self.config = config
        self.answered: dict[str, str] = _load_state(config.state_path)  # batch id -> its pain.001's sha256
        self._unreadable: set[str] = set()  # logged once, not every poll
        self.files_written = 0

    async def run(self, stop: asyncio.Event, *, duration_s: float | None = None) -> None:
        deadline = None if duration_s is None else time.monotonic() + duration_s
        log.info("bank_files_started", return_every=self.config.return_every, answered_before=len(self.answered))
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            await asyncio.to_thread(self.answer_pending)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.config.poll_s)
        log.info("bank_files_stopped", answered=len(self.answered), files_written=self.files_written)

    def answer_pending(self) -> int:
        """Answer every batch not answered yet; returns how many were answered."""
        count = 0
        for pending in self.pending():
            if self._answer(pending):
                count += 1
        return count

    def pending(self) -> list[PendingOrder]:
        folder = self.config.outbound
        if not folder.is_dir():
            return []
        names = sorted(entry.name for entry in os.scandir(folder) if not entry.name.startswith("."))
        found: dict[str, PendingOrder] = {}
        for name in names:
            if name.endswith(MANIFEST_SUFFIX):
                batch_id = name.removesuffix(MANIFEST_SUFFIX)
                if batch_id not in self.answered and batch_id not in self._unreadable:
                    pending = self._from_manifest(folder / name, batch_id)
                    if pending is not None:
                        found[batch_id] = pending
        if self.config.bare_xml:
            for name in names:
                batch_id = name.removesuffix(".xml")
                if name.endswith(".xml") and "." not in batch_id and batch_id not in self.answered:
                    found.setdefault(batch_id, PendingOrder(batch_id, folder / name, None))
        return [found[batch_id] for batch_id in sorted(found) if batch_id not in self._unreadable]

    def _from_manifest(self, path: Path, batch_id: str) -> PendingOrder | None:
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            order = next(f for f in manifest["files"] if f["role"] == "payment_order")
            name, sha256 = str(order["name"]), str(order["sha256"])
        except (OSError, ValueError, KeyError, TypeError, StopIteration):
            self._refuse(batch_id, "manifest unreadable or without a payment_order file")
            return None
        if Path(name).name != name or name.startswith("."):
            self._refuse(batch_id, "manifest names a file outside the folder")
            return None
        return PendingOrder(batch_id, path.parent / name, sha256)

    def _answer(self, pending: PendingOrder) -> bool:
        try:
            content = pending.path.read_bytes()
        except OSError:
            return False  # not there yet (bare XML being renamed) or gone: next look
        sha256 = hashlib.sha256(content).hexdigest()
        if pending.sha256 is not None and sha256 != pending.sha256:
            self._refuse(pending.batch_id, "the payment order's SHA-256 is not the manifest's")
            return False
        try:
            answers = answer_files(pending.batch_id, content, self.config.return_every)
        except UnreadableOrder as error:
            self._refuse(pending.batch_id, str(error))
            return False
        for answer in answers:
            write_atomically(self.config.inbound, answer.name, answer.content)
        self.files_written += len(answers)
        self.answered[pending.batch_id] = sha256
        _save_state(self.config.state_path, self.answered)
        log.info("bank_batch_answered", batch_id=pending.batch_id, files=[answer.name for answer in answers])
        return True

    def _refuse(self, batch_id: str, problem: str) -> None:
        self._unreadable.add(batch_id)
        log.warning("bank_batch_not_answered", batch_id=batch_id, problem=problem)


def write_atomically(folder: Path, name: str, content: bytes) -> Path:
    """`folder/name` appears whole or not at all: a dot-prefixed temp file (which readers skip), then a rename."""
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, folder / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return folder / name


def _load_state(path: Path) -> dict[str, str]:
    try:
        answered = json.loads(path.read_text(encoding="utf-8"))["answered"]
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("bank_state_unreadable", path=str(path))  # answering again is harmless: same bytes
        return {}
    return {str(batch): str(sha) for batch, sha in answered.items()}


def _save_state(path: Path, answered: dict[str, str]) -> None:
    content = json.dumps({"answered": dict(sorted(answered.items()))}, indent=1) + "\n"
    write_atomically(path.parent, path.name, content.encode("utf-8"))
