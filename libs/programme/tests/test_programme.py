"""Programme files: both shipped programmes load; a bad file stops start-up with its file and key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from guichet_programme import ProgrammeFileError, load_programme, load_programmes

PROGRAMMES = Path(__file__).resolve().parents[3] / "programmes"
SHIPPED = PROGRAMMES / "cheque-france-num-2021.toml"


def test_the_shipped_programmes_load() -> None:
    programmes = load_programmes(PROGRAMMES)
    assert set(programmes) == {"cheque-france-num-2021", "pass-numerique-region-2021"}
    assert programmes["cheque-france-num-2021"].grant.amount_cents == 50_000


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (("minimum_incl_tax_cents = 45_000", "minimum_incl_tax_cents = -1"), "invoices.minimum_incl_tax_cents"),
        (("amount_cents = 50_000", "amount_cents = 50_000\nbonus_cents = 1"), "grant.flat.bonus_cents"),
        (('timezone = "Europe/Paris"', 'timezone = "Europe/Nowhere"'), "timezone"),
        (("latest = 2021-06-30", "latest = 2020-01-01"), "invoices.latest must not be before"),
        (("total_cents = 6_000_000_000", "total_cents = 'lots'"), "budget.total_cents"),
    ],
)
def test_a_bad_key_is_named_with_its_file(tmp_path: Path, edit: tuple[str, str], named: str) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    assert edit[0] in text
    broken = tmp_path / "broken.toml"
    broken.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(ProgrammeFileError) as error:
        load_programme(broken)
    assert str(broken) in str(error.value) and named in str(error.value)


def test_not_toml_at_all(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("id = ", encoding="utf-8")
    with pytest.raises(ProgrammeFileError, match="not valid TOML"):
        load_programme(broken)


def test_the_pain001_version_is_chosen_per_programme_and_defaults_to_03(tmp_path: Path) -> None:
    programmes = load_programmes(PROGRAMMES)
    assert programmes["cheque-france-num-2021"].payment.pain001_version == "001.001.03"  # not set: the default
    assert programmes["pass-numerique-region-2021"].payment.pain001_version == "001.001.09"

    text = SHIPPED.read_text(encoding="utf-8")
    anchor = 'remittance_prefix = "CHEQUE FRANCE NUM 2021"'
    broken = tmp_path / "broken.toml"
    broken.write_text(text.replace(anchor, anchor + '\npain001_version = "001.001.10"', 1), encoding="utf-8")
    with pytest.raises(ProgrammeFileError) as error:
        load_programme(broken)
    assert "payment.pain001_version" in str(error.value)
