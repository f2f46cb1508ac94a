"""GUICHET_KAFKA_PORTALS: the portals that publish on Kafka through a topic of their own (issue 17)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from guichet_common.settings import CommonSettings


def test_the_portals_are_read_comma_separated_once_each(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUICHET_KAFKA_PORTALS", " alpha,beta ,,alpha")
    assert CommonSettings().kafka_portals == ("alpha", "beta")


def test_no_portal_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GUICHET_KAFKA_PORTALS", raising=False)
    assert CommonSettings().kafka_portals == ()


@pytest.mark.parametrize("bad", ["Alpha", "a", "al.pha", "-alpha"])
def test_a_name_that_cannot_name_a_topic_and_a_principal_is_refused(monkeypatch: pytest.MonkeyPatch, bad) -> None:
    monkeypatch.setenv("GUICHET_KAFKA_PORTALS", bad)
    with pytest.raises(ValidationError):
        CommonSettings()
