"""Every rule's result reads as a French sentence naming the values the rule looked at."""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing
from zoneinfo import ZoneInfo

import pytest

from guichet_common.contracts import EXAMPLES, ClaimSubmittedV1
from guichet_common.contracts.reason_codes import catalogue
from guichet_common.settings import project_root
from guichet_eligibility import domain
from guichet_eligibility import explain as explain_module
from guichet_eligibility.domain import rules
from guichet_eligibility.explain import PHRASES, explain, invoice_reason
from guichet_eligibility.translate import claim_facts
from guichet_programme import load_programmes

PARIS = ZoneInfo("Europe/Paris")
CFN = load_programmes(project_root() / "programmes")["cheque-france-num-2021"]
EXAMPLE = claim_facts(
    ClaimSubmittedV1.model_validate_json((EXAMPLES / "claims.submitted.v1.json").read_bytes()).claim, "ab" * 32
)
ACTIVE = domain.RegistryFacts(state="A", created_on=dt.date(2012, 3, 20), headcount_band="02")
NO_HISTORY = domain.History()


def subject(registry=ACTIVE, history=NO_HISTORY, **claim) -> domain.Subject:
    return domain.subject_for(dataclasses.replace(EXAMPLE, **claim), registry, history, CFN)


def sentence(code: str, s: domain.Subject) -> tuple[bool, str]:
    result = rules.RULES[code](s)
    return result.passed, explain(result.code, result.passed, result.observed)


def test_every_rule_code_has_a_phrase() -> None:
    assert set(rules.RULES) <= set(PHRASES), f"no French phrase for {sorted(set(rules.RULES) - set(PHRASES))}"


@pytest.mark.parametrize("code", sorted(rules.RULES))
def test_every_rule_on_the_approved_example_reads_as_a_sentence_not_as_raw_values(code: str) -> None:
    passed, text = sentence(code, subject())
    assert passed
    assert not text.startswith(code), text  # the raw fallback starts with the code


# One failing subject per rule, and the values the sentence must name.
FAILING = {
    "FILED_OUTSIDE_WINDOW": (
        subject(submitted_at=dt.datetime(2021, 8, 1, 9, 30, tzinfo=PARIS)),
        ["01/08/2021 à 09:30 (heure de Paris)", "en dehors", "du 28/01/2021 au 31/07/2021"],
    ),
    "COMPANY_CEASED": (subject(registry=dataclasses.replace(ACTIVE, state="C")), ["cessée", "« C »"]),
    "HEADCOUNT_TOO_HIGH": (subject(headcount=12), ["trop élevé", "12 salarié", "inférieur à 11", "« 02 »"]),
    "TURNOVER_TOO_HIGH": (
        subject(turnover_excl_tax_cents=250_000_000),
        ["2 500 000,00 € HT", "au-dessus du plafond", "2 000 000,00 € HT"],
    ),
    "ACTIVITY_TOO_RECENT": (
        subject(activity_started_on=dt.date(2020, 11, 2)),
        ["trop récente", "02/11/2020", "20/03/2012", "avant le 30/10/2020"],
    ),
    "NOT_CLOSED_TO_PUBLIC": (subject(closed_to_public=False), ["Pas déclarée fermée", "47.71Z"]),
    "NOT_REGISTERED_RCS_RM": (subject(registered_rcs_rm=False), ["Pas déclarée immatriculée"]),
    "MANAGER_EMPLOYED_FULL_TIME": (
        subject(manager_full_time_employee=True, headcount=0),
        ["déclare un emploi salarié à temps plein", "0 salarié", "n'est pas éligible"],
    ),
    "DECLARATION_MISSING": (
        subject(declarations=(("tax_and_social_obligations_met", False), ("information_accurate", True))),
        ["manquante", "obligations fiscales et sociales"],
    ),
    "OVERSEAS_EXCLUDED": (subject(postcode="98714"), ["98714", "dans les territoires exclus", "986, 987, 988"]),
    "FILED_BY_DIGITAL_PROVIDER": (subject(filed_by_kind="digital_provider"), ["prestataire numérique"]),
    "EXPENSES_BELOW_MINIMUM": (
        subject(invoices=(dataclasses.replace(EXAMPLE.invoices[0], issued_on=dt.date(2020, 9, 1)),)),
        ["0,00 € TTC", "sous le minimum de 450,00 € TTC", "WEB-2021-0042", "datée du 01/09/2020"],
    ),
    "ALREADY_AIDED": (subject(history=domain.History(other_claims_holding_aid=1)), ["déjà 1 autre"]),
    "REGISTRY_NO_RECORD": (subject(registry=None), ["642515712 absent du répertoire"]),
    "INVOICE_REUSED": (
        subject(history=domain.History(sirens_reusing_invoices=frozenset({"732829320"}))),
        ["SIREN 732829320"],
    ),
    "IBAN_SHARED": (
        subject(history=domain.History(other_sirens_with_iban=frozenset({"732829320", "611037532"}))),
        ["3 entreprise", "à partir de 3"],
    ),
}


def test_every_rule_has_a_failing_case_below() -> None:
    assert set(FAILING) == set(rules.RULES)


@pytest.mark.parametrize("code", sorted(FAILING))
def test_a_failing_rule_names_the_values_it_saw(code: str) -> None:
    s, expected = FAILING[code]
    passed, text = sentence(code, s)
    assert not passed
    for fragment in expected:
        assert fragment in text, f"{fragment!r} missing from {text!r}"


def test_an_unknown_code_shows_the_code_and_its_raw_values() -> None:
    assert explain("NEW_RULE", False, {"seen": 42}) == "NEW_RULE non respectée (seen = 42)"


def test_a_known_code_with_values_of_another_shape_falls_back_instead_of_failing() -> None:
    assert explain("TURNOVER_TOO_HIGH", False, {"turnover": 3}) == "TURNOVER_TOO_HIGH non respectée (turnover = 3)"


@pytest.mark.parametrize(
    ("rejection", "sentence"),
    [
        (
            domain.InvoiceRejection(
                "INVOICE_OUTSIDE_PERIOD",
                issued_on=dt.date(2021, 7, 1),
                earliest=dt.date(2020, 10, 30),
                latest=dt.date(2021, 6, 30),
            ),
            "datée du 01/07/2021, hors de la période du 30/10/2020 au 30/06/2021",
        ),
        (
            domain.InvoiceRejection(
                "INVOICE_AFTER_CLAIM", issued_on=dt.date(2021, 3, 3), submitted_on=dt.date(2021, 3, 2)
            ),
            "datée du 03/03/2021, après la demande",
        ),
        (domain.InvoiceRejection("INVOICE_FROM_APPLICANT"), "émise par l'entreprise elle-même"),
        (
            domain.InvoiceRejection("INVOICE_CATEGORY_NOT_COVERED", category="hardware"),
            "catégorie hardware non couverte",
        ),
        (domain.InvoiceRejection("INVOICE_SUPPORT_NOT_REFERENCED"), "accompagnement non référencé"),
    ],
)
def test_every_invoice_rejection_reads_in_french_from_its_code_and_values(
    rejection: domain.InvoiceRejection, sentence: str
) -> None:
    assert invoice_reason(rejection.as_record()) == sentence


def test_an_invoice_reason_stored_before_reasons_had_codes_is_shown_as_it_is() -> None:
    assert invoice_reason("dated 2020-09-01, outside 2020-10-30..2021-06-30") == (
        "dated 2020-09-01, outside 2020-10-30..2021-06-30"
    )


def test_an_unknown_invoice_rejection_shows_its_code_and_values() -> None:
    assert invoice_reason({"code": "INVOICE_NEW", "seen": 3}) == "INVOICE_NEW (seen = 3)"
    assert invoice_reason({"code": "INVOICE_OUTSIDE_PERIOD"}) == "INVOICE_OUTSIDE_PERIOD (aucune valeur)"


def test_an_invoice_reason_is_the_catalogues_detail_filled_with_the_invoices_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reason = catalogue()["INVOICE_AFTER_CLAIM"]
    changed = {**catalogue(), reason.code: reason.model_copy(update={"detail_fr": "émise le {issued_on}"})}
    monkeypatch.setattr(explain_module, "catalogue", lambda: changed)
    assert invoice_reason({"code": "INVOICE_AFTER_CLAIM", "issued_on": "2021-03-03"}) == "émise le 03/03/2021"


def test_every_invoice_rejection_code_has_its_detail_in_the_catalogue_and_is_never_on_a_status() -> None:
    codes = set(typing.get_args(domain.InvoiceRejectionCode))
    assert codes and all(catalogue()[code].detail_fr and not catalogue()[code].on_status for code in codes)
