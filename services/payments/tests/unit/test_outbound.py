"""The outbound folder: each file written atomically and never replaced, a batch's set (pain.001 and its control
sheets) written with the batch, and its manifest, listing every file with its size and SHA-256, written last and
only once the batch is committed; a set whose batch never was is moved out of the channel's way."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from guichet_payments import outbound, sepa_versions
from guichet_payments.batching import Batcher
from guichet_payments.outbound import manifest_name, unannounced, write_batch_files, write_file, write_manifest
from guichet_payments.reconcile import check_batch_file
from guichet_payments.sepa import BatchFile, Debtor, Transfer, credit_transfer_xml
from guichet_payments.service import PaymentsService

from .fakes import GRANT, PROGRAMME, Clock, FakePaymentsUnitOfWork, approval, with_envelope

BATCH_ID = "CFN-20210503-100000-a1b2c3"
DEBTOR = Debtor(name="AGENCE DE SERVICES ET DE PAIEMENT", iban="FR7630001007941234567890185", bic="BDFEFRPPCCT")
SET = [f"{BATCH_ID}.xml", f"{BATCH_ID}.control.csv", f"{BATCH_ID}.control.html"]


def pain001(count: int = 2, version: str = "pain.001.001.03", batch_id: str = BATCH_ID) -> bytes:
    transfers = tuple(
        Transfer(f"P{n:030x}", 1_000 * n, f"SOCIETE {n}", "FR7630006000011234567890189", "AGRIFRPP", f"CFN C-{n}")
        for n in range(1, count + 1)
    )
    created = dt.datetime(2021, 5, 3, 10, tzinfo=dt.UTC)
    return credit_transfer_xml(BatchFile(batch_id, DEBTOR, dt.date(2021, 5, 3), created, transfers, version))


# --- one file ------------------------------------------------------------------------------------------------


def test_write_file_writes_the_bytes_readable_by_owner_and_group_only(tmp_path):
    path = write_file(tmp_path / "outbox", "a.xml", b"<Document/>")

    assert path == tmp_path / "outbox" / "a.xml" and path.read_bytes() == b"<Document/>"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path / "outbox")) == ["a.xml"]


def test_write_file_is_idempotent(tmp_path):
    first = write_file(tmp_path, "a.xml", b"same")
    before = first.stat()

    assert write_file(tmp_path, "a.xml", b"same") == first
    after = first.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # not even rewritten


def test_write_file_never_replaces_a_different_file(tmp_path):
    path = write_file(tmp_path, "a.xml", b"original")

    with pytest.raises(FileExistsError):
        write_file(tmp_path, "a.xml", b"different")

    assert path.read_bytes() == b"original" and sorted(os.listdir(tmp_path)) == ["a.xml"]


def test_write_file_renames_a_complete_synced_temp_file_from_the_same_folder(tmp_path, monkeypatch):
    content = pain001(50)
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor):
        events.append("fsync")
        real_fsync(descriptor)

    def replace(source, destination):
        source, destination = Path(source), Path(destination)
        events.append("replace")
        assert source.parent == destination.parent == tmp_path
        assert source.read_bytes() == content  # complete before it gets its final name
        assert not destination.exists()
        real_replace(source, destination)

    monkeypatch.setattr(outbound.os, "fsync", fsync)
    monkeypatch.setattr(outbound.os, "replace", replace)

    write_file(tmp_path, "a.xml", content)

    assert events == ["fsync", "replace", "fsync"]  # the data, the rename, then the folder entry


def test_write_file_leaves_nothing_behind_when_writing_fails(tmp_path, monkeypatch):
    def broken_fsync(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outbound.os, "fsync", broken_fsync)

    with pytest.raises(OSError, match="No space left"):
        write_file(tmp_path, "a.xml", b"<Document/>")

    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", "", "a..xml", "B" * 65])
def test_write_file_refuses_names_that_are_not_plain_file_names(tmp_path, name):
    with pytest.raises(ValueError, match="file name"):
        write_file(tmp_path, name, b"<Document/>")


@pytest.mark.parametrize("batch_id", ["../escape", ".hidden", "B" * 36])
def test_a_batch_id_that_is_not_a_plain_file_name_is_refused(tmp_path, batch_id):
    with pytest.raises(ValueError, match="file name"):
        write_batch_files(tmp_path, batch_id, PROGRAMME.id, pain001())


# --- a batch's set and its manifest --------------------------------------------------------------------------


@pytest.mark.parametrize("version", sepa_versions.MESSAGE_VERSIONS)
def test_a_set_is_the_file_and_its_sheets_then_the_manifest_lists_them(tmp_path, version):
    xml = pain001(3, version)

    assert write_batch_files(tmp_path, BATCH_ID, PROGRAMME.id, xml) == tmp_path / f"{BATCH_ID}.xml"
    assert sorted(os.listdir(tmp_path)) == sorted(SET) and unannounced(tmp_path) == [BATCH_ID]

    path = write_manifest(tmp_path, BATCH_ID, PROGRAMME.id, hashlib.sha256(xml).hexdigest())

    assert path == tmp_path / manifest_name(BATCH_ID) and unannounced(tmp_path) == []
    document = json.loads(path.read_bytes())
    assert {key: document[key] for key in document if key != "files"} == {
        "manifest_version": 1,
        "batch_id": BATCH_ID,
        "programme": PROGRAMME.id,
        "message_version": version,
        "created_at": "2021-05-03T10:00:00+00:00",
        "requested_execution_date": "2021-05-03",
        "transfer_count": 3,
        "control_sum_cents": 6_000,
        "control_sum": "60.00",
    }
    files = {f["name"]: f for f in document["files"]}
    assert sorted(files) == sorted(SET)
    for name, listed in files.items():
        content = (tmp_path / name).read_bytes()
        assert (listed["bytes"], listed["sha256"]) == (len(content), hashlib.sha256(content).hexdigest())
    assert [f["role"] for f in document["files"]] == ["payment_order", "control_sheet_csv", "control_sheet_html"]


def test_writing_a_set_and_its_manifest_again_changes_nothing(tmp_path):
    xml = pain001()
    write_batch_files(tmp_path, BATCH_ID, PROGRAMME.id, xml)
    manifest = write_manifest(tmp_path, BATCH_ID, PROGRAMME.id, hashlib.sha256(xml).hexdigest())
    before = {name: (tmp_path / name).stat().st_mtime_ns for name in os.listdir(tmp_path)}

    write_batch_files(tmp_path, BATCH_ID, PROGRAMME.id, xml)
    write_manifest(tmp_path, BATCH_ID, PROGRAMME.id, hashlib.sha256(xml).hexdigest())

    assert {name: (tmp_path / name).stat().st_mtime_ns for name in os.listdir(tmp_path)} == before
    assert manifest.read_bytes() == outbound.manifest(tmp_path, BATCH_ID, PROGRAMME.id)


def test_no_manifest_for_a_file_that_is_not_the_one_the_batch_recorded(tmp_path):
    write_batch_files(tmp_path, BATCH_ID, PROGRAMME.id, pain001())

    with pytest.raises(ValueError, match="not the file its batch row records"):
        write_manifest(tmp_path, BATCH_ID, PROGRAMME.id, "0" * 64)

    assert not (tmp_path / manifest_name(BATCH_ID)).exists()


def test_a_file_whose_message_id_is_another_batch_is_refused(tmp_path):
    with pytest.raises(ValueError, match="MsgId"):
        write_batch_files(tmp_path, BATCH_ID, PROGRAMME.id, pain001(batch_id="OTHER-1"))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("then", [(1, 2, 3), (3, 1, 2)])
def test_a_set_the_channel_moves_to_sent_pain001_first_is_never_announced_again(tmp_path, then):
    xml = pain001()
    write_batch_files(tmp_path, BATCH_ID, PROGRAMME.id, xml)
    write_manifest(tmp_path, BATCH_ID, PROGRAMME.id, hashlib.sha256(xml).hexdigest())
    (tmp_path / "sent").mkdir()
    files = [*SET, manifest_name(BATCH_ID)]
    for name in [files[0], *(files[i] for i in then)]:  # as docs/bank-channel.md says: the pain.001 first
        (tmp_path / name).rename(tmp_path / "sent" / name)
        assert unannounced(tmp_path) == []


def test_a_file_written_before_control_sheets_existed_is_never_announced(tmp_path):
    write_file(tmp_path, "OLD-1.xml", pain001(batch_id="OLD-1"))  # already sent, by whatever came before

    assert unannounced(tmp_path) == [] and unannounced(tmp_path / "missing") == []


# --- the batcher ---------------------------------------------------------------------------------------------


async def batcher_with_due_batch(tmp_path: Path, programme=PROGRAMME) -> tuple[Batcher, FakePaymentsUnitOfWork]:
    clock = Clock()
    uow = await with_envelope()
    await PaymentsService(programmes={programme.id: programme}, clock=clock).apply_approvals(uow, [approval(1)])
    clock.now += dt.timedelta(seconds=6)
    return Batcher({programme.id: programme}, tmp_path, max_age=dt.timedelta(seconds=5), clock=clock), uow


async def test_the_manifest_comes_on_the_turn_after_the_batch_is_recorded(tmp_path):
    batcher, uow = await batcher_with_due_batch(tmp_path)

    assert await batcher.close_due_batches(uow) == 1
    [batch] = uow.payments.batches
    assert sorted(p.suffixes[-1] for p in tmp_path.iterdir()) == [".csv", ".html", ".xml"]  # no manifest yet
    assert batch.message_version == "pain.001.001.03"

    assert await batcher.close_due_batches(uow) == 0  # the next turn: the batch is committed, the set complete
    manifest = json.loads((tmp_path / manifest_name(batch.batch_id)).read_bytes())
    assert (manifest["transfer_count"], manifest["control_sum_cents"]) == (1, GRANT)
    assert manifest["files"][0]["sha256"] == batch.file_sha256


async def test_a_programme_on_001_001_09_gets_its_files_in_that_version(tmp_path):
    payment = PROGRAMME.payment.model_copy(update={"pain001_version": "001.001.09"})
    batcher, uow = await batcher_with_due_batch(tmp_path, PROGRAMME.model_copy(update={"payment": payment}))

    await batcher.close_due_batches(uow)

    [batch] = uow.payments.batches
    xml = Path(batch.file_path).read_bytes()
    assert batch.message_version == "pain.001.001.09" == sepa_versions.read_written_file(xml).message
    sepa_versions.validate(xml, "pain.001.001.09")
    assert b"pain.001.001.09" in (tmp_path / f"{batch.batch_id}.control.csv").read_bytes()


async def test_a_set_whose_batch_was_never_committed_gets_no_manifest_and_is_moved_aside_later(tmp_path):
    batcher, uow = await batcher_with_due_batch(tmp_path)
    write_batch_files(tmp_path, BATCH_ID, PROGRAMME.id, pain001())  # the files of a commit that failed

    await batcher.close_due_batches(uow)
    await batcher.close_due_batches(uow)

    assert not (tmp_path / manifest_name(BATCH_ID)).exists()  # too recent to judge: left where it is, unsent
    assert all((tmp_path / name).exists() for name in SET)
    [recorded] = uow.payments.batches
    assert (tmp_path / manifest_name(recorded.batch_id)).exists()

    long_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).timestamp()
    os.utime(tmp_path / f"{BATCH_ID}.control.html", (long_ago, long_ago))
    batcher.clock.now = dt.datetime.now(dt.UTC)
    await batcher.close_due_batches(uow)

    assert sorted(os.listdir(tmp_path / outbound.UNRECORDED)) == sorted(SET)
    assert not any((tmp_path / name).exists() for name in SET)
    assert unannounced(tmp_path) == []


def test_the_reconciliation_still_finds_a_file_the_channel_moved_to_sent(tmp_path):
    xml = pain001()
    path = write_batch_files(tmp_path, BATCH_ID, PROGRAMME.id, xml)
    (tmp_path / "sent").mkdir()
    path.rename(tmp_path / "sent" / path.name)
    row = {
        "batch_id": BATCH_ID,
        "file_path": str(path),
        "file_sha256": hashlib.sha256(xml).hexdigest(),
        "control_sum_cents": 3_000,
        "attempt_cents": 3_000,
        "transfer_count": 2,
        "attempt_count": 2,
    }

    assert check_batch_file(row) == []
    (tmp_path / "sent" / path.name).unlink()
    assert check_batch_file(row) == [f"batch {BATCH_ID}: file {path} does not exist"]
