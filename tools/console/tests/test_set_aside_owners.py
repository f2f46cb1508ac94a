"""Every kind `guichet set-aside` can decide names functions that exist and take what the console passes."""

from __future__ import annotations

import inspect

import pytest

from guichet_console.set_aside import OPERATORS, OWNERS


@pytest.mark.parametrize("kind", sorted(OWNERS))
@pytest.mark.parametrize("decision", ["release", "cancel"])
def test_the_owner_of_a_kind_takes_the_console_s_arguments(kind: str, decision: str) -> None:
    function = getattr(OWNERS[kind], decision)
    assert inspect.iscoroutinefunction(function)
    inspect.signature(function).bind("conn", kind, "item-1", topic_prefix="p.")


def test_the_kinds_the_services_set_aside_all_have_an_owner() -> None:
    # payments: blocked attempts and return expiries; eligibility: the registry deadline; notifications: e-mails.
    assert {"payment_attempt", "return_expiry", "registry_deadline", "email", "outbox_row"} <= set(OWNERS)
    assert OWNERS["outbox_row"].services == tuple(OPERATORS)
