"""The accountant's control sheet of a pain.001 file: the batch's figures and SHA-256, one line per transfer with
its IBAN masked and no names, exact euros, escaped HTML without script, CSV a spreadsheet cannot run."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from html.parser import HTMLParser

import pytest

from guichet_payments.control_sheet import ControlSheet, euros_fr, masked_iban
from guichet_payments.sepa import BatchFile, Debtor, Transfer, credit_transfer_xml
from guichet_payments.sepa_versions import MESSAGE_VERSIONS

IBAN = "FR7630006000011234567890189"
DEBTOR = Debtor(name="AGENCE DE SERVICES ET DE PAIEMENT", iban="FR7630001007941234567890185", bic="BDFEFRPPCCT")
NAMES = ["BOULANGERIE DUPONT", "Jeanne Martin"]


def pain001(version: str = "pain.001.001.03") -> bytes:
    transfers = (
        Transfer("P-1", 123_456, NAMES[0], IBAN, "AGRIFRPP", "CFN 2021 DOSSIER C-000001"),
        Transfer("P-2-2", 1, NAMES[1], "DE89370400440532013000", None, "+CFN <b>&amp; C-2"),
    )
    created = dt.datetime(2021, 5, 3, 10, tzinfo=dt.UTC)
    return credit_transfer_xml(BatchFile("CFN-1", DEBTOR, dt.date(2021, 5, 4), created, transfers, version))


def sheet(version: str = "pain.001.001.03") -> ControlSheet:
    return ControlSheet.of(pain001(version), programme="cheque-france-num-2021", file_name="CFN-1.xml")


@pytest.mark.parametrize("version", MESSAGE_VERSIONS)
def test_the_csv_has_the_batch_figures_then_one_line_per_transfer(version):
    xml = pain001(version)
    content = ControlSheet.of(xml, programme="cheque-france-num-2021", file_name="CFN-1.xml").csv()

    assert content.startswith("\ufeff".encode())  # a spreadsheet then reads UTF-8 accents
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    summary = dict(row for row in rows[: rows.index([])])
    assert summary == {
        "Lot": "CFN-1",
        "Programme": "cheque-france-num-2021",
        "Message": version,
        "Fichier": "CFN-1.xml",
        "Créé le": "2021-05-03T10:00:00+00:00",
        "Date d'exécution demandée": "2021-05-04",
        "Nombre de virements": "2",
        "Somme de contrôle (EUR)": "1234.57",
        "SHA-256 du fichier XML": hashlib.sha256(xml).hexdigest(),
    }
    header, *lines = rows[rows.index([]) + 1 :]
    assert header == ["EndToEndId", "Référence (libellé)", "Montant (EUR)", "IBAN (masqué)", "BIC"]
    assert lines == [
        ["P-1", "CFN 2021 DOSSIER C-000001", "1234.56", "FR*****", "AGRIFRPP"],
        ["P-2-2", "'+CFN b +amp, C-2", "0.01", "DE*****", ""],  # a leading + would be a formula
    ]


@pytest.mark.parametrize("version", MESSAGE_VERSIONS)
def test_no_sheet_carries_a_full_iban_or_a_name(version):
    for content in (sheet(version).csv(), sheet(version).html()):
        text = content.decode("utf-8-sig")
        assert IBAN not in text and "DE89370400440532013000" not in text and "0532013000" not in text
        assert not any(name.upper() in text.upper() for name in NAMES)


def test_the_html_is_escaped_french_printable_and_has_no_script():
    page = sheet().html().decode("utf-8")
    parsed = _Page()
    parsed.feed(page)

    assert page.startswith("<!DOCTYPE html>") and parsed.lang == "fr"
    assert parsed.tags.isdisjoint({"script", "iframe", "object", "embed", "link", "img", "form"})
    assert not any(name.startswith("on") for name in parsed.attributes) and "javascript:" not in page.lower()
    assert "@media print" in page and "Bordereau de contrôle – lot CFN-1" in parsed.text
    assert "1\u202f234,57\u00a0€" in parsed.text  # the control sum, exact, as a French reader writes it
    assert "Total des 2 lignes" in parsed.text and "1\u202f234,57\u00a0€" in page.split("<tfoot>")[1]
    assert hashlib.sha256(pain001()).hexdigest() in parsed.text


def test_every_value_on_the_page_is_escaped():
    hostile = ControlSheet.of(pain001(), programme="<script>alert(1)</script>", file_name="a&b\"'.xml")
    page = hostile.html().decode("utf-8")

    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a&amp;b&quot;&#x27;.xml" in page


def test_a_sheet_is_the_same_bytes_for_the_same_file():
    assert sheet().csv() == sheet().csv() and sheet().html() == sheet().html()


@pytest.mark.parametrize(
    ("iban", "shown"), [(IBAN, "FR*****"), ("fr76 3000 6000 0112 3456 7890 189", "FR*****"), ("XX12", "XX*****")]
)
def test_an_account_is_never_shown_in_full(iban, shown):
    assert masked_iban(iban) == shown


@pytest.mark.parametrize(
    ("cents", "text"),
    [(1, "0,01\u00a0€"), (150_000, "1\u202f500,00\u00a0€"), (999_999_999, "9\u202f999\u202f999,99\u00a0€")],
)
def test_french_euros_are_exact(cents, text):
    assert euros_fr(cents) == text


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.lang: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes |= {name for name, _ in attrs}
        if tag == "html":
            self.lang = dict(attrs).get("lang")

    def handle_data(self, data):
        self.text += data
