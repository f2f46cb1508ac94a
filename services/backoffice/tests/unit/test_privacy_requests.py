"""The privacy API's use cases on the in-memory read model: a person found by e-mail, SIREN or claim; the commands
sent (one request id for the five exports); every call audited with who asked and why; an export read counted as
an unmasked view; the back-office's own part shows what it erased as {"erased_on": date}. And the claim page says
"effacé le JJ/MM/AAAA" where the data was."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest

from guichet_backoffice import audit, privacy_requests
from guichet_backoffice.privacy_model import AccessPart, selector_of
from guichet_backoffice.privacy_requests import PrivacyRefused
from guichet_common.privacy.erasures import Erasure

from .events import CLAIM, record, registered
from .fakes import FakeBackofficeUnitOfWork, subscriptions
from .pages_fakes import CLAIM_DETAIL

SUBSCRIPTIONS = subscriptions()
NOW = dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC)


class FakePrivacyWork(FakeBackofficeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.audited: list[dict[str, Any]] = []

    async def audit(self, actor: str, action: str, target: str, reason: str, details: Any) -> None:
        self.audited.append({"actor": actor, "action": action, "target": target, "reason": reason, **details})


async def with_claims(*claim_ids: str) -> FakePrivacyWork:
    uow = FakePrivacyWork()
    topic = "intake.claims-registered.v1"
    await SUBSCRIPTIONS[topic].apply(uow, [record(topic, registered(c)) for c in claim_ids])
    uow.committed.clear()
    return uow


def commands(uow: FakePrivacyWork) -> list[tuple[str, dict[str, Any]]]:
    return [(m.topic, json.loads(m.value)) for m in uow.committed]


async def test_an_export_asks_the_five_services_under_one_request_id_and_is_audited() -> None:
    uow = await with_claims("CLAIM-X1", "CLAIM-X2")
    request = await privacy_requests.ask_export(
        uow, "sup-1", ("email", CLAIM.contact.email.upper()), "demande art. 15", topic_prefix="", now=NOW
    )
    assert request.claim_ids == ("CLAIM-X1", "CLAIM-X2")
    sent = commands(uow)
    assert sorted(topic for topic, _ in sent) == [
        f"backoffice.{s}-commands.v1" for s in ("eligibility", "gateway", "intake", "notifications", "payments")
    ]
    assert {c["event_id"] for _, c in sent} == {str(request.request_id)}
    assert all(c["action"] == "privacy_export" and c["claim_ids"] == ["CLAIM-X1", "CLAIM-X2"] for _, c in sent)
    [row] = uow.audited
    assert (row["actor"], row["action"], row["reason"]) == ("sup-1", "privacy_export_requested", "demande art. 15")
    assert CLAIM.contact.email not in json.dumps(row)  # the audit names claims, not the e-mail


async def test_reading_an_export_is_an_unmasked_view_and_shows_erased_fields_by_their_date() -> None:
    uow = await with_claims("CLAIM-Y1")
    request = await privacy_requests.ask_export(
        uow, "aud-1", ("claim_id", "CLAIM-Y1"), "art. 15", topic_prefix="", now=NOW
    )
    await uow.erasures.record([Erasure("CLAIM-Y1", "bank", NOW, "retention")])
    await uow.privacy.erase("bank", ["CLAIM-Y1"])
    await uow.privacy.record_responses([AccessPart(request.request_id, "intake", ("CLAIM-Y1",), [{"x": 1}], NOW)])

    polled = await privacy_requests.read_export(uow, "aud-1", request.request_id)
    assert polled is not None
    assert (polled["complete"], polled["missing"]) == (False, ["eligibility", "payments", "notifications", "gateway"])
    assert polled["parts"] == [] and uow.audited[-1]["action"] == "privacy_request_read"
    await uow.privacy.record_responses(
        [AccessPart(request.request_id, s, ("CLAIM-Y1",), [], NOW) for s in polled["missing"]]
    )

    found = await privacy_requests.read_export(uow, "aud-1", request.request_id)

    assert found is not None and (found["complete"], found["missing"]) == (True, [])
    assert found["subject"] == {"claim_id": "CLAIM-Y1"}
    own = found["parts"][0]
    assert own["service"] == "backoffice"
    assert own["records"][0]["fields"]["iban_last4"] == {"erased_on": "2026-12-03"}
    assert own["records"][0]["fields"]["contact"]["email"] == CLAIM.contact.email
    assert {"service": "intake", "records": [{"x": 1}]} in found["parts"]
    assert uow.audited[-1]["action"] == audit.PERSONAL_DATA_VIEWED


async def test_an_erasure_is_asked_of_notifications_claim_by_claim() -> None:
    uow = await with_claims("CLAIM-Z1")
    sent = await privacy_requests.ask_erasure(
        uow, "sup-1", ("siren", CLAIM.applicant.siren), "art. 17", topic_prefix="", now=NOW
    )
    assert "CLAIM-Z1" in sent
    by_claim = {c["target"]: (topic, c) for topic, c in commands(uow)}
    topic, command = by_claim["CLAIM-Z1"]
    assert topic == "backoffice.notifications-commands.v1"
    assert (command["action"], command["event_id"], command["reason"]) == (
        "privacy_erase",
        str(sent["CLAIM-Z1"]),
        "art. 17",
    )
    assert uow.audited[-1]["action"] == "privacy_erasure_requested"


async def test_nobody_found_asks_no_erasure_and_a_request_without_a_reason_is_refused() -> None:
    uow = await with_claims()
    nobody = await privacy_requests.ask_erasure(
        uow, "sup-1", ("email", "nobody@example.fr"), "r", topic_prefix="", now=NOW
    )
    assert nobody == {} and uow.committed == []
    uow.audited.clear()
    with pytest.raises(PrivacyRefused):
        await privacy_requests.ask_export(uow, "sup-1", ("claim_id", "C-1"), "  ", topic_prefix="", now=NOW)
    assert uow.committed == [] and uow.audited == []


async def test_a_rectification_corrects_the_copy_here_and_is_sent_to_intake_without_the_value_in_the_audit() -> None:
    uow = await with_claims("CLAIM-R1")
    command_id, changed = await privacy_requests.ask_rectification(
        uow, "sup-1", "CLAIM-R1", {"email": "nouvelle@example.fr"}, "art. 16", topic_prefix="", now=NOW
    )
    assert changed and uow.claims.rows["CLAIM-R1"].contact["email"] == "nouvelle@example.fr"  # type: ignore[index]
    [(topic, command)] = commands(uow)
    assert topic == "backoffice.intake-commands.v1"
    assert (command["event_id"], command["rectification"]) == (str(command_id), {"email": "nouvelle@example.fr"})
    assert "nouvelle@example.fr" not in json.dumps(uow.audited)


def test_a_person_is_designated_by_exactly_one_selector() -> None:
    assert selector_of({"email": " a@b.fr ", "reason": "r"}) == ("email", "a@b.fr")
    assert selector_of({"email": "a@b.fr", "siren": "123456789"}) is None
    assert selector_of({"reason": "r"}) is None


def test_the_claim_page_says_effaced_on_the_date_where_the_contact_and_the_iban_were(
    pages: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = dataclasses.replace(CLAIM_DETAIL.emails[0], recipient=None) if CLAIM_DETAIL.emails else None
    detail = dataclasses.replace(
        CLAIM_DETAIL,
        claim=dataclasses.replace(CLAIM_DETAIL.claim, iban_last4=None, contact={}),
        emails=(email,) if email else (),
        erased={"contact": "effacé le 04/05/2023", "bank": "effacé le 04/05/2023"},
    )

    async def claim_detail(conn: Any, claim_id: str) -> Any:
        return detail

    monkeypatch.setattr(pages.read_model, "claim_detail", claim_detail)
    page = pages.client.get("/demandes/C-1", headers={"X-Role": "caseworker"})
    assert page.status_code == 200
    assert page.text.count("effacé le 04/05/2023") >= 2 + (1 if email else 0)
    assert "IBAN finissant par" not in page.text
