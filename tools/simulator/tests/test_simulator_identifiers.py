"""SIREN, SIRET, VAT numbers and IBANs are valid by construction, or invalid exactly where intended."""

from __future__ import annotations

import random

import pytest
from schwifty import IBAN
from stdnum import luhn
from stdnum.fr import siren, siret, tva

from guichet_simulator.company import headcount_band
from guichet_simulator.identifiers import corrupt_siren, random_iban, random_siren, random_siret, vat_number


def test_good_claims_carry_a_valid_siren_siret_and_iban(good_claims):
    for claim in good_claims:
        applicant = claim.event["claim"]["applicant"]
        assert siren.is_valid(applicant["siren"])
        assert siret.is_valid(applicant["siret"])
        assert applicant["siret"].startswith(applicant["siren"])
        iban = IBAN(claim.event["claim"]["bank_account"]["iban"], validate_bban=True)
        assert iban.country_code == "FR"


def test_siren_invalid_claims_fail_only_the_siren_check(by_reason):
    claims = by_reason["SIREN_INVALID"]
    assert claims
    for claim in claims:
        applicant = claim.event["claim"]["applicant"]
        assert not siren.is_valid(applicant["siren"])
        # The spec's SIRET rule (14-digit Luhn, starts with the SIREN) still holds: SIREN_INVALID is the only code.
        assert luhn.is_valid(applicant["siret"]) and applicant["siret"].startswith(applicant["siren"])
        IBAN(claim.event["claim"]["bank_account"]["iban"], validate_bban=True)
        assert claim.registry_record is None


def test_suppliers_are_identified_by_a_valid_siren_or_vat_number_other_than_the_applicant(many_claims):
    for claim in many_claims:
        applicant_siren = claim.event["claim"]["applicant"]["siren"]
        for invoice in claim.event["claim"]["invoices"]:
            assert ("supplier_siren" in invoice) != ("supplier_vat_number" in invoice)
            if "supplier_siren" in invoice:
                assert siren.is_valid(invoice["supplier_siren"])
                assert invoice["supplier_siren"] != applicant_siren
            else:
                assert tva.is_valid(invoice["supplier_vat_number"])
                assert invoice["supplier_vat_number"][4:] != applicant_siren


def test_accountants_file_with_a_valid_siren(many_claims):
    filers = [c.event["claim"]["filed_by"] for c in many_claims]
    accountants = [f for f in filers if f["kind"] != "applicant"]
    assert accountants
    for filed_by in accountants:
        assert filed_by["kind"] == "accountant" and siren.is_valid(filed_by["siren"])


@pytest.mark.parametrize("seed", range(20))
def test_identifier_helpers(seed):
    rng = random.Random(seed)
    number = random_siren(rng)
    assert siren.is_valid(number)
    assert not siren.is_valid(corrupt_siren(rng, number))
    assert siret.is_valid(random_siret(rng, number))
    assert vat_number(number) == "FR" + siren.to_tva(number) and tva.is_valid(vat_number(number))
    iban, bic = random_iban(rng)
    assert IBAN(iban, validate_bban=True).bic == bic


def test_vat_key_matches_the_published_formula():
    assert vat_number("642515712") == f"FR{(12 + 3 * (642515712 % 97)) % 97:02d}642515712"


@pytest.mark.parametrize(
    ("headcount", "employer", "band"),
    [
        (0, False, "NN"),
        (0, True, "00"),
        (1, True, "01"),
        (2, True, "01"),
        (3, True, "02"),
        (5, True, "02"),
        (6, True, "03"),
        (9, True, "03"),
        (10, True, "11"),
        (12, True, "11"),
        (20, True, "12"),
    ],
)
def test_headcount_band(headcount, employer, band):
    assert headcount_band(headcount, employer=employer) == band
