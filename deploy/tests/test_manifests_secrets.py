"""Nothing under deploy/ looks like a committed secret; the scanner itself is tested on known leaks."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from guichet_deploy.manifests import (
    COMPOSE_DIR,
    DEPLOY,
    ROOT,
)

# A value is a reference or a placeholder, not a secret: ${VAR}, $VAR, <...>, change-me, REPLACE..., *** or empty.
# `:'name'` right after the key is psql's variable interpolation (YAML would need a space after the colon).
PLACEHOLDER = re.compile(r"""^["']?(\$\{[^}]*\}|\$\{?[\w!]+.*|<[^>]*>|change-me|REPLACE\w*|\*+|…)?["']?$""")
SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
    "AWS access key": re.compile(r"AKIA[0-9A-Z]{16}"),
    "Kubernetes Secret": re.compile(r"(?m)^kind:\s*Secret\s*$"),
}
# `password: x`, `"password": "x"`, `FOO_PASSWORD=x`: the key ends with one of these words (comment lines are
# prose and skipped for this rule only).
SECRET_SETTING = re.compile(
    r"""(?i)(?:^|[\s"'{,-])([\w.-]*(?:password|passwd|secret|token))["']?\s*(?:=|:(?![?'"-]))\s*(.*?)\s*(?:#.*)?$"""
)
URL_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^\s:/@]+:([^\s@/]+)@")


def secret_findings(text: str) -> list[str]:
    """What in `text` looks like a committed secret: one line per finding."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for what, pattern in SECRET_PATTERNS.items():
            if pattern.search(line):
                found.append(f"{number}: {what}")
        if line.lstrip().startswith(("#", "//")):
            continue
        for match in SECRET_SETTING.finditer(line):
            value = match.group(2).rstrip(",")
            if value in ("", "|", ">", "{", "[") or value.startswith(("{", "[")) or value in ("true", "false"):
                continue  # a structure follows, or a flag: the value, if any, is checked where it is
            if not PLACEHOLDER.match(value):
                found.append(f"{number}: literal value for {match.group(1)}")
        for match in URL_CREDENTIALS.finditer(line):
            if not PLACEHOLDER.match(match.group(1)):
                found.append(f"{number}: credentials in a URL")
    return found


SCANNED_SUFFIXES = {".yaml", ".yml", ".json", ".sh", ".md", ".toml", ".example", ".env", ".properties", ""}


def scanned_files() -> list[Path]:
    files = []
    for path in DEPLOY.rglob("*"):
        relative = path.relative_to(DEPLOY)
        if not path.is_file() or relative.parts[0] in {"src", "tests"} or "__pycache__" in relative.parts:
            continue  # Python code and its test fixtures are reviewed as code, not as configuration
        if path.suffix in SCANNED_SUFFIXES or path.name.startswith("Dockerfile"):
            files.append(path)
    return files


def test_no_secret_is_committed_under_deploy() -> None:
    assert scanned_files(), "nothing scanned: wrong folder?"
    found = []
    for path in scanned_files():
        if path.name == ".env":
            continue  # the operator's own env file holds real passwords by design; it is git-ignored (below)
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{path.relative_to(DEPLOY)}:{finding}" for finding in secret_findings(text)]
    assert not found, "\n".join(found)


def test_the_operators_env_file_is_git_ignored() -> None:
    ignored = (COMPOSE_DIR / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in ignored, "deploy/compose/.gitignore must ignore .env (the operator's passwords)"
    if shutil.which("git") and DEPLOY.is_relative_to(ROOT):
        check = subprocess.run(["git", "check-ignore", "-q", str(COMPOSE_DIR / ".env")], cwd=ROOT, timeout=30)
        assert check.returncode == 0, "git would not ignore deploy/compose/.env"


def test_secret_scanner_catches_what_it_should() -> None:
    leaks = [
        "db:\n  password: hunter2\n",
        "POSTGRES_PASSWORD=s3cret\n",
        '{"client_secret": "abc123"}\n',
        "postgresql://intake:s3cret@db/intake\n",
        "key: |\n  -----BEGIN RSA PRIVATE KEY-----\n",
        "apiVersion: v1\nkind: Secret\n",
    ]
    for text in leaks:
        assert secret_findings(text), f"missed {text!r}"
    clean = [
        "password: ${POSTGRES_PASSWORD:?unset}",
        "url: postgresql://u:${P}@db/x",
        "PASSWORD=change-me",
        'password="${!variable:-}"',
        "- name: KAFKA_SASL_PASSWORD\n  valueFrom:\n    secretKeyRef:\n      name: guichet-intake",
        "secretName: guichet-kafka-cluster-ca-cert",
        "DSN: postgresql://u:${DB_PASSWORD:?set DB_PASSWORD}@db/x",
        "CREATE ROLE :\"name\" LOGIN PASSWORD :'password';",
        "--from-literal=database-url='postgresql://guichet_intake:<password>@db/guichet_intake'",
    ]
    for text in clean:
        assert not secret_findings(text), f"false positive on {text!r}: {secret_findings(text)}"
