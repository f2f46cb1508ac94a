"""Readiness on real infrastructure: ready when both answer, not ready (and why) when one does not."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from guichet_common.readiness import broker_answers, database_answers

pytestmark = pytest.mark.integration


async def test_both_answer(infra, database_urls) -> None:
    assert await database_answers(database_urls["intake"]) is None
    assert await broker_answers(infra.kafka_bootstrap) is None


async def test_an_unreachable_database_is_reported_without_its_password(database_urls) -> None:
    real = urlsplit(database_urls["intake"])
    assert real.password
    url = f"postgresql://{real.username}:{real.password}@127.0.0.1:1/nowhere"
    why = await database_answers(url, timeout_s=1.0)
    assert why is not None and real.password not in why


async def test_an_unreachable_broker_is_reported() -> None:
    assert await broker_answers("127.0.0.1:1", timeout_s=1.0) is not None
