from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from guichet_deploy import kafka
from guichet_deploy.procs import ProcessStartError, spawn_detached

# Stands in for Maven: writes what copy-dependencies would, or fails half-way like an interrupted download.
FAKE_MVN = """#!/bin/sh
for arg in "$@"; do case "$arg" in -DoutputDirectory=*) out="${arg#-DoutputDirectory=}";; esac; done
mkdir -p "$out"
echo partial > "$out/kafka-clients-3.9.1.jar"
[ -n "$FAIL" ] && { echo "[ERROR] Could not transfer artifact" >&2; exit 1; }
echo jar > "$out/kafka_2.13-3.9.1.jar"
"""


@pytest.fixture
def fake_maven(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "mvn").write_text(FAKE_MVN)
    (bin_dir / "mvn").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "maven.log"


def test_a_failed_resolution_leaves_no_cache(fake_maven: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAIL", "1")

    with pytest.raises(RuntimeError, match="maven.log"):
        kafka.ensure_kafka_jars(fake_maven)

    assert not kafka.jar_cache_dir().exists()
    assert list(kafka.jar_cache_dir().parent.iterdir()) == []


def test_jars_are_resolved_once(fake_maven: Path) -> None:
    lib = kafka.ensure_kafka_jars(fake_maven)
    (fake_maven.parent / "bin" / "mvn").unlink()  # a second resolution would now fail

    assert kafka.ensure_kafka_jars(fake_maven) == lib == kafka.jar_cache_dir()
    assert (lib / "kafka_2.13-3.9.1.jar").is_file()


async def test_a_broker_that_exits_is_reported_with_its_log(tmp_path: Path) -> None:
    log_file = tmp_path / "kafka.log"
    pid = spawn_detached([sys.executable, "-c", "print('ERROR Exiting Kafka: port in use')"], log_file)

    with pytest.raises(ProcessStartError, match="kafka.log") as failure:
        await kafka.wait_until_ready("127.0.0.1:1", pid, log_file, timeout_s=10)

    assert "port in use" in str(failure.value)
