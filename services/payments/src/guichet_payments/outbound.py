"""The outbound folder (`PAYMENTS_FILES_DIR`): what the agency's channel to its bank picks up.

A batch's set is four files: `<batch>.xml` (the pain.001), `<batch>.control.csv` and `<batch>.control.html`
(the accountant's control sheet) and `<batch>.manifest.json`, which lists the other three with their sizes and
SHA-256. The manifest is written last, and only once the batch is committed in payments' database: a set whose
commit failed (its attempts go into another file) never gets one, so the channel, which sends only what a
manifest lists, never pays them twice. docs/bank-channel.md says how a transfer agent uses it.

Every file is written atomically and durably, and never replaced by different bytes (it may have gone to the bank).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

from guichet_payments.control_sheet import ControlSheet, euros

MANIFEST_VERSION = 1
UNRECORDED = "unrecorded"  # the subfolder for sets whose batch was never committed: never to be sent
MODE = 0o640  # the transfer agent reads through the folder's group; nobody else reads payment orders
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_BATCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,34}")


def write_file(folder: Path, name: str, content: bytes) -> Path:
    """Write `content` to `folder/name` atomically and durably; returns the path.

    Temp file in the same folder, fsync, rename, fsync of the folder: a reader sees either no file or the whole
    file. Idempotent: if the file already holds the same bytes, nothing is written. A file with different bytes is
    never replaced (it may already have gone to the bank): FileExistsError.
    """
    if not _FILE_NAME.fullmatch(name) or ".." in name:
        raise ValueError(f"{name!r} cannot be used as a file name")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if target.exists():
        if target.read_bytes() == content:
            return target
        raise FileExistsError(f"{target} already exists with different content")
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), MODE)
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return target


def _names(batch_id: str) -> dict[str, str]:
    if not _BATCH_ID.fullmatch(batch_id):
        raise ValueError(f"batch_id {batch_id!r} cannot be used as a file name")
    return {
        "payment_order": f"{batch_id}.xml",
        "control_sheet_csv": f"{batch_id}.control.csv",
        "control_sheet_html": f"{batch_id}.control.html",
    }


def manifest_name(batch_id: str) -> str:
    return f"{batch_id}.manifest.json"


def write_batch_files(folder: Path, batch_id: str, programme: str, xml: bytes) -> Path:
    """The pain.001 and its two control sheets (the control sheet last: see `unannounced`); returns the XML's path.
    Written before the batch's transaction commits, and without a manifest."""
    names = _names(batch_id)
    sheet = ControlSheet.of(xml, programme=programme, file_name=names["payment_order"])
    if sheet.file.batch_id != batch_id:
        raise ValueError(f"the file's MsgId {sheet.file.batch_id!r} is not batch {batch_id!r}")
    path = write_file(folder, names["payment_order"], xml)
    write_file(folder, names["control_sheet_csv"], sheet.csv())
    write_file(folder, names["control_sheet_html"], sheet.html())
    return path


def manifest(folder: Path, batch_id: str, programme: str) -> bytes:
    """The manifest of a batch's set as it stands on disk: each file with its size and SHA-256, and the batch's
    figures read from its pain.001. Deterministic: the same set gives the same bytes."""
    names = _names(batch_id)
    contents = {role: (Path(folder) / name).read_bytes() for role, name in names.items()}
    sheet = ControlSheet.of(contents["payment_order"], programme=programme, file_name=names["payment_order"])
    document = {
        "manifest_version": MANIFEST_VERSION,
        "batch_id": batch_id,
        "programme": programme,
        "message_version": sheet.file.message,
        "created_at": sheet.file.created_at,
        "requested_execution_date": sheet.file.execution_date.isoformat(),
        "transfer_count": sheet.file.transfer_count,
        "control_sum_cents": sheet.file.control_sum_cents,
        "control_sum": euros(sheet.file.control_sum_cents),
        "files": [
            {"role": role, "name": names[role], "bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()}
            for role, content in contents.items()
        ],
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_manifest(folder: Path, batch_id: str, programme: str, expected_sha256: str) -> Path:
    """Declare a committed batch's set complete. Refuses (ValueError) when its pain.001 on disk is not the file
    the batch row recorded: such a set must not reach the bank."""
    xml = (Path(folder) / _names(batch_id)["payment_order"]).read_bytes()
    if hashlib.sha256(xml).hexdigest() != expected_sha256.strip():
        raise ValueError(f"batch {batch_id}: the pain.001 on disk is not the file its batch row records")
    return write_file(folder, manifest_name(batch_id), manifest(folder, batch_id, programme))


def unannounced(folder: Path) -> list[str]:
    """Batch ids whose set is written (its HTML control sheet, written last, exists) but has no manifest yet.

    Sets written before manifests existed have no control sheet, so they are never announced (they were sent).
    Nor is a set whose pain.001 the channel has already moved away to send it (docs/bank-channel.md)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    names = {entry.name for entry in os.scandir(folder)}
    suffix = ".control.html"
    written = {name.removesuffix(suffix) for name in names if name.endswith(suffix)}
    return sorted(
        batch_id for batch_id in written if f"{batch_id}.xml" in names and manifest_name(batch_id) not in names
    )


def set_aside_if_older(folder: Path, batch_id: str, before: dt.datetime) -> bool:
    """Move a set written before `before` into the `unrecorded/` subfolder, where an operator may look at it and no
    channel sends it; True if it moved. The control sheet, which marks a set as written, moves last."""
    folder, names = Path(folder), _names(batch_id)
    marker = folder / names["control_sheet_html"]
    if dt.datetime.fromtimestamp(marker.stat().st_mtime, dt.UTC) >= before:
        return False
    (folder / UNRECORDED).mkdir(exist_ok=True)
    for name in names.values():
        if (folder / name).exists():
            os.replace(folder / name, folder / UNRECORDED / name)
    return True


def delete_payment_order(file_path: str | Path) -> list[Path]:
    """Delete a batch's pain.001 (names and IBANs), where payments wrote it and where the channel moved it once sent
    (`sent/` beside it); returns what was deleted. Its control sheets and manifest stay: they hold no name and no
    IBAN (masked to its country code), and keep the file's name, size, SHA-256 and totals for the accounts."""
    path = Path(file_path)
    deleted = []
    for candidate in (path, path.parent / "sent" / path.name):
        if candidate.is_file():
            candidate.unlink()
            deleted.append(candidate)
    return deleted
