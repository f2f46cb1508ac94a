"""The files bank on real folders: it answers a batch once its manifest is there, once, into the inbound folder,
and a restarted bank does not answer again; as a process it stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from guichet_finance.files_bank import FilesBank, FilesBankConfig

from .orders import pain001

BATCH = "CFN2-20210303-100000-abcdef"


def write_set(outbound: Path, batch_id: str, manifest: bool = True, sha256: str | None = None) -> None:
    """A batch's set as payments writes it: the pain.001, then (last) a manifest listing it with its SHA-256."""
    outbound.mkdir(parents=True, exist_ok=True)
    xml = pain001(batch_id)
    (outbound / f"{batch_id}.xml").write_bytes(xml)
    if manifest:
        files = [{"role": "payment_order", "name": f"{batch_id}.xml", "bytes": len(xml),
                  "sha256": sha256 or hashlib.sha256(xml).hexdigest()}]  # fmt: skip
        document = {"manifest_version": 1, "batch_id": batch_id, "files": files}
        (outbound / f"{batch_id}.manifest.json").write_text(json.dumps(document))


def visible(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if not name.startswith(".")) if folder.is_dir() else []


def test_a_batch_is_answered_once_its_manifest_is_there_and_only_once(tmp_path: Path) -> None:
    outbound, inbound = tmp_path / "sepa", tmp_path / "bank-inbound"
    config = FilesBankConfig(outbound=outbound, inbound=inbound)
    write_set(outbound, BATCH, manifest=False)
    bank = FilesBank(config)
    assert bank.answer_pending() == 0 and visible(inbound) == []  # no manifest: not a payment order yet

    write_set(outbound, BATCH)
    assert bank.answer_pending() == 1
    assert visible(inbound) == [f"{BATCH}.camt054.xml", f"{BATCH}.pain002.xml"]
    assert bank.answer_pending() == 0

    # Payments moves what it imported; a restarted bank remembers what it answered.
    os.remove(inbound / f"{BATCH}.camt054.xml")
    assert FilesBank(config).answer_pending() == 0
    assert visible(inbound) == [f"{BATCH}.pain002.xml"]
    assert json.loads((tmp_path / "bank-simulator-state.json").read_text())["answered"].keys() == {BATCH}


def test_a_set_whose_file_is_not_the_manifests_is_not_answered(tmp_path: Path) -> None:
    outbound, inbound = tmp_path / "sepa", tmp_path / "bank-inbound"
    write_set(outbound, BATCH, sha256="0" * 64)
    write_set(outbound, "OTHER")
    assert FilesBank(FilesBankConfig(outbound=outbound, inbound=inbound)).answer_pending() == 1
    assert visible(inbound) == ["OTHER.camt054.xml", "OTHER.pain002.xml"]


def test_bare_files_are_answered_only_when_asked(tmp_path: Path) -> None:
    outbound, inbound = tmp_path / "sepa", tmp_path / "bank-inbound"
    write_set(outbound, BATCH, manifest=False)
    (outbound / f"{BATCH}.control.csv").write_text("not an order")
    assert FilesBank(FilesBankConfig(outbound=outbound, inbound=inbound, bare_xml=True)).answer_pending() == 1
    assert visible(inbound) == [f"{BATCH}.camt054.xml", f"{BATCH}.pain002.xml"]


async def test_run_answers_what_arrives_while_it_runs(tmp_path: Path) -> None:
    outbound, inbound = tmp_path / "sepa", tmp_path / "bank-inbound"
    stop = asyncio.Event()
    running = asyncio.create_task(FilesBank(FilesBankConfig(outbound, inbound, poll_s=0.05)).run(stop))
    await asyncio.sleep(0.2)
    write_set(outbound, BATCH)
    for _ in range(100):
        if len(visible(inbound)) == 2:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(running, timeout=5)
    assert visible(inbound) == [f"{BATCH}.camt054.xml", f"{BATCH}.pain002.xml"]


def test_the_process_answers_from_the_folders_and_stops_on_sigterm(tmp_path: Path) -> None:
    outbound, inbound = tmp_path / "sepa", tmp_path / "bank-inbound"
    write_set(outbound, BATCH)
    env = {**os.environ, "PAYMENTS_FILES_DIR": str(outbound), "PAYMENTS_INBOUND_DIR": str(inbound)}
    bank = subprocess.Popen(
        [sys.executable, "-m", "guichet_finance", "--delay-s", "0.1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while len(visible(inbound)) < 2 and time.monotonic() < deadline and bank.poll() is None:
            time.sleep(0.1)
        assert visible(inbound) == [f"{BATCH}.camt054.xml", f"{BATCH}.pain002.xml"]
    finally:
        bank.send_signal(signal.SIGTERM)
        output, _ = bank.communicate(timeout=20)
    assert bank.returncode == 0, output.decode()[-2000:]
    assert b"bank_files_stopped" in output
