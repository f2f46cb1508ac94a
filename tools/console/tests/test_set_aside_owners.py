"""Every kind `guichet set-aside` can decide has an owning service, whose functions take what its command consumer
(guichet_common.set_aside_decisions) passes: the console sends the back-office the service that holds the kind."""

from __future__ import annotations

import inspect

import pytest

from guichet_console.set_aside import OPERATORS, OWNERS, holding_service


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


def test_a_kind_every_service_holds_needs_the_service_named() -> None:
    assert holding_service("payment_attempt", None) == "payments"
    assert holding_service("outbox_row", "intake") == "intake"
    for kind, service in (("outbox_row", None), ("payment_attempt", "intake"), ("no_such_kind", None)):
        with pytest.raises(ValueError):
            holding_service(kind, service)
