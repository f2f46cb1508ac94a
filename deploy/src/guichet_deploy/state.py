"""Where the launcher keeps its state: `<project root>/.guichet/state.json` (ports, pids, passwords), logs, data."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

STATE_DIR_ENV = "GUICHET_STATE_DIR"


def find_project_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above `start` whose pyproject.toml declares a [tool.uv.workspace]."""
    starts = [start] if start else [Path(__file__).resolve().parent, Path.cwd()]
    for origin in starts:
        for folder in (origin, *origin.parents):
            pyproject = folder / "pyproject.toml"
            if pyproject.is_file() and _is_workspace_root(pyproject):
                return folder
    return None


def _is_workspace_root(pyproject: Path) -> bool:
    try:
        return "workspace" in tomllib.loads(pyproject.read_text()).get("tool", {}).get("uv", {})
    except (OSError, tomllib.TOMLDecodeError):
        return False


def default_state_dir() -> Path:
    if override := os.environ.get(STATE_DIR_ENV):
        return Path(override).expanduser().resolve()
    root = find_project_root()
    if root is None:
        raise RuntimeError(
            f"cannot find the project root (a pyproject.toml with [tool.uv.workspace]); set {STATE_DIR_ENV}"
        )
    return root / ".guichet"


def prepare_state_dir(state_dir: Path | None) -> Path:
    """Create the state folder (mode 700: it holds passwords) and its logs/ and return its absolute path."""
    folder = (state_dir or default_state_dir()).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    (folder / "logs").mkdir(exist_ok=True)
    return folder


@contextlib.contextmanager
def locked(state_dir: Path) -> Iterator[None]:
    """Serialise launchers working on the same state folder (other processes and other threads alike)."""
    with open(state_dir / "lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def load_state(state_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((state_dir / "state.json").read_text())
    except FileNotFoundError:
        return {}


def save_state(state_dir: Path, state: dict[str, Any]) -> None:
    """Write state.json atomically with mode 600."""
    fd, tmp = tempfile.mkstemp(dir=state_dir, prefix=".state.", suffix=".json")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(state, out, indent=2, sort_keys=True)
        os.replace(tmp, state_dir / "state.json")
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
