from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from guichet_deploy.infra import SERVICES, Infra, ensure_infra, stop_infra

# Variables that would make ensure_infra pick an outside cluster instead of the local processes under test.
_OUTSIDE_ADDRESSES = (
    "KAFKA_BOOTSTRAP_SERVERS",
    "GUICHET_PG_ADMIN_DSN",
    "SMTP_HOST",
    "SMTP_PORT",
    "GUICHET_TOPIC_PREFIX",
    *(f"{name.upper()}_DATABASE_URL" for name in SERVICES),
)


@pytest.fixture(scope="module")
def local_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private state folder, so the tests never touch the developer's `.guichet`.

    Module-scoped so that the environment changes below end with the module instead of leaking into the rest of
    the session (other suites may rely on KAFKA_BOOTSTRAP_SERVERS and friends).

    It sits under pytest's mode-700 root-owned temp folder, which the `postgres` account cannot enter: the
    launcher has to cope with exactly that.
    """
    state_dir = tmp_path_factory.mktemp("guichet-state")
    with pytest.MonkeyPatch.context() as patch:
        for name in _OUTSIDE_ADDRESSES:
            patch.delenv(name, raising=False)
        patch.setenv("GUICHET_INFRA", "local")
        patch.setenv("GUICHET_STATE_DIR", str(state_dir))
        yield state_dir


@pytest.fixture(scope="module")
def local_infra(local_state_dir: Path) -> Iterator[Infra]:
    infra = ensure_infra(local_state_dir)
    try:
        yield infra
    finally:
        stop_infra(local_state_dir, purge=True)


@pytest.fixture
def subprocess_env(local_state_dir: Path) -> dict[str, str]:
    return {**os.environ, "GUICHET_STATE_DIR": str(local_state_dir), "GUICHET_INFRA": "local"}
