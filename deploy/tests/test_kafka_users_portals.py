"""`python -m guichet_deploy.kafka_users --kafka-portals a,b` (issue 17): a KafkaUser per Kafka portal, allowed to
write its own door only, and intake's user allowed to read those doors; the committed file names no portal."""

from __future__ import annotations

import pytest
import yaml

from guichet_deploy.kafka_users import KAFKA_USERS, portal_names, render


def users(text: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in yaml.safe_load_all(text) if doc}


def topic_rights(user: dict) -> dict[str, list[str]]:
    acls = user["spec"]["authorization"]["acls"]
    return {acl["resource"]["name"]: acl["operations"] for acl in acls if acl["resource"]["type"] == "topic"}


def test_each_kafka_portal_gets_a_user_that_writes_its_own_door_only() -> None:
    rendered = users(render("p.", ["alpha", "beta"]))
    beta = rendered["guichet-portal-beta"]
    assert beta["metadata"]["labels"]["app.kubernetes.io/component"] == "portal"
    assert topic_rights(beta) == {
        "p.claims.status.v1": ["Describe", "Read"],
        "p.portals.beta.claims.submitted.v1": ["Describe", "Write"],
    }
    intake = topic_rights(rendered["guichet-intake"])
    assert intake["p.portals.alpha.claims.submitted.v1"] == ["Describe", "Read"]
    assert intake["p.portals.beta.claims.submitted.v1.dlq"] == ["Describe", "Write"]


def test_the_committed_users_name_no_portal_but_include_the_gateway() -> None:
    committed = users(KAFKA_USERS.read_text(encoding="utf-8"))
    assert "guichet-gateway" in committed
    assert not any(name.startswith("guichet-portal-") for name in committed)


def test_portal_names_are_checked_like_the_setting() -> None:
    assert portal_names(" alpha,beta,alpha ") == ["alpha", "beta"]
    with pytest.raises(Exception, match="portal name"):
        portal_names("Alpha")
