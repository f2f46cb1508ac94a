"""Where the shared programme material (contracts, examples) lives: `../shared` beside the workspace."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

SHARED_DIR_ENV = "GUICHET_SHARED_DIR"


def workspace_root(start: Path | None = None) -> Path:
    """The nearest folder above `start` (default: this package, then the working directory) whose
    pyproject.toml declares the uv workspace."""
    starts = [start] if start else [Path(__file__).resolve().parent, Path.cwd()]
    for origin in starts:
        for folder in (origin, *origin.parents):
            if _declares_workspace(folder / "pyproject.toml"):
                return folder
    raise FileNotFoundError(f"no pyproject.toml with [tool.uv.workspace] above {', '.join(map(str, starts))}")


def shared_dir() -> Path:
    """`$GUICHET_SHARED_DIR` when set, else the `shared` folder next to the workspace root."""
    override = os.environ.get(SHARED_DIR_ENV)
    return Path(override) if override else workspace_root().parent / "shared"


def contracts_dir() -> Path:
    return shared_dir() / "contracts"


def _declares_workspace(pyproject: Path) -> bool:
    if not pyproject.is_file():
        return False
    with pyproject.open("rb") as file:
        return "workspace" in tomllib.load(file).get("tool", {}).get("uv", {})
