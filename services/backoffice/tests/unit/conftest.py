"""The pages' fixture: every page module reads the fake read model, and writes the fake audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from .pages_fakes import FakeAudit, FakeControlsReadModel, FakeDecisions, FakeReadModel, client


@dataclass
class Pages:
    client: TestClient
    read_model: FakeReadModel
    audit: FakeAudit


@pytest.fixture
def pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pages]:
    from guichet_backoffice import audit
    from guichet_backoffice.web import (
        pages,
        pages_controls,
        pages_dashboard,
        pages_finance,
        pages_operations,
        pages_review,
    )

    read_model, trail = FakeReadModel(), FakeAudit()
    for module in (pages_review, pages_operations, pages_dashboard, pages_finance, pages_controls):
        monkeypatch.setattr(module, "read_model", read_model)
    for module in (pages_dashboard, pages_controls):
        monkeypatch.setattr(module, "controls_read_model", FakeControlsReadModel())
    monkeypatch.setattr(pages_controls, "DecisionRepository", FakeDecisions)
    monkeypatch.setattr(audit, "record", trail.record)
    with client(pages.routes()) as test_client:
        yield Pages(test_client, read_model, trail)
