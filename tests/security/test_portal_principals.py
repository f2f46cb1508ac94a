"""A portal that publishes on Kafka, logged in as `guichet-portal-<name>` on the secured broker (conftest.py), may
write its own door `portals.<name>.claims.submitted.v1` and read the statuses, and nothing else: not another
portal's door, not the shared claims.submitted.v1 (issue 17). With intake refusing, on a door, any claim whose
`source` is not that door's portal (services/intake/tests/integration/test_portal_doors.py), a portal principal
cannot publish a claim in another portal's name."""

from __future__ import annotations

import pytest
from aiokafka.errors import GroupAuthorizationFailedError, TopicAuthorizationFailedError

from guichet_common.access import portal_principal_name
from guichet_common.topics import CLAIMS_STATUS, CLAIMS_SUBMITTED, consumer_group, portal_claims_topic
from guichet_deploy.kafka_secure import SecuredKafka

pytestmark = pytest.mark.e2e
BETA = portal_principal_name("beta")


def door(prefix: str, portal: str) -> str:
    return prefix + portal_claims_topic(portal).name


async def test_beta_publishes_on_its_own_door(secured: SecuredKafka, produce, secured_prefix: str) -> None:
    await produce(secured, secured.client_options(BETA), door(secured_prefix, "beta"))


async def test_beta_cannot_write_alpha_s_door_nor_the_shared_claims_topic(
    secured: SecuredKafka, produce, secured_prefix: str
) -> None:
    for topic in (door(secured_prefix, "alpha"), secured_prefix + CLAIMS_SUBMITTED.name):
        with pytest.raises(TopicAuthorizationFailedError):
            await produce(secured, secured.client_options(BETA), topic)


async def test_beta_writes_no_status_and_none_of_its_door_s_dead_letters_or_replays(
    secured: SecuredKafka, produce, secured_prefix: str
) -> None:
    own = portal_claims_topic("beta")
    for name in (CLAIMS_STATUS.name, own.dead_letter(), own.replay()):
        with pytest.raises(TopicAuthorizationFailedError):
            await produce(secured, secured.client_options(BETA), secured_prefix + name)


async def test_beta_follows_the_statuses_in_groups_of_its_own_only(
    secured: SecuredKafka, consume, secured_prefix: str
) -> None:
    statuses = secured_prefix + CLAIMS_STATUS.name
    await consume(secured, secured.client_options(BETA), statuses, f"guichet-{BETA}.{secured_prefix}statuses")
    with pytest.raises(GroupAuthorizationFailedError):
        await consume(secured, secured.client_options(BETA), statuses, consumer_group("notifications", statuses))
    with pytest.raises(TopicAuthorizationFailedError):
        await consume(secured, secured.client_options(BETA), door(secured_prefix, "alpha"), None)


async def test_intake_reads_every_door_in_its_own_groups(secured: SecuredKafka, consume, secured_prefix: str) -> None:
    for portal in ("alpha", "beta"):
        topic = door(secured_prefix, portal)
        await consume(secured, secured.client_options("intake"), topic, consumer_group("intake", topic))
