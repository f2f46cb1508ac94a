import pytest

from guichet_intake import domain

VALID = domain.Identifiers(siren="642515712", siret="64251571240532", iban="FR7693233145437431125912957")


def test_the_contract_example_passes_every_identifier_check() -> None:
    assert domain.identifier_refusals(VALID) == []


@pytest.mark.parametrize(
    ("ids", "codes"),
    [
        (domain.Identifiers("642515713", "64251571340532", VALID.iban), ["SIREN_INVALID", "SIRET_INVALID"]),
        # A SIRET whose own checksum holds is not reported again for its SIREN's bad checksum.
        (domain.Identifiers("642515713", "64251571300005", VALID.iban), ["SIREN_INVALID"]),
        (domain.Identifiers(VALID.siren, "64251571240533", VALID.iban), ["SIRET_INVALID"]),
        # A valid SIRET of another company does not belong to this SIREN.
        (domain.Identifiers(VALID.siren, "73282932000074", VALID.iban), ["SIRET_INVALID"]),
        (domain.Identifiers(VALID.siren, VALID.siret, "FR7693233145437431125912958"), ["IBAN_INVALID"]),
        (domain.Identifiers(VALID.siren, VALID.siret, "FR76932331454374311259129"), ["IBAN_INVALID"]),
    ],
)
def test_every_failing_identifier_is_reported(ids: domain.Identifiers, codes: list[str]) -> None:
    assert domain.identifier_refusals(ids) == codes


def test_la_poste_sirets_follow_their_own_rule() -> None:
    # 356000000 is La Poste: its establishments fail Luhn but have a digit sum that is a multiple of 5.
    assert domain.siret_is_valid("35600000049837", "356000000")
    assert not domain.siret_is_valid("35600000049838", "356000000")


def test_unknown_programme_is_refused() -> None:
    assert domain.programme_refusals("nope", frozenset({"cheque-france-num-2021"})) == ["UNKNOWN_PROGRAMME"]
    assert domain.programme_refusals("cheque-france-num-2021", frozenset({"cheque-france-num-2021"})) == []
