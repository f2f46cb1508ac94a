"""Loads the corpus once for both test modules of this folder.

pytest runs with `--import-mode=importlib`, so this folder is not on sys.path: `cases.py` is loaded by path and
registered under CORPUS_MODULE, where the test modules pick it up (this conftest is imported before them).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

CORPUS_MODULE = "guichet_tests_corpus_cases"

if CORPUS_MODULE not in sys.modules:
    _spec = importlib.util.spec_from_file_location(CORPUS_MODULE, Path(__file__).with_name("cases.py"))
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[CORPUS_MODULE] = _module  # before running it: dataclasses look their module up
    _spec.loader.exec_module(_module)
