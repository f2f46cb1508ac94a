"""Which back-office role an identity provider's claims give, and which login."""

from __future__ import annotations

import pytest

from guichet_backoffice.web.oidc import OidcRefused, login_from_claims, role_from_claims

MAPPING = {"guichet-instructeurs": "caseworker", "guichet-superviseurs": "supervisor", "ailleurs": "pirate"}


def test_the_first_value_that_maps_gives_the_role() -> None:
    claims = {"roles": ["autre", "guichet-superviseurs", "guichet-instructeurs"]}
    assert role_from_claims(claims, "roles", MAPPING) == "supervisor"
    assert role_from_claims({"roles": "guichet-instructeurs"}, "roles", MAPPING) == "caseworker"


def test_no_mapped_value_and_mappings_to_unknown_roles_give_no_role() -> None:
    assert role_from_claims({"roles": ["autre"]}, "roles", MAPPING) is None
    assert role_from_claims({"roles": ["ailleurs"]}, "roles", MAPPING) is None
    assert role_from_claims({}, "roles", MAPPING) is None
    assert role_from_claims({"roles": {"not": "a list"}}, "roles", MAPPING) is None


def test_a_nested_claim_is_named_by_its_dotted_path() -> None:
    # Keycloak, for one, puts a realm's roles under realm_access.roles.
    claims = {"realm_access": {"roles": ["offline_access", "guichet-instructeurs"]}}
    assert role_from_claims(claims, "realm_access.roles", MAPPING) == "caseworker"


def test_the_login_is_the_claim_lowercased_and_must_be_usable() -> None:
    assert login_from_claims({"preferred_username": " Alice.Martin "}, "preferred_username") == "alice.martin"
    with pytest.raises(OidcRefused):
        login_from_claims({"preferred_username": "alice martin; drop"}, "preferred_username")
    with pytest.raises(OidcRefused):
        login_from_claims({}, "preferred_username")
