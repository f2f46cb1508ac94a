"""The services' image (deploy/docker/Dockerfile): multi-stage, locked dependencies, non-root, a HEALTHCHECK, and
nothing in production but the services and the libraries they import (no tests, tools, bench or Faker)."""

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
    compose,
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


def stage_name(stage: list[tuple[str, str]]) -> str | None:
    words = stage[0][1].split()
    return words[-1] if len(words) >= 3 and words[-2].upper() == "AS" else None


def stage_named(name: str) -> list[tuple[str, str]]:
    return next(stage for stage in stages() if stage_name(stage) == name)


def resolved_base(arguments: str) -> str:
    """The image a FROM starts from; a stage built FROM an earlier stage has that stage's base."""
    args = dict(
        a.split("=", 1) for keyword, a in dockerfile_instructions() if keyword == "ARG" and "=" in a
    )  # global ARG defaults
    image = arguments.split()[0]
    earlier = {stage_name(stage): stage for stage in stages()}
    if image in earlier:
        return resolved_base(earlier[image][0][1])
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


# The production image (the last stage, what `docker build` makes without --target) runs only the services.
SERVICE_PACKAGES = {f"guichet-{service}" for service in SERVICES}
# Tools, test and benchmark dependencies: none of them may reach production, directly or through a service.
NOT_IN_PRODUCTION = {
    "faker",
    "hypothesis",
    "pytest",
    "testcontainers",
    "py-spy",
    "guichet-simulator",
    "guichet-chaos",
    "guichet-bench",
    "guichet-console",
    "guichet-registry",
    "guichet-finance",
    "guichet-deploy",
}


def production_build() -> list[tuple[str, str]]:
    """The stage whose /app (code and venv) the runtime stage copies."""
    runtime = stages()[-1]
    sources = [re.search(r"--from=(\S+)", a) for keyword, a in runtime if keyword == "COPY" and "/app" in a]
    names = {m.group(1) for m in sources if m}
    assert len(names) == 1, f"the runtime stage should copy /app from one build stage: {names}"
    return stage_named(names.pop())


def installed_packages(sync: str) -> set[str]:
    return set(re.findall(r"--package[ =](\S+)", sync))


def lock_closure(roots: set[str]) -> set[str]:
    """Every package `uv sync --no-dev --package <roots>` installs from uv.lock, extras followed, markers ignored
    (so it may list a package a platform skips, never miss one)."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    packages = {package["name"]: package for package in lock["package"]}
    seen: set[tuple[str, str | None]] = set()  # (package, one of its extras or None for its own dependencies)
    wanted: list[tuple[str, str | None]] = [(name, None) for name in roots]
    while wanted:
        node = wanted.pop()
        if node in seen:
            continue
        seen.add(node)
        name, extra = node
        package = packages[name]
        dependencies = package.get("dependencies", []) if extra is None else package["optional-dependencies"][extra]
        for dependency in dependencies:
            wanted.append((dependency["name"], None))
            wanted += [(dependency["name"], e) for e in dependency.get("extra", [])]
    return {name for name, _ in seen}


def test_production_image_installs_the_services_and_only_what_they_need() -> None:
    syncs = [a for keyword, a in production_build() if keyword == "RUN" and "uv sync" in a]
    assert syncs, "the production build stage must install with uv sync"
    for sync in syncs:
        assert "--all-packages" not in sync, f"--all-packages installs every tool of the workspace: {sync}"
        assert installed_packages(sync) == SERVICE_PACKAGES, f"name exactly the services: {sync}"
    installed = lock_closure(SERVICE_PACKAGES)
    assert {"guichet-common", "guichet-programme"} <= installed
    leaked = sorted(installed & NOT_IN_PRODUCTION)
    assert not leaked, f"a service package depends on tools or test dependencies, which production would ship: {leaked}"


def test_production_image_copies_no_tests_tools_or_bench() -> None:
    copied = [
        source
        for keyword, arguments in production_build() + stages()[-1]
        if keyword == "COPY" and "--from=" not in arguments
        for source in shlex.split(arguments)[:-1]
    ]
    assert copied
    for source in copied:
        if source.endswith("pyproject.toml"):  # uv needs every workspace member's to read the workspace
            continue
        parts = source.rstrip("/").split("/")
        assert parts[0] not in {"tools", "tests", "bench", "deploy", "conftest.py"}, f"not for production: {source}"
        assert "tests" not in parts, f"tests in production: {source}"
    patterns = {line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()}
    # `COPY services/ services/` would otherwise bring each service's tests along.
    assert {"tests", "**/tests", "tools/*/src", "bench", "conftest.py"} <= patterns


def test_production_image_ships_the_licence() -> None:
    # EUPL-1.2, article 5: a copy of the Licence goes with every copy of the Work, and an image is one.
    copies = [a for keyword, a in production_build() + stages()[-1] if keyword == "COPY" and "--from=" not in a]
    assert "LICENSE" in {source for a in copies for source in shlex.split(a)[:-1]}


def test_compose_builds_each_container_from_a_stage_that_has_its_code() -> None:
    # The production image has no guichet_deploy: the local SMTP sink is built from a target of its own.
    stage_names = {stage_name(stage) for stage in stages()}
    for name, spec in compose()["services"].items():
        build = spec.get("build")
        if not build:
            continue
        target = build.get("target")
        assert target is None or target in stage_names, f"{name}: no stage {target} in the Dockerfile"
        command = spec.get("command", "")
        command = " ".join(command) if isinstance(command, list) else command
        if target is None:
            assert "guichet_deploy" not in command, f"{name} runs deploy code on the production image: {command}"
