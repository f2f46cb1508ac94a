"""The demo's predictions and the eligibility rules agree, for both programmes, claim by claim.

Intake and history effects are outside this check: it covers what a single claim's own facts decide.
"""

from __future__ import annotations

import datetime as dt
import json

from guichet_common.contracts import ClaimSubmittedV1
from guichet_common.settings import project_root
from guichet_eligibility import domain
from guichet_eligibility.translate import claim_facts
from guichet_programme import load_programmes
from guichet_simulator.generator import generate_claims
from guichet_simulator.regional import REGIONAL_PROGRAMME, mix_programmes, programme_of

PROGRAMMES = load_programmes(project_root() / "programmes")


def registry_facts(record: dict | None) -> domain.RegistryFacts | None:
    if record is None:
        return None
    created = record["dateCreationUniteLegale"]
    return domain.RegistryFacts(
        record["etatAdministratifUniteLegale"],
        dt.date.fromisoformat(created) if created else None,
        record["trancheEffectifsUniteLegale"],
    )


def test_every_simulated_claim_is_judged_as_predicted() -> None:
    claims = mix_programmes(generate_claims(1500, seed=11))
    assert sum(programme_of(c) == REGIONAL_PROGRAMME for c in claims) > 100
    disagreements = []
    for simulated in claims:
        if simulated.expected_status == "refused":
            continue  # intake's business, not the rules'
        claim = ClaimSubmittedV1.model_validate_json(json.dumps(simulated.event)).claim
        facts = claim_facts(claim)
        subject = domain.subject_for(
            facts, registry_facts(simulated.registry_record), domain.History(), PROGRAMMES[claim.programme]
        )
        decision = domain.decide(subject)
        expected_outcome = "approved" if simulated.expected_status == "paid" else simulated.expected_status
        if (decision.outcome, decision.reasons) != (expected_outcome, simulated.expected_reasons):
            disagreements.append((claim.claim_id, claim.programme, decision.outcome, decision.reasons))
        if claim.programme == REGIONAL_PROGRAMME and decision.outcome == "approved":
            assert 0 < decision.grant_cents <= 150_000
    assert disagreements == []
