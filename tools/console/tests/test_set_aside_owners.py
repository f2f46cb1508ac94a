"""Every kind `guichet set-aside` can decide names functions that exist and take what the console passes."""

from __future__ import annotations

import importlib
import inspect

import pytest

from guichet_console.set_aside import OWNERS


@pytest.mark.parametrize("kind", sorted(OWNERS))
@pytest.mark.parametrize("decision", ["release", "cancel"])
def test_the_owner_of_a_kind_takes_the_console_s_arguments(kind: str, decision: str) -> None:
    owner = OWNERS[kind]
    function = getattr(importlib.import_module(owner.module), getattr(owner, decision))
    assert inspect.iscoroutinefunction(function)
    if owner.takes_kind:
        inspect.signature(function).bind("conn", kind, "item-1", topic_prefix="p.")
    else:
        inspect.signature(function).bind("conn", "item-1")
