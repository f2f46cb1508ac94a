"""Reading Guichet's deployment files (deploy/docker, deploy/compose.yaml, deploy/compose, deploy/k8s) the way
kubectl and docker compose do: YAML with duplicate keys refused, the objects kustomization.yaml lists, the compose
file. The manifest tests (deploy/tests/test_manifests_*.py) read them through here.

GUICHET_DEPLOY_DIR points at another copy of deploy/ (how each check was shown to fail on a broken copy).
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = Path(os.environ.get("GUICHET_DEPLOY_DIR", ROOT / "deploy")).resolve()
K8S = DEPLOY / "k8s"
COMPOSE_FILE = DEPLOY / "compose.yaml"
COMPOSE_DIR = DEPLOY / "compose"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
DOCKERIGNORE = DEPLOY / "docker" / "Dockerfile.dockerignore"

HTTP_PORT = 8080  # every service's HTTP port inside the image (the Dockerfile's EXPOSE)
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|_DATABASE_URL$|_DSN$|API_KEY)", re.IGNORECASE)
ENV_REFERENCE = re.compile(r"^\$\{[A-Z0-9_]+(?::?[?-][^}]*)?\}$")


class UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys silently; kubectl and docker compose refuse the file. So do we."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:  # the mapping's own keys; `<<` merges may be overridden, that is their use
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=UniqueKeyLoader)


def load_yaml_documents(path: Path) -> list[Any]:
    return [doc for doc in yaml.load_all(path.read_text(encoding="utf-8"), Loader=UniqueKeyLoader) if doc]


@cache
def k8s_documents() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(file name, object) for every object of every manifest kustomization.yaml lists."""
    docs = []
    for resource in kustomization()["resources"]:
        docs += [(resource, doc) for doc in load_yaml_documents(K8S / resource)]
    return tuple(docs)


@cache
def kustomization() -> dict[str, Any]:
    return load_yaml(K8S / "kustomization.yaml")


def objects(kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for _, doc in k8s_documents():
        if doc["kind"] == kind:
            name = doc["metadata"]["name"]
            assert name not in found, f"two {kind} objects named {name}"
            found[name] = doc
    return found


def shared_config() -> dict[str, str]:
    return objects("ConfigMap")["guichet-shared"]["data"]


@cache
def compose() -> dict[str, Any]:
    return load_yaml(COMPOSE_FILE)


def doc_id(item: tuple[str, dict[str, Any]]) -> str:
    file, doc = item
    return f"{file}:{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def required_variables(service: str, *, kafka_security: bool) -> list[str]:
    """What a deployment must set for `service` (the rest has defaults that suit no cluster)."""
    upper = service.upper()
    security = ["KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"]
    required = [
        "KAFKA_BOOTSTRAP_SERVERS",
        *([*security, "KAFKA_SSL_CAFILE"] if kafka_security else []),
        "GUICHET_TOPIC_PREFIX",
        "GUICHET_TOPIC_PARTITIONS",
        "GUICHET_PROGRAMMES_DIR",
        "LOG_FORMAT",
        f"{upper}_DATABASE_URL",
        f"{upper}_HTTP_HOST",
        f"{upper}_HTTP_PORT",
    ]
    required += {"notifications": ["NOTIFICATIONS_SMTP_HOST", "NOTIFICATIONS_SMTP_PORT"]}.get(service, [])
    required += {"payments": ["PAYMENTS_FILES_DIR", "PAYMENTS_INBOUND_DIR"]}.get(service, [])
    return required
