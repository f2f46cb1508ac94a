"""SEPA credit-transfer files: schema validity (pain.001.001.03 and .09), totals, identifiers, character set.
Writing them is outbound's (test_outbound.py)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from sepaxml.validation import ValidationError

from guichet_payments import sepa_versions
from guichet_payments.sepa import (
    BatchFile,
    Debtor,
    Transfer,
    control_sum_cents,
    credit_transfer_xml,
    sepa_text,
    transaction_count,
)
from guichet_payments.sepa_versions import MESSAGE_VERSIONS
from guichet_programme import PaymentSettings

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"
PARIS = dt.timezone(dt.timedelta(hours=2))
SEPA_CHARACTERS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")
DEBTOR = Debtor(name="AGENCE DE SERVICES ET DE PAIEMENT", iban="FR7630001007941234567890185", bic="BDFEFRPPCCT")
BATCH_ID = "CFN-20210503-100000-a1b2c3"


def iban(country: str, bban: str) -> str:
    """A checksum-valid IBAN, so the test data looks like what the service accepts."""
    digits = "".join(str(int(char, 36)) for char in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def payment_id(number: int) -> str:
    return f"P{number:030x}"  # the shape of domain.new_payment_id(): 31 characters


def transfer(number: int = 1, **changes) -> Transfer:
    fields = {
        "end_to_end_id": payment_id(number),
        "amount_cents": 50_000,
        "creditor_name": f"BOULANGERIE {number}",
        "creditor_iban": iban("FR", f"3000600001{number:011d}89"),
        "creditor_bic": "AGRIFRPP",
        "remittance": f"CHEQUE FRANCE NUM 2021 DOSSIER C-{number:06d}",
    }
    fields.update(changes)
    return Transfer(**fields)


def batch(transfers, **changes) -> BatchFile:
    fields = {
        "batch_id": BATCH_ID,
        "debtor": DEBTOR,
        "execution_date": dt.date(2021, 5, 4),
        "created_at": dt.datetime(2021, 5, 3, 10, 0, 0, tzinfo=PARIS),
        "transfers": tuple(transfers),
    }
    fields.update(changes)
    return BatchFile(**fields)


def parse(xml: bytes) -> ET.Element:
    return ET.fromstring(xml)


def text(root: ET.Element, path: str) -> str:
    node = root.find(path, NS)
    assert node is not None, path
    return node.text


def transactions(root: ET.Element) -> list[ET.Element]:
    return root.findall("p:CstmrCdtTrfInitn/p:PmtInf/p:CdtTrfTxInf", NS)


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


# --- the file against the official schema -------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 500])
def test_file_validates_against_the_official_pain_001_001_03_schema(schema, count):
    xml = credit_transfer_xml(
        batch(transfer(n, creditor_bic=None if n % 3 == 0 else "AGRIFRPP") for n in range(1, count + 1))
    )

    schema.validate(xml.decode())
    root = parse(xml)
    assert len(root.findall("p:CstmrCdtTrfInitn/p:PmtInf", NS)) == 1
    assert len(transactions(root)) == count
    assert transaction_count(xml) == count
    assert control_sum_cents(xml) == count * 50_000


def test_file_with_awkward_names_still_validates(schema):
    awkward = [
        transfer(1, creditor_name="HÔTEL CARON & FILS", remittance="Réf. «été» n° 12 — 50 %"),
        transfer(2, creditor_name="Ærøskøbing Straße Łódź " * 10, remittance="€" * 300),
        transfer(3, creditor_name='<script>"x"</script>; DROP TABLE', remittance="a_b{c}[d]|e\\f!g@h#i\n"),
    ]
    schema.validate(credit_transfer_xml(batch(awkward)).decode())


def test_the_same_batch_gives_the_same_bytes():
    transfers = [transfer(n) for n in range(1, 4)]
    assert credit_transfer_xml(batch(transfers)) == credit_transfer_xml(batch(transfers))


# --- totals --------------------------------------------------------------------------------------------------


def test_control_sum_and_count_equal_the_transfers():
    xml = credit_transfer_xml(batch(transfer(n, amount_cents=50_000) for n in range(1, 4)))
    root = parse(xml)

    assert text(root, "p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum") == "1500.00"
    assert text(root, "p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs") == "3"
    assert text(root, "p:CstmrCdtTrfInitn/p:PmtInf/p:CtrlSum") == "1500.00"
    assert text(root, "p:CstmrCdtTrfInitn/p:PmtInf/p:NbOfTxs") == "3"
    assert control_sum_cents(xml) == 150_000
    assert transaction_count(xml) == 3


def test_amounts_are_exact_to_the_cent():
    amounts = [1, 99, 100, 12_345, 50_000, 999_999_999]
    xml = credit_transfer_xml(batch(transfer(n, amount_cents=cents) for n, cents in enumerate(amounts, 1)))

    instructed = [tx.find("p:Amt/p:InstdAmt", NS) for tx in transactions(parse(xml))]
    assert [node.text for node in instructed] == ["0.01", "0.99", "1.00", "123.45", "500.00", "9999999.99"]
    assert {node.get("Ccy") for node in instructed} == {"EUR"}
    assert control_sum_cents(xml) == sum(amounts)
    assert text(parse(xml), "p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum") == "10000625.44"


def test_header_readers_reject_a_file_without_a_group_header():
    with pytest.raises(ValueError, match="CtrlSum"):
        control_sum_cents(b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.001.001.03'/>")
    with pytest.raises(ValueError, match="NbOfTxs"):
        transaction_count(b"<Document/>")


def test_control_sum_reader_rejects_fractions_of_a_cent():
    xml = b"<Document><CstmrCdtTrfInitn><GrpHdr><CtrlSum>1.005</CtrlSum></GrpHdr></CstmrCdtTrfInitn></Document>"
    with pytest.raises(ValueError, match="fractions of a cent"):
        control_sum_cents(xml)


# --- where things go -----------------------------------------------------------------------------------------


def test_identifiers_accounts_and_remittance_are_where_they_belong():
    transfers = [
        transfer(1),
        transfer(2, end_to_end_id=payment_id(2) + "-2", creditor_bic=None, remittance="CFN DOSSIER C-2"),
    ]
    root = parse(credit_transfer_xml(batch(transfers)))
    header = "p:CstmrCdtTrfInitn/p:GrpHdr"
    info = "p:CstmrCdtTrfInitn/p:PmtInf"

    assert text(root, f"{header}/p:MsgId") == BATCH_ID
    assert text(root, f"{header}/p:CreDtTm") == "2021-05-03T10:00:00+02:00"
    assert text(root, f"{header}/p:InitgPty/p:Nm") == DEBTOR.name
    assert text(root, f"{info}/p:PmtInfId") == BATCH_ID
    assert text(root, f"{info}/p:PmtMtd") == "TRF"
    assert text(root, f"{info}/p:PmtTpInf/p:SvcLvl/p:Cd") == "SEPA"
    assert text(root, f"{info}/p:ReqdExctnDt") == "2021-05-04"
    assert text(root, f"{info}/p:Dbtr/p:Nm") == DEBTOR.name
    assert text(root, f"{info}/p:DbtrAcct/p:Id/p:IBAN") == DEBTOR.iban
    assert text(root, f"{info}/p:DbtrAgt/p:FinInstnId/p:BIC") == DEBTOR.bic
    assert text(root, f"{info}/p:ChrgBr") == "SLEV"

    first, second = transactions(root)
    for node, sent in zip([first, second], transfers):
        assert text(node, "p:PmtId/p:EndToEndId") == sent.end_to_end_id
        assert text(node, "p:Cdtr/p:Nm") == sent.creditor_name
        assert text(node, "p:CdtrAcct/p:Id/p:IBAN") == sent.creditor_iban
        assert text(node, "p:RmtInf/p:Ustrd") == sent.remittance
    assert text(second, "p:PmtId/p:EndToEndId").endswith("-2")
    assert text(first, "p:CdtrAgt/p:FinInstnId/p:BIC") == "AGRIFRPP"
    assert second.find("p:CdtrAgt", NS) is None  # no BIC given: no agent, the IBAN is enough within SEPA


def test_ibans_and_bics_are_normalised():
    spaced = "fr76 3000 6000 0112 3456 7890 189"
    root = parse(credit_transfer_xml(batch([transfer(1, creditor_iban=spaced, creditor_bic=" agrifrpp ")])))

    (node,) = transactions(root)
    assert text(node, "p:CdtrAcct/p:Id/p:IBAN") == "FR7630006000011234567890189"
    assert text(node, "p:CdtrAgt/p:FinInstnId/p:BIC") == "AGRIFRPP"


def test_an_iban_the_schema_refuses_is_refused_by_sepaxml():
    with pytest.raises(ValidationError):
        credit_transfer_xml(batch([transfer(1, creditor_iban="not an iban")]))


def test_debtor_from_programme_payment_settings():
    settings = PaymentSettings.model_construct(
        debtor_name=DEBTOR.name, debtor_iban=DEBTOR.iban, debtor_bic=DEBTOR.bic, remittance_prefix="CFN 2021"
    )
    assert Debtor.from_settings(settings) == DEBTOR


# --- character set and lengths -------------------------------------------------------------------------------


def test_accents_and_ampersands_are_transliterated_in_the_file():
    root = parse(
        credit_transfer_xml(
            batch(
                [transfer(1, creditor_name="HÔTEL CARON & FILS", remittance="Chèque France Num — dossier n° 7")],
                debtor=Debtor(name="Agence de Services & de Paiement (ASP)", iban=DEBTOR.iban, bic=DEBTOR.bic),
            )
        )
    )
    (node,) = transactions(root)
    assert text(node, "p:Cdtr/p:Nm") == "HOTEL CARON + FILS"
    assert text(node, "p:RmtInf/p:Ustrd") == "Cheque France Num -- dossier no 7"
    assert text(root, "p:CstmrCdtTrfInitn/p:PmtInf/p:Dbtr/p:Nm") == "Agence de Services + de Paiement (ASP)"


def test_long_names_are_cut_to_70_and_remittance_to_140():
    name = "SOCIÉTÉ COOPÉRATIVE DES ARTISANS " * 5
    remittance = "CHEQUE FRANCE NUM 2021 DOSSIER " + "X" * 200
    (node,) = transactions(parse(credit_transfer_xml(batch([transfer(1, creditor_name=name, remittance=remittance)]))))

    assert text(node, "p:Cdtr/p:Nm") == sepa_text(name, 70)
    assert len(text(node, "p:Cdtr/p:Nm")) == 70
    assert text(node, "p:Cdtr/p:Nm").startswith("SOCIETE COOPERATIVE DES ARTISANS SOCIETE")
    assert text(node, "p:RmtInf/p:Ustrd") == remittance[:140]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("HÔTEL CARON & FILS", "HOTEL CARON + FILS"),
        ("Crêperie de l’Île", "Creperie de l'Ile"),
        ("Œuvres & Cie", "OEuvres + Cie"),
        ("Straße", "Strasse"),
        ("n° 12", "no 12"),
        ("«Chez Zoé»", "Chez Zoe"),
        ("a_b", "a-b"),
        ('Le "Bon" Coin; ouvert!', "Le 'Bon' Coin, ouvert."),
        ("  plusieurs \t espaces\n", "plusieurs espaces"),
        ("contact@exemple.fr #1", "contact exemple.fr 1"),
        ("Dossier 12/2021 (avance) : 50,00 ?", "Dossier 12/2021 (avance) : 50,00 ?"),
    ],
)
def test_sepa_text_transliterates(value, expected):
    assert sepa_text(value, 140) == expected


@pytest.mark.parametrize("value", ["Łódź 😀 中国 Ωμέγα ½ € ™ ©", "<>{}[]|\\~^`$%*=@#", "\u00a0\u200b\ufeff"])
def test_sepa_text_only_ever_returns_sepa_characters(value):
    assert set(sepa_text(value, 140)) <= SEPA_CHARACTERS


def test_sepa_text_cuts_to_the_limit_without_a_trailing_space():
    assert sepa_text("ABCDE FGHIJ", 5) == "ABCDE"
    assert sepa_text("ABCDE FGHIJ", 6) == "ABCDE"
    assert sepa_text("É" * 100, 70) == "E" * 70
    with pytest.raises(ValueError):
        sepa_text("x", 0)


# --- refused input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, -1, True, 500.0, "500"])
def test_amount_must_be_positive_integer_cents(amount):
    with pytest.raises(ValueError, match="amount_cents"):
        transfer(1, amount_cents=amount)


@pytest.mark.parametrize("end_to_end_id", ["", "P" * 36, "P1 2", "/P12", "P12/", "P1//2", "Pé"])
def test_end_to_end_id_must_be_a_sepa_identifier(end_to_end_id):
    with pytest.raises(ValueError, match="end_to_end_id"):
        transfer(1, end_to_end_id=end_to_end_id)


def test_end_to_end_id_of_35_characters_is_accepted():
    assert transfer(1, end_to_end_id=payment_id(1) + "-999").end_to_end_id == payment_id(1) + "-999"


@pytest.mark.parametrize("field", ["creditor_name", "remittance"])
def test_texts_with_nothing_left_are_refused(field):
    with pytest.raises(ValueError, match=field):
        transfer(1, **{field: "😀 ~"})


def test_batch_checks():
    with pytest.raises(ValueError, match="batch_id"):
        batch([transfer(1)], batch_id="B" * 36)
    with pytest.raises(ValueError, match="aware"):
        batch([transfer(1)], created_at=dt.datetime(2021, 5, 3, 10, 0))
    with pytest.raises(ValueError, match="no transfers"):
        batch([])
    with pytest.raises(ValueError, match="repeats EndToEndIds"):
        batch([transfer(1), transfer(2, end_to_end_id=payment_id(1))])
    assert isinstance(batch([transfer(1)]).transfers, tuple)


# --- pain.001.001.09 -----------------------------------------------------------------------------------------

NS09 = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
XSD09 = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.09.xsd"


def test_a_001_001_09_file_validates_against_its_official_schema():
    transfers = [transfer(n, creditor_bic=None if n % 3 == 0 else "AGRIFRPP") for n in range(1, 8)]
    xml = credit_transfer_xml(batch(transfers, message_version="pain.001.001.09"))

    xmlschema.XMLSchema(str(XSD09)).validate(xml.decode())  # an independent validator, not the one sepa.py uses
    root = parse(xml)
    assert root.tag == "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.09}Document"
    info = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS09)
    assert info.find("p:ReqdExctnDt/p:Dt", NS09).text == "2021-05-04"  # a choice of Dt or DtTm in .09
    assert info.find("p:DbtrAgt/p:FinInstnId/p:BICFI", NS09).text == DEBTOR.bic
    first = info.find("p:CdtTrfTxInf", NS09)
    assert first.find("p:CdtrAgt/p:FinInstnId/p:BICFI", NS09).text == "AGRIFRPP"
    assert root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", NS09).text == BATCH_ID
    assert root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:CreDtTm", NS09).text == "2021-05-03T10:00:00+02:00"
    assert (control_sum_cents(xml), transaction_count(xml)) == (7 * 50_000, 7)


def test_a_broken_001_001_09_file_does_not_validate():
    xml = credit_transfer_xml(batch([transfer(1)], message_version="pain.001.001.09"))
    as_03 = xml.replace(b"<ReqdExctnDt><Dt>2021-05-04</Dt></ReqdExctnDt>", b"<ReqdExctnDt>2021-05-04</ReqdExctnDt>")
    old_bic = xml.replace(b"BICFI>", b"BIC>")
    assert as_03 != xml and old_bic != xml

    for broken in (as_03, old_bic):
        with pytest.raises(ValidationError, match="pain.001.001.09"):
            sepa_versions.validate(broken, "pain.001.001.09")
        assert not xmlschema.XMLSchema(str(XSD09)).is_valid(broken.decode())
    with pytest.raises(ValidationError):  # and a .09 file is not a .03 one
        sepa_versions.validate(xml, "pain.001.001.03")


def test_the_two_versions_carry_the_same_transfers_and_are_each_deterministic():
    transfers = [transfer(n, amount_cents=n * 1_001) for n in range(1, 5)]
    files = {version: credit_transfer_xml(batch(transfers, message_version=version)) for version in MESSAGE_VERSIONS}

    read = {version: sepa_versions.read_written_file(xml) for version, xml in files.items()}
    assert read["pain.001.001.03"].transfers == read["pain.001.001.09"].transfers
    assert [r.message for r in read.values()] == list(MESSAGE_VERSIONS)
    assert {r.execution_date for r in read.values()} == {dt.date(2021, 5, 4)}
    assert {(r.control_sum_cents, r.transfer_count) for r in read.values()} == {(10 * 1_001, 4)}
    for version, xml in files.items():
        assert credit_transfer_xml(batch(transfers, message_version=version)) == xml


def test_an_unknown_version_is_refused():
    with pytest.raises(ValueError, match="message_version"):
        batch([transfer(1)], message_version="pain.001.001.10")
    with pytest.raises(ValueError, match="pain001_version"):
        sepa_versions.message_version("001.001.11")
    assert sepa_versions.message_version("001.001.09") == "pain.001.001.09"
