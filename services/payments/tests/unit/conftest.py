"""Loads fakes.py once, as `guichet_payments_tests_fakes`, for this folder's tests.

pytest runs with `--import-mode=importlib`, so this folder is not on sys.path, and every service has a fakes.py:
registered under a name of its own, this one never shadows another service's (this conftest is imported before the
test modules)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

FAKES_MODULE = "guichet_payments_tests_fakes"

if FAKES_MODULE not in sys.modules:
    _spec = importlib.util.spec_from_file_location(FAKES_MODULE, Path(__file__).with_name("fakes.py"))
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[FAKES_MODULE] = _module  # before running it: dataclasses look their module up
    _spec.loader.exec_module(_module)
