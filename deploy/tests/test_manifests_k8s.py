"""Kubernetes manifests (deploy/k8s): core objects valid for the pinned Kubernetes API, Strimzi resources valid
for their CRDs and equal to the code's topics and grants, Deployments with probes, resources, security and
secrets only by reference."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from guichet_common.access import EXTERNAL_PRINCIPALS, PRINCIPALS, SERVICES, grants_for, principal
from guichet_common.topics import PAYMENTS_SETTLEMENTS, topic_names_with_dead_letters
from guichet_deploy.kafka_users import KAFKA_USERS, render
from guichet_deploy.manifests import (
    HTTP_PORT,
    K8S,
    ROOT,
    SECRET_NAME,
    doc_id,
    k8s_documents,
    kustomization,
    objects,
    required_variables,
    shared_config,
)

# The oldest Kubernetes minor the manifests must be accepted by (kubernetes-validate ships its schemas offline).
KUBERNETES_VERSION = "1.30.0"
STRIMZI_GROUP = "kafka.strimzi.io"
STRIMZI_SCHEMAS = {
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"): "strimzi-kafkatopic-v1beta2.json",
    ("kafka.strimzi.io/v1beta2", "KafkaUser"): "strimzi-kafkauser-v1beta2.json",
}

PAYMENTS_FOLDERS = ("PAYMENTS_FILES_DIR", "PAYMENTS_INBOUND_DIR")  # outbound (pain.001) and inbound (bank files)


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
        # Retention is part of the register (docs/privacy.md): the topics with personal data in clear keep it no
        # longer than the code says, and the key topic is compacted as the code configures it.
        declared_config = {key: str(value) for key, value in topic_config.items() if key != "min.insync.replicas"}
        assert declared_config == expected[name].config(), f"{name}: config differs from guichet_common.topics"


def test_kafka_users_have_exactly_the_codes_grants() -> None:
    """Every principal of the model (the services and finance's system), with exactly its `grants_for`."""
    prefix = shared_config()["GUICHET_TOPIC_PREFIX"]
    users = objects("KafkaUser")
    assert set(users) == {principal(name) for name in PRINCIPALS}
    for service in PRINCIPALS:
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


def test_kafka_users_file_is_what_the_generator_writes() -> None:
    assert KAFKA_USERS.read_text(encoding="utf-8") == render(shared_config()["GUICHET_TOPIC_PREFIX"]), (
        "deploy/k8s/kafka-users.yaml differs from the model: run `python -m guichet_deploy.kafka_users`"
    )


def test_finance_may_only_send_settlements() -> None:
    """Issue 16: finance's system writes its reports and nothing else: no read, no group, no other topic."""
    assert set(EXTERNAL_PRINCIPALS) == {"finance"}
    prefix = shared_config()["GUICHET_TOPIC_PREFIX"]
    [acl] = objects("KafkaUser")["guichet-finance"]["spec"]["authorization"]["acls"]
    assert acl["resource"] == {"type": "topic", "name": prefix + PAYMENTS_SETTLEMENTS.name, "patternType": "literal"}
    assert sorted(acl["operations"]) == ["Describe", "Write"]


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
    # The master key wrapping every claim's data keys (guichet_common.privacy): one Secret all services share.
    assert env["GUICHET_PRIVACY_MASTER_KEY"]["secretKeyRef"] == {"name": "guichet-privacy", "key": "master-key"}
    assert not objects("Secret"), "Secret objects are created by the operator, never committed"


@pytest.mark.parametrize("service", SERVICES)
def test_deployment_sets_what_the_service_reads(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    deployment, container = container_of(service)
    env = effective_env(service)
    upper = service.upper()
    required = required_variables(service, kafka_security=True)
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
    if service == "payments":  # the files to the bank and the bank's files outlive the pods, on their own claims
        claims = [mounts[env[name]]["persistentVolumeClaim"]["claimName"] for name in PAYMENTS_FOLDERS]
        assert all(claim in objects("PersistentVolumeClaim") for claim in claims), f"PVCs {claims} are not declared"
        assert len(set(claims)) == len(claims), "the bank's channel writes the inbound folder, never the outbound one"

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
