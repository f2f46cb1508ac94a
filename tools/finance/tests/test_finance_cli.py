"""`python -m guichet_finance` / `guichet finance bank`: arguments checked before Kafka, Kafka failures exit 3."""

from __future__ import annotations

import pytest

from guichet_finance import cli


@pytest.mark.parametrize("args", [["--return-every", "0"], ["--delay-s", "-1"], ["--bogus"]])
def test_nonsense_arguments_exit_with_2(args: list[str]) -> None:
    assert cli.main(args) == 2


def test_a_broker_that_cannot_be_reached_exits_with_3(monkeypatch: pytest.MonkeyPatch) -> None:
    async def unreachable(config) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(cli, "_serve", unreachable)
    assert cli.main(["--bootstrap", "127.0.0.1:1"]) == 3
