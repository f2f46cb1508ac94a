"""`python -m guichet_finance` / `guichet finance bank`: arguments checked first, files by default, Kafka or folder
failures exit 3."""

from __future__ import annotations

from pathlib import Path

import pytest

from guichet_finance import cli


@pytest.mark.parametrize("args", [["--return-every", "0"], ["--delay-s", "-1"], ["--bogus"]])
def test_nonsense_arguments_exit_with_2(args: list[str]) -> None:
    assert cli.main(args) == 2


def test_a_broker_that_cannot_be_reached_exits_with_3(monkeypatch: pytest.MonkeyPatch) -> None:
    async def unreachable(config) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(cli, "_serve", unreachable)
    assert cli.main(["--kafka", "--bootstrap", "127.0.0.1:1"]) == 3


def test_files_mode_is_the_default_and_takes_payments_folders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    served = []

    async def serve(config) -> None:
        served.append(config)

    monkeypatch.setattr(cli, "_serve_files_until_stopped", serve)
    monkeypatch.setenv("PAYMENTS_FILES_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("PAYMENTS_INBOUND_DIR", str(tmp_path / "in"))
    assert cli.main([]) == 0
    assert (served[0].outbound, served[0].inbound) == (tmp_path / "out", tmp_path / "in")
    assert served[0].state_path == tmp_path / "bank-simulator-state.json"


def test_a_folder_that_cannot_be_written_exits_with_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    async def unwritable(config) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(cli, "_serve_files_until_stopped", unwritable)
    assert cli.main(["--outbound", str(tmp_path), "--inbound", str(tmp_path / "in")]) == 3
