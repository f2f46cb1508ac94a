"""The command line parses, refuses what it cannot do, and summarises by expected outcome."""

from __future__ import annotations

import pytest

from guichet_simulator import cli
from guichet_simulator.generator import generate_claims
from guichet_simulator.publisher import PublishResult


def test_publish_needs_a_broker(monkeypatch, capsys):
    monkeypatch.delenv(cli.BOOTSTRAP_ENV, raising=False)
    assert cli.main(["publish", "--claims", "3", "--seed", "1"]) == 2
    assert cli.BOOTSTRAP_ENV in capsys.readouterr().err


@pytest.mark.parametrize("args", [["--claims", "0"], ["--claims", "3", "--rate", "-1"], ["--claims", "x"]])
def test_publish_refuses_nonsense(args):
    assert cli.main(["publish", "--seed", "1", "--bootstrap", "unused:9092", *args]) == 2


def test_publish_prints_a_summary_by_expected_outcome(monkeypatch, capsys):
    async def fake_publish(claims, *, bootstrap_servers, prefix, rate):
        records = sum(1 for c in claims if c.registry_record)
        return PublishResult("registry.companies.v1", "claims.submitted.v1", records, len(claims), 0.5)

    monkeypatch.setattr(cli, "publish_simulation", fake_publish)
    assert cli.main(["publish", "--claims", "200", "--seed", "4", "--bootstrap", "unused:9092"]) == 0
    out = capsys.readouterr().out
    expected = {c.expected_status for c in generate_claims(200, 4)}
    assert "run S4, seed 4" in out and "200 claims on claims.submitted.v1" in out
    assert all(status in out for status in expected)
    assert "paid" in out


def test_guichet_demo_simulate_is_the_same_command(monkeypatch, capsys):
    async def fake_publish(claims, *, bootstrap_servers, prefix, rate):
        return PublishResult("registry.companies.v1", "claims.submitted.v1", 0, len(claims), 0.5)

    monkeypatch.setattr(cli, "publish_simulation", fake_publish)
    assert cli.main(["simulate", "--claims", "5", "--seed", "4", "--bootstrap", "unused:9092"]) == 0
    assert "5 claims on claims.submitted.v1" in capsys.readouterr().out


def test_a_broker_that_cannot_be_reached_exits_with_3(monkeypatch, capsys):
    async def unreachable(claims, **_):
        raise OSError("connection refused")

    monkeypatch.setattr(cli, "publish_simulation", unreachable)
    assert cli.main(["publish", "--claims", "1", "--seed", "1", "--bootstrap", "127.0.0.1:1"]) == 3
    assert "is the broker up?" in capsys.readouterr().err
