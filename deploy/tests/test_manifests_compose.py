"""The compose file for a laptop with Docker (deploy/compose.yaml, deploy/compose/): consistent without Docker;
`docker compose config -q` must accept it where the plugin exists."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from guichet_common.access import SERVICES
from guichet_deploy.manifests import (
    COMPOSE_DIR,
    COMPOSE_FILE,
    DEPLOY,
    DOCKERFILE,
    ENV_REFERENCE,
    HTTP_PORT,
    SECRET_NAME,
    compose,
    load_yaml,
    required_variables,
)


def guichet_compose_services() -> dict[str, dict[str, Any]]:
    """The compose services that run a Guichet service module (by its command)."""
    found = {}
    for service in compose()["services"].values():
        command = service.get("command") or []
        for candidate in SERVICES:
            if command == [f"guichet_{candidate}"]:
                found[candidate] = service
    return found


def test_compose_runs_every_service() -> None:
    assert set(guichet_compose_services()) == set(SERVICES)


def test_compose_services_have_an_image_and_a_healthcheck() -> None:
    for name, service in compose()["services"].items():
        assert service.get("image") or service.get("build"), f"{name}: no image nor build"
        if service.get("image", "").endswith(":latest") or ":" not in service.get("image", "x:"):
            pytest.fail(f"{name}: pin the image tag ({service.get('image')})")
        one_shot = service.get("restart") == "no"
        if not one_shot:
            check = service.get("healthcheck", {})
            assert check.get("test") and not check.get("disable"), f"{name}: a long-running service needs a check"


def test_compose_guichet_services_wait_for_their_dependencies_and_check_readyz() -> None:
    for service, spec in guichet_compose_services().items():
        assert "/readyz" in " ".join(spec["healthcheck"]["test"]), f"{service}: the healthcheck must ask /readyz"
        depends = spec["depends_on"]
        assert depends["kafka"]["condition"] == "service_healthy"
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["topics"]["condition"] == "service_completed_successfully"
        assert spec.get("build"), f"{service}: built from deploy/docker/Dockerfile"
        assert spec["build"]["dockerfile"] == "deploy/docker/Dockerfile"
        assert (DEPLOY / spec["build"]["context"] / spec["build"]["dockerfile"]).resolve() == DOCKERFILE.resolve()


def test_compose_depends_on_targets_exist() -> None:
    services = compose()["services"]
    for name, spec in services.items():
        depends = spec.get("depends_on", {})
        for target, condition in depends.items() if isinstance(depends, dict) else ((t, {}) for t in depends):
            assert target in services, f"{name} depends on unknown {target}"
            assert condition.get("condition", "service_started") in {
                "service_started",
                "service_healthy",
                "service_completed_successfully",
            }
            if condition.get("condition") == "service_healthy":
                assert services[target].get("healthcheck", {}).get("test"), f"{target} has no healthcheck to wait on"


def test_compose_sets_what_each_service_reads() -> None:
    names = set(compose()["services"])
    for service, spec in guichet_compose_services().items():
        env = spec["environment"]
        upper = service.upper()
        required = required_variables(service, kafka_security=False)
        assert not [n for n in required if n not in env], f"{service}: unset {[n for n in required if n not in env]}"
        assert env[f"{upper}_HTTP_HOST"] == "0.0.0.0"
        assert int(env[f"{upper}_HTTP_PORT"]) == HTTP_PORT
        assert env["KAFKA_BOOTSTRAP_SERVERS"].split(":")[0] in names
        host = re.match(r"postgresql://[^@]+@([^:/]+)", env[f"{upper}_DATABASE_URL"])
        assert host and host.group(1) in names, f"{service}: the database host is not a compose service"
        assert env[f"{upper}_DATABASE_URL"].endswith(f"/guichet_{service}"), "one database per service"
    notifications = guichet_compose_services()["notifications"]["environment"]
    assert notifications["NOTIFICATIONS_SMTP_HOST"] in names
    payments = guichet_compose_services()["payments"]
    for folder in ("PAYMENTS_FILES_DIR", "PAYMENTS_INBOUND_DIR"):  # files to the bank, and the bank's files
        assert any(v.endswith(":" + payments["environment"][folder]) for v in payments.get("volumes", []))


def test_compose_has_no_literal_secrets() -> None:
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str | int) and SECRET_NAME.search(str(key)) and not str(key).endswith("_FILE"):
                    if str(key).endswith("_DATABASE_URL"):
                        password = re.match(r"[a-z]+://[^:@/]+:([^@]*)@", str(value))
                        assert password and ENV_REFERENCE.match(password.group(1)), f"{where}.{key}: literal"
                    else:
                        assert ENV_REFERENCE.match(str(value)), f"{where}.{key} must be a ${{VAR}} reference"
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")

    walk(compose(), "compose")


def test_compose_variables_are_all_in_the_example_env_file() -> None:
    text = json.dumps(compose())  # the parsed file: references in comments do not count
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    example = dict(
        line.split("=", 1)
        for line in (COMPOSE_DIR / ".env.example").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert used <= set(example), f"missing from .env.example: {sorted(used - set(example))}"
    for name, value in example.items():
        if SECRET_NAME.search(name):
            assert value == "change-me", f".env.example must hold placeholders only ({name})"


def test_compose_host_ports_are_unique_and_local() -> None:
    seen: dict[str, str] = {}
    for name, spec in compose()["services"].items():
        for port in spec.get("ports", []):
            parts = str(port).split(":")
            assert len(parts) == 3 and parts[0] == "127.0.0.1", f"{name}: publish on 127.0.0.1 only ({port})"
            host = parts[1]
            assert host not in seen, f"host port {host} used by {seen[host]} and {name}"
            seen[host] = name


def test_compose_mounted_files_exist() -> None:
    for name, spec in compose()["services"].items():
        for volume in spec.get("volumes", []):
            source = str(volume).split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name} mounts {source}, which does not exist"


def test_compose_kafka_listeners_are_consistent() -> None:
    env = compose()["services"]["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller", "single-node KRaft"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    protocols = dict(item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    listeners = {item.split("://")[0]: item.split("://")[1] for item in env["KAFKA_LISTENERS"].split(",")}
    advertised = {item.split("://")[0]: item.split("://")[1] for item in env["KAFKA_ADVERTISED_LISTENERS"].split(",")}
    assert set(listeners) <= set(protocols) and set(advertised) <= set(listeners)
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] in listeners
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] not in advertised, "controllers are not advertised to clients"
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] in advertised
    # What the services are given must be an advertised address, or clients are redirected elsewhere.
    for service, spec in guichet_compose_services().items():
        assert spec["environment"]["KAFKA_BOOTSTRAP_SERVERS"] in advertised.values(), service
    voters = env["KAFKA_CONTROLLER_QUORUM_VOTERS"]
    assert voters == f"{env['KAFKA_NODE_ID']}@kafka:{listeners[env['KAFKA_CONTROLLER_LISTENER_NAMES']].lstrip(':')}"


def test_compose_topics_job_uses_the_codes_topic_creation() -> None:
    job = compose()["services"]["topics"]
    assert "ensure_topics" in " ".join(job["command"])
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "GUICHET_TOPIC_PREFIX", "GUICHET_TOPIC_PARTITIONS"):
        assert name in job["environment"]
    for service, spec in guichet_compose_services().items():
        for name in ("GUICHET_TOPIC_PREFIX", "GUICHET_TOPIC_PARTITIONS", "KAFKA_BOOTSTRAP_SERVERS"):
            assert spec["environment"][name] == job["environment"][name], f"{service}: {name} differs from the job"


def test_compose_prometheus_scrapes_every_service_with_the_alerts_labels() -> None:
    config = load_yaml(COMPOSE_DIR / "prometheus.yml")
    [job] = config["scrape_configs"]
    assert job["job_name"] == "guichet", "alerts.yml selects job=guichet"
    targets = {entry["labels"]["service"]: entry["targets"] for entry in job["static_configs"]}
    assert targets == {service: [f"{service}:{HTTP_PORT}"] for service in SERVICES}
    assert config["rule_files"] == ["alerts.yml"]
    mounts = compose()["services"]["prometheus"]["volumes"]
    assert "./prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in mounts


def test_postgres_init_creates_one_database_and_role_per_service() -> None:
    script = (COMPOSE_DIR / "postgres-init.sh").read_text(encoding="utf-8")
    loop = re.search(r"for service in ([a-z ]+); do", script)
    assert loop and sorted(loop.group(1).split()) == sorted(SERVICES)  # each once, in any order
    for statement in ("CREATE ROLE", "CREATE DATABASE", "REVOKE ALL ON DATABASE", "FROM PUBLIC", "NOSUPERUSER"):
        assert statement in script
    postgres_env = compose()["services"]["postgres"]["environment"]
    for service in SERVICES:
        assert f"{service.upper()}_DB_PASSWORD" in postgres_env
    if shutil.which("bash"):
        subprocess.run(["bash", "-n", str(COMPOSE_DIR / "postgres-init.sh")], check=True)


def docker_compose_available() -> bool:
    if not shutil.which("docker"):
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
    return probe.returncode == 0


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    if not docker_compose_available():
        pytest.skip("no `docker compose` plugin on this machine: the structural compose tests above still ran")
    # `config` needs no daemon; interpolation errors (an unset ${VAR:?}) and schema errors fail it.
    result = subprocess.run(
        ["docker", "compose", "--env-file", str(COMPOSE_DIR / ".env.example"), "-f", str(COMPOSE_FILE), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
