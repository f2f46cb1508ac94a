"""A synthetic stock file through a real broker: what the topic holds is what the file says, bad rows aside."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from guichet_registry.importer import import_stock
from guichet_registry.mapping import Message
from guichet_registry.synthesize import synthesize

pytestmark = pytest.mark.integration
ROWS = 400


async def _read_keys(bootstrap: str, topic: str, keys: set[bytes], timeout_s: float = 60.0) -> dict[bytes, bytes]:
    """The latest value of each of `keys` on `topic`, read from the beginning (other tests may share the topic)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: dict[bytes, bytes] = {}
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and set(found) != keys:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                found.update({r.key: r.value for r in records if r.key in keys})
    finally:
        await consumer.stop()
    return found


@pytest.fixture
def stock_file(tmp_path: Path, write_csv, example_row) -> Path:
    path = tmp_path / "StockUniteLegale.csv"
    synthesize(path, ROWS, seed=int(time.time()))  # a fresh seed: SIRENs no earlier run left on the topic
    bad_rows = [{**example_row, "siren": "12345"}, {**example_row, "etatAdministratifUniteLegale": "X"}]
    with path.open("a", encoding="utf-8", newline="") as stream:
        stream.write(write_csv(bad_rows).split("\n", 1)[1])
    return path


async def test_every_valid_row_is_on_the_topic_keyed_by_siren(kafka_bootstrap, topic_prefix, stock_file, parse_csv):
    report = await import_stock(stock_file, bootstrap_servers=kafka_bootstrap, prefix=topic_prefix, partitions=3)

    assert (report.rows_read, report.published, report.rejected) == (ROWS + 2, ROWS, 2)
    assert [(r.row, r.field) for r in report.first_rejections] == [
        (ROWS + 1, "siren"),
        (ROWS + 2, "etatAdministratifUniteLegale"),
    ]
    expected = {m.key: m.value for m in parse_csv(stock_file.read_text(encoding="utf-8")) if isinstance(m, Message)}
    assert len(expected) == ROWS
    on_topic = await _read_keys(kafka_bootstrap, topic_prefix + "registry.companies.v1", set(expected))
    assert on_topic == expected
    assert not any(b"prenom" in value or b"nomUniteLegale" in value for value in on_topic.values())


def test_the_command_line_imports_and_exits_with_0(kafka_bootstrap, topic_prefix, stock_file):
    options = ["--limit", "50", "--bootstrap", kafka_bootstrap, "--topic-prefix", topic_prefix]
    done = subprocess.run(
        [sys.executable, "-m", "guichet_registry", "import", str(stock_file), *options],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"read 50 rows of {stock_file}: 50 published on {topic_prefix}registry.companies.v1" in done.stdout
