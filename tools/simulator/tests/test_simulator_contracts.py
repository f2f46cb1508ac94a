"""Everything the simulator publishes matches the external contracts in ../shared/contracts."""

from __future__ import annotations

import json

from guichet_common.contracts import PUBLISHED


def test_every_claim_event_matches_claims_submitted_v1(many_claims, claim_validator):
    for claim in many_claims:
        errors = [e.message for e in claim_validator.iter_errors(claim.event)]
        assert not errors, (claim.claim_id, errors)


def test_every_registry_record_matches_registry_companies_v1(many_claims, registry_validator):
    records = [c.registry_record for c in many_claims if c.registry_record is not None]
    assert records
    for record in records:
        errors = [e.message for e in registry_validator.iter_errors(record)]
        assert not errors, (record["siren"], errors)


def test_the_registry_record_describes_the_applicant(many_claims):
    for claim in many_claims:
        record, applicant = claim.registry_record, claim.event["claim"]["applicant"]
        if record is not None:
            assert record["siren"] == applicant["siren"]
            assert record["activitePrincipaleUniteLegale"] == applicant["naf_code"]
            assert record["dateCreationUniteLegale"] <= applicant["activity_started_on"]


def test_the_contract_examples_used_by_the_example_command_are_valid(claim_validator, registry_validator):
    examples = PUBLISHED / "examples"
    claim_validator.validate(json.loads((examples / "claims.submitted.v1.json").read_text(encoding="utf-8")))
    registry_validator.validate(json.loads((examples / "registry.companies.v1.json").read_text(encoding="utf-8")))
