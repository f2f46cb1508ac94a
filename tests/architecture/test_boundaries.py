"""Who may import whom, read from the source with `ast` (nothing is imported, so this runs in well under a second).

- guichet_common is infrastructure: it imports no service, no tool, no deploy code and nothing business (not even
  guichet_programme, the one shared kernel, which the services import themselves);
- a service imports no other service, and no tool or deploy code: services talk through contracts on Kafka;
- a service's domain modules are pure: no asyncpg, aiokafka, faststream, structlog, nor the pydantic contracts
  (guichet_common.contracts), which the use cases translate from and to;
- a tool reaches a service only through that service's `guichet_<svc>.operators` module, the surface the service
  offers its operators.

A module path written as a string counts as an import (importlib takes them), and so does an f-string handed to
importlib: `import_module(f"guichet_{service}.app")` is judged as each package it can name.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "eligibility", "payments", "notifications", "gateway", "backoffice")
TOOLS = ("console", "chaos", "simulator", "bench", "finance", "registry")
SERVICE_PACKAGES = tuple(f"guichet_{name}" for name in SERVICES)
# Where a service keeps its domain when it is not `guichet_<service>.domain`: the gateway's rules are its webhooks'.
DOMAINS = {"gateway": "guichet_gateway.webhooks.domain"}
TOOL_PACKAGES = tuple(f"guichet_{name}" for name in TOOLS)
IMPURE_FOR_DOMAIN = ("asyncpg", "aiokafka", "faststream", "structlog", "guichet_common.contracts")
# What an f-string's placeholder may stand for in a module path.
PACKAGE_NAMES = (*SERVICES, *TOOLS, "deploy", "common", "programme")
# A string that names a service module, e.g. "guichet_payments.set_aside_repository" in an importlib registry.
SERVICE_MODULE_STRING = re.compile(rf"({'|'.join(SERVICE_PACKAGES)})(\.[a-z_][a-z0-9_]*)*")


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}: {self.module}"


def within(module: str, packages: tuple[str, ...]) -> bool:
    """Whether `module` is one of `packages` or inside one; a template ("guichet_{}.app") if any filling of it is."""
    names = [module.replace("{}", name) for name in PACKAGE_NAMES] if "{}" in module else [module]
    return any(name == package or name.startswith(package + ".") for name in names for package in packages)


def template(node: ast.expr) -> str | None:
    """An importlib argument as a module path: a string, or an f-string with `{}` for each placeholder."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, src: Path) -> Iterator[Import]:
    """Every module `path` imports: `from a import b` yields both `a` and `a.b` (b may be a module), relative imports
    are resolved, and so are string constants that name a service module (importlib's way in), except a `-m`
    command line's module, which runs a service's command in a process of its own rather than importing it."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path, src).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    run_as_main = {
        id(node.elts[i + 1])
        for node in ast.walk(tree)
        if isinstance(node, ast.List | ast.Tuple)
        for i, element in enumerate(node.elts[:-1])
        if isinstance(element, ast.Constant) and element.value == "-m"
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield Import(path, node.lineno, base)
            for alias in node.names:
                if alias.name != "*":
                    yield Import(path, node.lineno, f"{base}.{alias.name}")
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (isinstance(node.func, ast.Name) and node.func.id in {"import_module", "__import__"})
            )
            and node.args
            and (module := template(node.args[0])) is not None
        ):
            yield Import(path, node.lineno, module)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in run_as_main
            and SERVICE_MODULE_STRING.fullmatch(node.value)
        ):
            yield Import(path, node.lineno, node.value)


def imports_under(src: Path, *, only: tuple[str, ...] = ()) -> list[Import]:
    """The imports of every module of the packages under `src` (or only of the modules/packages named in `only`)."""
    found = []
    for path in sorted(src.rglob("*.py")):
        name = module_name(path, src)
        if only and not within(name, only):
            continue
        found.extend(imports_of(path, src))
    return found


def service_src(service: str) -> Path:
    return ROOT / "services" / service / "src"


def test_the_walk_sees_the_imports_it_must_judge(tmp_path: Path) -> None:
    """The checks below pass vacuously if the walk finds nothing: show it finds each kind of import."""
    package = tmp_path / "guichet_tool"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "sub.py").write_text(
        "import asyncpg\n"
        "from guichet_common import contracts\n"
        "from . import sibling\n"
        "def later():\n"
        "    from guichet_payments.repository import x\n"
        "OWNERS = {'email': 'guichet_notifications.set_aside_repository'}\n"
        "COMMAND = ['python', '-m', 'guichet_payments.reconcile']\n"
        "APP = importlib.import_module(f'guichet_{service}.app')\n"
    )
    found = {i.module for i in imports_under(tmp_path)}
    assert {
        "asyncpg",
        "guichet_common.contracts",
        "guichet_tool.sibling",
        "guichet_payments.repository",
        "guichet_notifications.set_aside_repository",
        "guichet_{}.app",
    } <= found
    assert "guichet_payments.reconcile" not in found
    assert within("guichet_{}.app", ("guichet_intake",)) and not within("guichet_{}.app", ("guichet_x",))


def test_guichet_common_imports_no_service_tool_deploy_or_business_code() -> None:
    forbidden = (*SERVICE_PACKAGES, *TOOL_PACKAGES, "guichet_deploy", "guichet_programme")
    offending = [i for i in imports_under(ROOT / "libs" / "common" / "src") if within(i.module, forbidden)]
    assert not offending, "\n".join(map(str, offending))


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service_nor_tool_nor_deploy(service: str) -> None:
    others = tuple(p for p in SERVICE_PACKAGES if p != f"guichet_{service}")
    forbidden = (*others, *TOOL_PACKAGES, "guichet_deploy")
    offending = [i for i in imports_under(service_src(service)) if within(i.module, forbidden)]
    assert not offending, "\n".join(map(str, offending))


@pytest.mark.parametrize("service", SERVICES)
def test_a_services_domain_is_pure(service: str) -> None:
    domain = DOMAINS.get(service, f"guichet_{service}.domain")
    imports = imports_under(service_src(service), only=(domain,))
    assert imports, f"{domain} not found"
    offending = [i for i in imports if within(i.module, IMPURE_FOR_DOMAIN)]
    assert not offending, "\n".join(map(str, offending))


def test_a_tool_reaches_a_service_only_through_its_operators_module() -> None:
    operators = tuple(f"{package}.operators" for package in SERVICE_PACKAGES)
    offending = [
        i
        for tool in TOOLS
        for i in imports_under(ROOT / "tools" / tool / "src")
        if within(i.module, SERVICE_PACKAGES)
        and not within(i.module, operators)
        # `from guichet_x import operators` also yields the bare package name; the module itself is judged.
        and i.module not in SERVICE_PACKAGES
    ]
    assert not offending, "\n".join(map(str, offending))
