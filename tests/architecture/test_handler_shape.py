"""Every subscribed handler is a few lines that hand the messages to a use case, and every one of them is
unit-tested on its service's fake unit of work (no database)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "eligibility", "payments", "notifications", "gateway")
MAX_HANDLER_LINES = 10
DOCUMENTED_SETTINGS = {"KAFKA_BOOTSTRAP_SERVERS": "kafka:9092", "GUICHET_TOPIC_PREFIX": "", "LOG_FORMAT": "json"}


def subscribed_handlers(service: str) -> dict[str, Callable[..., Any]]:
    """topic -> the handler the service subscribes to it, from the app as it is wired (nothing is started)."""
    app_module = importlib.import_module(f"guichet_{service}.app")
    settings_module = importlib.import_module(f"guichet_{service}.settings")
    [settings_class] = [
        value
        for name, value in vars(settings_module).items()
        if name.endswith("Settings") and name != "CommonSettings" and isinstance(value, type)
    ]
    app = app_module.create_app(settings_class(**DOCUMENTED_SETTINGS))
    return dict(app.wiring.use_cases)


@pytest.mark.parametrize("service", SERVICES)
def test_every_subscribed_handler_is_at_most_ten_lines(service: str) -> None:
    handlers = subscribed_handlers(service)
    assert handlers, f"{service} subscribes to nothing"
    too_long = {
        f"{topic}: {handler.__qualname__}": len(inspect.getsourcelines(handler)[0])
        for topic, handler in handlers.items()
        if len(inspect.getsourcelines(handler)[0]) > MAX_HANDLER_LINES
    }
    assert too_long == {}


@pytest.mark.parametrize("service", SERVICES)
def test_every_subscribed_handler_is_unit_tested_on_a_fake_unit_of_work(service: str) -> None:
    unit_tests = [
        path.read_text()
        for path in (ROOT / "services" / service / "tests" / "unit").glob("test_*.py")
        if "FakeUnitOfWork" in path.read_text() or "UnitOfWork(" in path.read_text()
    ]
    untested = [
        handler.__name__
        for handler in subscribed_handlers(service).values()
        if not any(handler.__name__ in text for text in unit_tests)
    ]
    assert untested == []
