"""deploy/k8s/kafka-users.yaml, written from the model: one Strimzi KafkaUser per principal of
`guichet_common.access.principals(portals)` (the services, finance's system and each Kafka portal), its ACLs
exactly `grants_for`.

    uv run --frozen --all-packages python -m guichet_deploy.kafka_users   # rewrites the file
    uv run --frozen --all-packages python -m guichet_deploy.kafka_users --kafka-portals alpha,beta

The committed file is written without portals; a deployment whose GUICHET_KAFKA_PORTALS names some writes its own
with `--kafka-portals` (the same list), which adds a user per portal and intake's rights on their topics.

deploy/tests/test_manifests_k8s.py fails when the committed file is not what this writes, so a change to the topic
maps or to the external principals reaches the cluster's users in the same commit.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import yaml

from guichet_common.access import EXTERNAL_PRINCIPALS, PORTAL_PRINCIPAL_PREFIX, grants_for, principal, principals
from guichet_common.settings import PORTAL_NAME
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
# A portal that publishes on Kafka (GUICHET_KAFKA_PORTALS; `--kafka-portals`) gets guichet-portal-<name>: Write on
# its own portals.<name>.claims.submitted.v1 only, Read on claims.status.v1, groups guichet-portal-<name>.*.
# Nothing else: no Create (topics come from kafka-topics.yaml), no cluster operation. The ACLs are exactly
# guichet_common.access.grants_for(name, GUICHET_TOPIC_PREFIX). The User Operator writes each password to a
# Secret named like the user (key `password`), which the Deployments read as KAFKA_SASL_PASSWORD; finance's is
# handed to finance's own system (deploy/k8s/README.md, "Finance's principal").
"""


def kafka_user(name: str, prefix: str, kafka_portals: Sequence[str] = ()) -> dict[str, Any]:
    acls = [
        {
            "resource": {"type": grant.resource, "name": grant.name, "patternType": grant.pattern},
            "operations": list(grant.operations),
            "host": "*",
        }
        for grant in grants_for(name, prefix, kafka_portals)
    ]
    labels = {"strimzi.io/cluster": CLUSTER, "app.kubernetes.io/part-of": "guichet", "app.kubernetes.io/name": name}
    if name in EXTERNAL_PRINCIPALS:
        labels["app.kubernetes.io/component"] = "external-system"
    if name.startswith(PORTAL_PRINCIPAL_PREFIX):
        labels["app.kubernetes.io/component"] = "portal"
    return {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaUser",
        "metadata": {"name": principal(name), "namespace": NAMESPACE, "labels": labels},
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {"type": "simple", "acls": acls},
        },
    }


def render(prefix: str, kafka_portals: Sequence[str] = ()) -> str:
    documents = [kafka_user(name, prefix, kafka_portals) for name in principals(kafka_portals)]
    return HEADER + yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False)


def portal_names(value: str) -> list[str]:
    """`--kafka-portals a,b` as GUICHET_KAFKA_PORTALS reads it: names checked, each once, in order."""
    names = list(dict.fromkeys(name.strip() for name in value.split(",") if name.strip()))
    for name in names:
        if not PORTAL_NAME.fullmatch(name):
            raise argparse.ArgumentTypeError(f"a portal name is lower-case letters, digits and dashes: {name!r}")
    return names


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m guichet_deploy.kafka_users", description=__doc__.split("\n")[0])
    parser.add_argument("--kafka-portals", type=portal_names, default=[], help="GUICHET_KAFKA_PORTALS: alpha,beta")
    args = parser.parse_args(argv)
    KAFKA_USERS.write_text(render(shared_config()["GUICHET_TOPIC_PREFIX"], args.kafka_portals), encoding="utf-8")
    print(f"wrote {KAFKA_USERS}")


if __name__ == "__main__":
    main()
