"""The services' image (deploy/docker/Dockerfile): multi-stage, locked dependencies, non-root, a HEALTHCHECK."""

from __future__ import annotations

import json
import re
import shlex
import tomllib

from guichet_common.access import SERVICES
from guichet_deploy.manifests import (
    DOCKERFILE,
    DOCKERIGNORE,
    HTTP_PORT,
    ROOT,
    objects,
)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, rest = line.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    return instructions


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for instruction in dockerfile_instructions():
        if instruction[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


def resolved_base(arguments: str) -> str:
    args = dict(
        a.split("=", 1) for keyword, a in dockerfile_instructions() if keyword == "ARG" and "=" in a
    )  # global ARG defaults
    image = arguments.split()[0]
    return re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), image)


def test_dockerfile_is_multi_stage_on_python_311_slim() -> None:
    all_stages = stages()
    python_stages = [s for s in all_stages if not resolved_base(s[0][1]).startswith("ghcr.io/astral-sh/uv")]
    assert len(python_stages) >= 2, "build and runtime stages"
    for stage in python_stages:
        assert re.match(r"python:3\.11(\.\d+)?-slim", resolved_base(stage[0][1])), stage[0]


def test_dockerfile_installs_the_locked_dependencies() -> None:
    runs = [a for stage in stages() for keyword, a in stage if keyword == "RUN"]
    syncs = [run for run in runs if "uv sync" in run]
    assert syncs, "no uv sync"
    for sync in syncs:
        assert "--frozen" in sync and "--no-dev" in sync, f"install exactly uv.lock, without dev tools: {sync}"
    copies = " ".join(a for keyword, a in dockerfile_instructions() if keyword == "COPY")
    assert "uv.lock" in copies
    # uv reads the whole workspace: every member's pyproject.toml must be there for the dependency-only layer.
    workspace = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    members = [p for pattern in workspace["tool"]["uv"]["workspace"]["members"] for p in ROOT.glob(pattern)]
    first_sync = next(i for i, (k, a) in enumerate(dockerfile_instructions()) if k == "RUN" and "uv sync" in a)
    before = " ".join(a for k, a in dockerfile_instructions()[:first_sync] if k == "COPY")
    missing = [str(m.relative_to(ROOT)) for m in members if f"{m.relative_to(ROOT)}/pyproject.toml" not in before]
    assert not missing, f"workspace members whose pyproject.toml is not copied before `uv sync`: {missing}"


def test_dockerfile_runtime_is_non_root_with_healthcheck_and_module_entrypoint() -> None:
    runtime = stages()[-1]
    users = [a for keyword, a in runtime if keyword == "USER"]
    assert users, "the runtime stage must set USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0") and user.isdigit(), "a numeric non-root UID (runAsNonRoot can check it)"
    pod_user = {
        doc["spec"]["template"]["spec"]["securityContext"].get("runAsUser") for doc in objects("Deployment").values()
    }
    assert pod_user == {int(user)}, "the Deployments run as the image's UID"
    healthchecks = [a for keyword, a in runtime if keyword == "HEALTHCHECK"]
    assert healthchecks and "/healthz" in healthchecks[-1] and str(HTTP_PORT) in healthchecks[-1]
    entrypoint = [a for keyword, a in runtime if keyword == "ENTRYPOINT"]
    assert entrypoint and json.loads(entrypoint[-1]) == ["python", "-m"]
    command = [a for keyword, a in runtime if keyword == "CMD"]
    assert command and json.loads(command[-1])[0] in {f"guichet_{s}" for s in SERVICES}
    exposed = " ".join(a for keyword, a in runtime if keyword == "EXPOSE")
    assert str(HTTP_PORT) in exposed.split()
    env = " ".join(a for keyword, a in runtime if keyword == "ENV")
    for service in SERVICES:
        assert f"{service.upper()}_HTTP_PORT={HTTP_PORT}" in env and f"{service.upper()}_HTTP_HOST=0.0.0.0" in env


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_context() -> None:
    patterns = {
        line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    }
    for needed in (".git", ".guichet", "bench/results", "test-artifacts", "**/.env"):
        assert needed in patterns, f"{DOCKERIGNORE.name} must exclude {needed}"
    assert "**/.venv" in patterns or ".venv" in patterns
    # Nothing the image COPYs may be excluded.
    for keyword, arguments in dockerfile_instructions():
        if keyword == "COPY" and "--from=" not in arguments:
            for source in shlex.split(arguments)[:-1]:
                assert source.rstrip("/") not in patterns, f"{source} is copied but excluded from the context"
