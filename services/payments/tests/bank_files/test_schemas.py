"""The vendored schemas are the ones SOURCES.md names, byte for byte, and ship inside the package."""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from pathlib import Path

SCHEMAS = resources.files("guichet_payments.bank_files").joinpath("schemas")
PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


def listed_sha256s() -> dict[str, str]:
    sources = SCHEMAS.joinpath("SOURCES.md").read_text()
    return dict(re.findall(r"^\| (\S+\.xsd) \|.*\| ([0-9a-f]{64}) \|$", sources, flags=re.MULTILINE))


def test_every_vendored_schema_is_listed_with_its_sha256() -> None:
    vendored = sorted(entry.name for entry in SCHEMAS.iterdir() if entry.name.endswith(".xsd"))
    listed = listed_sha256s()

    assert vendored == sorted(listed) == ["camt.053.001.02.xsd", "camt.054.001.02.xsd"]
    for name, sha256 in listed.items():
        assert hashlib.sha256(SCHEMAS.joinpath(name).read_bytes()).hexdigest() == sha256, name


def test_the_schemas_ship_with_the_package() -> None:
    # hatch puts every file under the package's folder in the wheel unless told otherwise.
    pyproject = PYPROJECT.read_text()
    assert 'packages = ["src/guichet_payments"]' in pyproject
    assert "exclude" not in pyproject and "only-include" not in pyproject
