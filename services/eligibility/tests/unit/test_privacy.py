"""A person's data in eligibility: intake's erasures followed in its own copy (and announced once), and a
subject-access export of what it holds, sealed values shown as sealed (eligibility holds no key)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from guichet_common.contracts.backoffice import OperatorCommandV1
from guichet_common.contracts.privacy import PrivacyErasedV1
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_eligibility.erasure import ErasureFollower
from guichet_eligibility.privacy import INVENTORY, EligibilityPrivacy
from guichet_eligibility.service import EligibilityService

from .fakes import CLAIM, PROGRAMMES, FakeEligibilityUnitOfWork, claim, company, registered, subscriptions

REGISTRY, CLAIMS = subscriptions(EligibilityService(programmes=PROGRAMMES))
NOW = dt.datetime(2024, 5, 2, 8, 0, tzinfo=dt.UTC)
ERASURES = Subscription(ErasureFollower("", lambda: NOW).follow, contract(PrivacyErasedV1))
REQUEST = uuid.uuid4()


def erased(claim_id: str, kind: str, service: str = "intake", request_id: uuid.UUID | None = None) -> InboundRecord:
    event = PrivacyErasedV1.model_validate(
        {
            "event_id": uuid.uuid4(),
            "occurred_at": NOW,
            "claim_id": claim_id,
            "programme": CLAIM.programme,
            "kind": kind,
            "service": service,
            "reason": "request" if request_id else "retention",
            "erased_at": NOW,
            "request_id": request_id,
            "requested_by": "agent.dupont" if request_id else None,
            "legal_reason": "article 17" if request_id else None,
        },
        strict=False,
    )
    return InboundRecord("privacy.erased.v1", 0, 0, claim_id.encode(), event.model_dump_json().encode())


async def with_claims(*claim_ids: str) -> FakeEligibilityUnitOfWork:
    uow = FakeEligibilityUnitOfWork()
    sirens = ("111111118", "222222226")
    await REGISTRY.apply(uow, [company(siren) for siren in sirens])
    for n, claim_id in enumerate(claim_ids):
        await CLAIMS.apply(uow, [registered(claim(claim_id, sirens[n]))])
    return uow


def announcements(uow: FakeEligibilityUnitOfWork) -> list[dict]:
    return [json.loads(m.value or b"") for m in uow.committed if m.topic == "privacy.erased.v1"]


async def test_an_erasure_by_intake_nulls_that_kind_in_the_stored_claim_once_and_is_announced() -> None:
    uow = await with_claims("CLAIM-0001", "CLAIM-0002")
    before = uow.claims.rows["CLAIM-0001"].payload
    await ERASURES.apply(uow, [erased("CLAIM-0001", "bank", request_id=REQUEST)])
    payload = uow.claims.rows["CLAIM-0001"].payload
    assert payload["bank_account"] == {"iban": None, "bic": None, "holder_name": None}
    assert payload["contact"] == before["contact"] and payload["applicant"] == before["applicant"]
    await ERASURES.apply(uow, [erased("CLAIM-0001", "contact")])
    applicant = uow.claims.rows["CLAIM-0001"].payload["applicant"]
    assert applicant["legal_name"] is None and applicant["address"]["line1"] is None
    assert applicant["address"]["postcode"] == before["applicant"]["address"]["postcode"]
    assert set(uow.claims.rows["CLAIM-0001"].payload["contact"].values()) == {None}
    assert uow.claims.rows["CLAIM-0002"].payload["bank_account"]["iban"].startswith("sealed:")
    announced, _ = announcements(uow)
    assert (announced["service"], announced["claim_id"], announced["kind"], announced["reason"]) == (
        "eligibility",
        "CLAIM-0001",
        "bank",
        "request",
    )
    assert (announced["request_id"], announced["requested_by"]) == (str(REQUEST), "agent.dupont")
    assert uow.erasures.recorded[("CLAIM-0001", "bank")].erased_at == NOW
    await ERASURES.apply(uow, [erased("CLAIM-0001", "bank", request_id=REQUEST)])
    assert len(announcements(uow)) == 2  # already erased: nothing more to say


async def test_other_services_announcements_and_unknown_claims_are_ignored() -> None:
    uow = await with_claims("CLAIM-0001")
    await ERASURES.apply(uow, [erased("CLAIM-0001", "contact", service="notifications"), erased("NOT-HERE-01", "bank")])
    assert announcements(uow) == [] and uow.erasures.recorded == {}
    assert uow.claims.rows["CLAIM-0001"].payload["contact"]["email"].startswith("sealed:")


async def test_what_if_still_replays_a_claim_whose_data_was_erased() -> None:
    from guichet_eligibility.whatif import replay_decided

    uow = await with_claims("CLAIM-0001")
    await ERASURES.apply(uow, [erased("CLAIM-0001", "bank"), erased("CLAIM-0001", "contact")])
    report = await replay_decided(uow, PROGRAMMES[CLAIM.programme])
    assert (report.claims, report.changes) == (1, [])


def export_command(*claim_ids: str) -> OperatorCommandV1:
    return OperatorCommandV1.model_validate(
        {
            "event_id": uuid.uuid4(),
            "occurred_at": NOW,
            "service": "eligibility",
            "action": "privacy_export",
            "target": "subject",
            "requested_by": "agent.dupont",
            "reason": "demande d'accès (article 15)",
            "claim_ids": list(claim_ids),
        },
        strict=False,
    )


async def test_an_export_shows_the_claims_rows_sealed_or_erased_and_nothing_of_other_claims() -> None:
    uow = await with_claims("CLAIM-0001", "CLAIM-0002")
    await ERASURES.apply(uow, [erased("CLAIM-0001", "bank")])
    records = await EligibilityPrivacy().export(uow, export_command("CLAIM-0001"))
    assert {record.claim_id for record in records} == {"CLAIM-0001"}
    [stored] = [r for r in records if r.store == "table claims"]
    payload = stored.fields["payload"]
    assert payload["contact"] == {"full_name": {"sealed": True}, "email": {"sealed": True}, "phone": {"sealed": True}}
    assert payload["bank_account"]["iban"] == {"erased_on": "2024-05-02"}
    assert payload["applicant"]["legal_name"] == CLAIM.applicant.legal_name  # held in clear until the contact goes
    assert payload["applicant"]["siren"] == "111111118"
    assert {"table claims", "table decisions", "table companies"} <= {r.store for r in records}
    assert "sealed:" not in json.dumps([r.fields for r in records], default=str)


def test_the_inventory_declares_the_stored_claims_personal_fields() -> None:
    assert INVENTORY.service == "eligibility"
    for field in ("payload.contact.email", "payload.bank_account.iban", "iban_fingerprint"):
        assert INVENTORY.declares("table", "claims", field)
