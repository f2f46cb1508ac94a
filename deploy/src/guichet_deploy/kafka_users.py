"""deploy/k8s/kafka-users.yaml, written from the model: one Strimzi KafkaUser per principal of
`guichet_common.access.PRINCIPALS` (the services and finance's system), its ACLs exactly `grants_for`.

    uv run --frozen --all-packages python -m guichet_deploy.kafka_users   # rewrites the file

deploy/tests/test_manifests_k8s.py fails when the committed file is not what this writes, so a change to the topic
maps or to the external principals reaches the cluster's users in the same commit.
"""

from __future__ import annotations

from typing import Any

import yaml

from guichet_common.access import EXTERNAL_PRINCIPALS, PRINCIPALS, grants_for, principal
from guichet_deploy.manifests import K8S, shared_config

KAFKA_USERS = K8S / "kafka-users.yaml"
NAMESPACE = "guichet"
CLUSTER = "guichet-kafka"

HEADER = """\
# Written by `python -m guichet_deploy.kafka_users` from guichet_common.access: do not edit by hand (a test compares).
# One Kafka principal per service, SCRAM-SHA-512, with least-privilege ACLs: read what it consumes, write what
# it produces, and for the topics it owns (their one consumer, guichet_common.topics.owner_of) write their dead
# letters and read and write their replay topics (a replay goes through the owner's outbox to <topic>.replay); use
# its own consumer groups (prefix guichet-<service>.). The back-office reads the topics it projects, some of them
# owned by others (no dead-letter or replay right on those), and every .dlq (its dead-letter page); it writes only
# its command topics (backoffice.*) and the dead letters of the topics it alone consumes.
# External systems get a principal too (guichet_common.access.EXTERNAL_PRINCIPALS): guichet-finance may only write
# payments.settlements.v1 (Write + Describe; no read, no consumer group), which is all its settlement reports need.
# Nothing else: no Create (topics come from kafka-topics.yaml), no cluster operation. The ACLs are exactly
# guichet_common.access.grants_for(name, GUICHET_TOPIC_PREFIX). The User Operator writes each password to a
# Secret named like the user (key `password`), which the Deployments read as KAFKA_SASL_PASSWORD; finance's is
# handed to finance's own system (deploy/k8s/README.md, "Finance's principal").
"""


def kafka_user(name: str, prefix: str) -> dict[str, Any]:
    acls = [
        {
            "resource": {"type": grant.resource, "name": grant.name, "patternType": grant.pattern},
            "operations": list(grant.operations),
            "host": "*",
        }
        for grant in grants_for(name, prefix)
    ]
    labels = {"strimzi.io/cluster": CLUSTER, "app.kubernetes.io/part-of": "guichet", "app.kubernetes.io/name": name}
    if name in EXTERNAL_PRINCIPALS:
        labels["app.kubernetes.io/component"] = "external-system"
    return {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaUser",
        "metadata": {"name": principal(name), "namespace": NAMESPACE, "labels": labels},
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {"type": "simple", "acls": acls},
        },
    }


def render(prefix: str) -> str:
    documents = [kafka_user(name, prefix) for name in PRINCIPALS]
    return HEADER + yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False)


def main() -> None:
    KAFKA_USERS.write_text(render(shared_config()["GUICHET_TOPIC_PREFIX"]), encoding="utf-8")
    print(f"wrote {KAFKA_USERS}")


if __name__ == "__main__":
    main()
