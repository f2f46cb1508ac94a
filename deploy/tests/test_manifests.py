"""The deployment files (deploy/docker, deploy/compose.yaml, deploy/compose, deploy/k8s) checked without Docker,
a cluster or the network: they must stay deployable and in step with the code.

- Kubernetes core objects validate against the pinned Kubernetes API schemas (kubernetes-validate, strict).
- Strimzi KafkaTopic/KafkaUser validate against the CRD schemas vendored in deploy/k8s/schemas, and their topics
  and ACLs equal what guichet_common.topics / guichet_common.access compute.
- Deployments have the probes, resources, security context and secret references operators rely on; the values
  they set parse with the services' own Settings classes.
- The compose file is consistent (images, healthchecks, depends_on, env, ports, no literal secrets); when the
  `docker compose` plugin exists, `docker compose config -q` must accept it with the example env file.
- The Dockerfile is multi-stage, installs from uv.lock with --frozen, runs as non-root, has a HEALTHCHECK.
- Nothing under deploy/ looks like a committed secret.

GUICHET_DEPLOY_DIR points the tests at another copy of deploy/ (how each check was shown to fail on a broken copy).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from guichet_common.access import SERVICES, grants_for, principal
from guichet_common.topics import topic_names_with_dead_letters

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = Path(os.environ.get("GUICHET_DEPLOY_DIR", ROOT / "deploy")).resolve()
K8S = DEPLOY / "k8s"
COMPOSE_FILE = DEPLOY / "compose.yaml"
COMPOSE_DIR = DEPLOY / "compose"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
DOCKERIGNORE = DEPLOY / "docker" / "Dockerfile.dockerignore"

# The oldest Kubernetes minor the manifests must be accepted by (kubernetes-validate ships its schemas offline).
KUBERNETES_VERSION = "1.30.0"
STRIMZI_GROUP = "kafka.strimzi.io"
STRIMZI_SCHEMAS = {
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"): "strimzi-kafkatopic-v1beta2.json",
    ("kafka.strimzi.io/v1beta2", "KafkaUser"): "strimzi-kafkauser-v1beta2.json",
}
HTTP_PORT = 8080
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|_DATABASE_URL$|_DSN$|API_KEY)", re.IGNORECASE)
ENV_REFERENCE = re.compile(r"^\$\{[A-Z0-9_]+(?::?[?-][^}]*)?\}$")


# ------------------------------------------------------------------------------------------------- loading


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


# ------------------------------------------------------------------------------------------------- Kubernetes


def test_kustomization_lists_every_manifest_and_sets_the_image() -> None:
    listed = set(kustomization()["resources"])
    on_disk = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk, f"manifests not in kustomization.yaml: {on_disk - listed}; missing: {listed - on_disk}"
    images = {image["name"]: image for image in kustomization().get("images", [])}
    assert "guichet" in images, "kustomization.yaml must set the guichet image's registry and tag"
    assert images["guichet"].get("newTag") not in (None, "", "latest"), "pin an immutable tag, never latest"


def test_kustomize_renders_the_folder_with_the_pinned_image() -> None:
    """What `kubectl apply -k deploy/k8s` will send, when kubectl (or kustomize) is here to render it offline."""
    if shutil.which("kubectl"):
        command = ["kubectl", "kustomize", str(K8S)]
    elif shutil.which("kustomize"):
        command = ["kustomize", "build", str(K8S)]
    else:
        pytest.skip("neither kubectl nor kustomize on this machine: the files were validated one by one above")
    rendered = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert rendered.returncode == 0, rendered.stderr
    docs = [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]
    assert len(docs) == len(k8s_documents())
    image = kustomization()["images"][0]
    for doc in docs:
        if doc["kind"] == "Deployment":
            for container in doc["spec"]["template"]["spec"]["containers"]:
                assert container["image"] == f"{image['newName']}:{image['newTag']}"
        if not doc["apiVersion"].startswith(STRIMZI_GROUP):
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_every_object_is_in_the_guichet_namespace() -> None:
    for file, doc in k8s_documents():
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == kustomization()["namespace"], f"{file}: {doc_id((file, doc))}"


@pytest.mark.parametrize(
    "item",
    [item for item in k8s_documents() if not item[1]["apiVersion"].startswith(STRIMZI_GROUP)],
    ids=doc_id,
)
def test_core_object_validates_against_the_kubernetes_schema(item: tuple[str, dict[str, Any]]) -> None:
    _, doc = item
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        pytest.fail(f"{doc_id(item)} is not valid Kubernetes {KUBERNETES_VERSION}: {error.message} at {error.path}")


def strict_schema(schema: Any) -> Any:
    """The CRD schema with unknown fields refused, as the API server's strict field validation (kubectl's default)
    does: pruning would otherwise drop a misspelt field silently."""
    if isinstance(schema, dict):
        schema = {key: strict_schema(value) for key, value in schema.items()}
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict_schema(item) for item in schema]
    return schema


@cache
def strimzi_validator(api_version: str, kind: str) -> jsonschema.Draft4Validator:
    file = STRIMZI_SCHEMAS.get((api_version, kind))
    assert file, f"no vendored schema for {api_version} {kind}: add it under deploy/k8s/schemas"
    schema = json.loads((K8S / "schemas" / file).read_text(encoding="utf-8"))
    schema.pop("$comment", None)
    # The CRD describes metadata only as `object`; the object-meta rules that matter for these are checked below.
    return jsonschema.Draft4Validator(strict_schema(schema))


@pytest.mark.parametrize(
    "item", [item for item in k8s_documents() if item[1]["apiVersion"].startswith(STRIMZI_GROUP)], ids=doc_id
)
def test_strimzi_resource_validates_against_its_crd_schema(item: tuple[str, dict[str, Any]]) -> None:
    _, doc = item
    errors = sorted(strimzi_validator(doc["apiVersion"], doc["kind"]).iter_errors(doc), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    name = doc["metadata"]["name"]
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", name) and len(name) <= 253, f"bad object name {name}"
    # Without this label no Strimzi operator reconciles the resource: it would sit there, silently ignored.
    assert doc["metadata"].get("labels", {}).get("strimzi.io/cluster"), f"{name}: no strimzi.io/cluster label"


def test_all_strimzi_resources_name_the_same_kafka_cluster() -> None:
    clusters = {
        doc["metadata"]["labels"]["strimzi.io/cluster"]
        for _, doc in k8s_documents()
        if doc["apiVersion"].startswith(STRIMZI_GROUP)
    }
    assert len(clusters) == 1, clusters
    [cluster] = clusters
    assert shared_config()["KAFKA_BOOTSTRAP_SERVERS"].startswith(f"{cluster}-kafka-bootstrap"), (
        "KAFKA_BOOTSTRAP_SERVERS should be the Strimzi cluster's bootstrap Service"
    )


def test_kafka_topics_are_exactly_the_codes_topics() -> None:
    config = shared_config()
    prefix, partitions = config["GUICHET_TOPIC_PREFIX"], int(config["GUICHET_TOPIC_PARTITIONS"])
    expected = {prefix + spec.name: spec for spec in topic_names_with_dead_letters()}
    declared = {doc["spec"]["topicName"]: doc for doc in objects("KafkaTopic").values()}
    assert set(declared) == set(expected), (
        f"KafkaTopics missing: {sorted(set(expected) - set(declared))}; "
        f"not in the code: {sorted(set(declared) - set(expected))}"
    )
    for name, doc in declared.items():
        spec, topic_config = doc["spec"], doc["spec"].get("config", {})
        assert spec["partitions"] == partitions, f"{name}: partitions != GUICHET_TOPIC_PARTITIONS ({partitions})"
        assert spec["replicas"] == 3, f"{name}: 3 replicas"
        assert int(topic_config.get("min.insync.replicas", 1)) == 2, f"{name}: min.insync.replicas 2"
        policy = topic_config.get("cleanup.policy", "delete")
        wanted = "compact" if expected[name].compacted else "delete"
        assert policy == wanted, f"{name}: cleanup.policy {policy}, the code says {wanted}"


def test_kafka_users_have_exactly_the_codes_grants() -> None:
    prefix = shared_config()["GUICHET_TOPIC_PREFIX"]
    users = objects("KafkaUser")
    assert set(users) == {principal(service) for service in SERVICES}
    for service in SERVICES:
        spec = users[principal(service)]["spec"]
        assert spec["authentication"]["type"] == "scram-sha-512"
        assert spec["authorization"]["type"] == "simple"
        declared = []
        for acl in spec["authorization"]["acls"]:
            assert acl.get("type", "allow") == "allow", f"{service}: only allow rules are expected"
            assert acl.get("host", "*") == "*"
            assert "operation" not in acl, f"{service}: use `operations` (the singular form is gone in Strimzi v1)"
            resource = acl["resource"]
            declared.append(
                (resource["type"], resource["name"], resource["patternType"], tuple(sorted(acl["operations"])))
            )
        expected = [(g.resource, g.name, g.pattern, tuple(sorted(g.operations))) for g in grants_for(service, prefix)]
        assert len(declared) == len(set(declared)), f"{service}: duplicate ACLs"
        assert sorted(declared) == sorted(expected), (
            f"{service}: ACLs differ from grants_for():\n  extra {sorted(set(declared) - set(expected))}"
            f"\n  missing {sorted(set(expected) - set(declared))}"
        )


def test_programmes_configmap_is_the_repositorys_programmes() -> None:
    data = objects("ConfigMap")["guichet-programmes"]["data"]
    files = {path.name: path.read_text(encoding="utf-8") for path in (ROOT / "programmes").glob("*.toml")}
    assert data == files, "deploy/k8s/configmap-programmes.yaml differs from programmes/*.toml: copy them again"


def container_of(service: str) -> tuple[dict[str, Any], dict[str, Any]]:
    deployment = objects("Deployment")[f"guichet-{service}"]
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    return deployment, container


def effective_env(service: str) -> dict[str, Any]:
    """Name -> value (a string) or the env entry's `valueFrom`, as the container will see them."""
    _, container = container_of(service)
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, "envFrom only from ConfigMaps (Secrets go through secretKeyRef)"
        env.update(objects("ConfigMap")[source["configMapRef"]["name"]]["data"])
    for entry in container.get("env", []):
        env[entry["name"]] = entry.get("value", entry.get("valueFrom"))
    return env


@pytest.mark.parametrize("service", SERVICES)
def test_deployment_probes_resources_and_security(service: str) -> None:
    deployment, container = container_of(service)
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["replicas"] >= 2
    assert container["args"] == [f"guichet_{service}"], "the image's ENTRYPOINT is `python -m`: args name the module"
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports.get("http") == HTTP_PORT
    for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        assert probe in container, f"{service}: no {probe}"
        get = container[probe]["httpGet"]
        assert (get["path"], get["port"]) == (path, "http"), f"{service}: {probe} must GET {path} on port http"
    startup = container["startupProbe"]
    budget = startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3)
    assert budget >= 180, f"{service}: the startup probe gives up after {budget}s, before migrations and broker waits"
    for kind in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            assert container.get("resources", {}).get(kind, {}).get(resource), f"{service}: no {kind}.{resource}"
    security = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
    assert security.get("runAsNonRoot") is True
    assert security.get("readOnlyRootFilesystem") is True
    assert security.get("allowPrivilegeEscalation") is False
    assert container["securityContext"].get("capabilities", {}).get("drop") == ["ALL"]
    assert pod.get("terminationGracePeriodSeconds", 30) >= 30, "the outbox flush needs time on shutdown"


@pytest.mark.parametrize("service", SERVICES)
def test_deployment_takes_every_secret_from_a_secret(service: str) -> None:
    _, container = container_of(service)
    for entry in container.get("env", []):
        if SECRET_NAME.search(entry["name"]):
            assert "secretKeyRef" in entry.get("valueFrom", {}), f"{service}: {entry['name']} must be a secretKeyRef"
            assert "value" not in entry, f"{service}: {entry['name']} has a literal value"
    for name, config_map in objects("ConfigMap").items():
        leaked = [key for key in config_map.get("data", {}) if SECRET_NAME.search(key)]
        assert not leaked, f"ConfigMap {name} holds secrets {leaked}"
    env = effective_env(service)
    upper = service.upper()
    assert env[f"{upper}_DATABASE_URL"]["secretKeyRef"] == {"name": f"guichet-{service}-db", "key": "database-url"}
    # The Secret the Strimzi User Operator writes for the KafkaUser (named like it, key `password`).
    assert env["KAFKA_SASL_PASSWORD"]["secretKeyRef"] == {"name": principal(service), "key": "password"}
    assert env["KAFKA_SASL_USERNAME"] == principal(service)
    assert not objects("Secret"), "Secret objects are created by the operator, never committed"


@pytest.mark.parametrize("service", SERVICES)
def test_deployment_sets_what_the_service_reads(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    deployment, container = container_of(service)
    env = effective_env(service)
    upper = service.upper()
    required = [
        "KAFKA_BOOTSTRAP_SERVERS",
        "KAFKA_SECURITY_PROTOCOL",
        "KAFKA_SASL_MECHANISM",
        "KAFKA_SASL_USERNAME",
        "KAFKA_SASL_PASSWORD",
        "KAFKA_SSL_CAFILE",
        "GUICHET_TOPIC_PREFIX",
        "GUICHET_TOPIC_PARTITIONS",
        "GUICHET_PROGRAMMES_DIR",
        "LOG_FORMAT",
        f"{upper}_DATABASE_URL",
        f"{upper}_HTTP_HOST",
        f"{upper}_HTTP_PORT",
    ]
    required += {"notifications": ["NOTIFICATIONS_SMTP_HOST", "NOTIFICATIONS_SMTP_PORT"]}.get(service, [])
    required += {"payments": ["PAYMENTS_FILES_DIR"]}.get(service, [])
    assert not [name for name in required if name not in env], f"{service}: unset {required}"
    assert env["KAFKA_SECURITY_PROTOCOL"] in {"PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"}
    assert env["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert env[f"{upper}_HTTP_HOST"] == "0.0.0.0", "127.0.0.1 (the default) is unreachable for the kubelet's probes"
    assert int(env[f"{upper}_HTTP_PORT"]) == HTTP_PORT

    # The folders the settings name are mounted: programmes and Kafka CA read-only, the SEPA files on the claim.
    pod = deployment["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["mountPath"]: volumes[mount["name"]] for mount in container["volumeMounts"]}
    assert mounts[env["GUICHET_PROGRAMMES_DIR"]].get("configMap", {}).get("name") == "guichet-programmes"
    assert "secret" in mounts[str(Path(env["KAFKA_SSL_CAFILE"]).parent)]
    assert "/tmp" in mounts, "a writable /tmp (emptyDir): the root filesystem is read-only"
    if service == "payments":
        claim = mounts[env["PAYMENTS_FILES_DIR"]]["persistentVolumeClaim"]["claimName"]
        assert claim in objects("PersistentVolumeClaim"), f"PVC {claim} is not declared"

    # The values parse with the service's own Settings class (a typo such as LOG_FORMAT=text fails here).
    for name, value in env.items():
        monkeypatch.setenv(name, value if isinstance(value, str) else "postgresql://from-secret@db/x")
    module = __import__(f"guichet_{service}.settings", fromlist=["_"])
    settings_class = getattr(module, f"{service.capitalize()}Settings")
    settings = settings_class()
    assert settings.http_port == HTTP_PORT and settings.topic_prefix == env["GUICHET_TOPIC_PREFIX"]
    if hasattr(settings, "kafka_security_protocol"):  # the Kafka security settings (guichet_common.settings)
        assert settings.kafka_security_protocol == env["KAFKA_SECURITY_PROTOCOL"]
        assert settings.kafka_sasl_username == principal(service)


@pytest.mark.parametrize("service", SERVICES)
def test_service_exposes_the_metrics_port_of_the_pods(service: str) -> None:
    deployment, _ = container_of(service)
    svc = objects("Service")[f"guichet-{service}"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["selector"].items() <= pod_labels.items(), f"{service}: the Service selects no pod"
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    ports = {port["name"]: port for port in svc["spec"]["ports"]}
    assert ports["metrics"]["targetPort"] == "http"
    annotations = svc["metadata"].get("annotations", {})
    assert annotations.get("prometheus.io/port") == str(ports["metrics"]["port"])


# ------------------------------------------------------------------------------------------------- compose


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
        required = [
            "KAFKA_BOOTSTRAP_SERVERS",
            "GUICHET_TOPIC_PREFIX",
            "GUICHET_TOPIC_PARTITIONS",
            "GUICHET_PROGRAMMES_DIR",
            "LOG_FORMAT",
            f"{upper}_DATABASE_URL",
            f"{upper}_HTTP_HOST",
            f"{upper}_HTTP_PORT",
        ]
        required += {"notifications": ["NOTIFICATIONS_SMTP_HOST", "NOTIFICATIONS_SMTP_PORT"]}.get(service, [])
        required += {"payments": ["PAYMENTS_FILES_DIR"]}.get(service, [])
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
    assert any(v.endswith(":" + payments["environment"]["PAYMENTS_FILES_DIR"]) for v in payments.get("volumes", []))


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
    assert loop and loop.group(1).split() == list(SERVICES)
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


# ------------------------------------------------------------------------------------------------- Dockerfile


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


# ------------------------------------------------------------------------------------------------- secrets

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
