"""The files bank's answers to one pain.001: what they say, that they are valid ISO 20022, that payments reads
them as meant, and that the same order always gets the same bytes."""

from __future__ import annotations

from importlib import resources

import pytest
from lxml import etree

from guichet_finance.files_bank import answer_files
from guichet_finance.payment_order import UnreadableOrder, read_payment_order
from guichet_payments.bank_files.reading import read_bank_file

from .orders import BOOKED, IBANS, REJECTED, RETURNED, RETURNED_WITHOUT_ID, SECOND_ATTEMPT, pain001

BATCH = "CFN2-20210303-100000-abcdef"
VERSIONS = ("pain.001.001.03", "pain.001.001.09")


def answers(version: str = "pain.001.001.03", **kwargs) -> dict[str, bytes]:
    return {a.name: a.content for a in answer_files(BATCH, pain001(BATCH, version=version, **kwargs))}


def camt054_schema() -> etree.XMLSchema:
    source = resources.files("guichet_payments.bank_files").joinpath("schemas", "camt.054.001.02.xsd")
    return etree.XMLSchema(etree.parse(str(source)))


@pytest.mark.parametrize("version", VERSIONS)
def test_both_pain001_versions_are_read(version: str) -> None:
    order = read_payment_order(pain001(BATCH, version=version))
    assert order.message == version
    assert order.message_id == order.payment_information_id == BATCH
    assert [t.end_to_end_id for t in order.transfers] == [BOOKED, REJECTED, RETURNED, RETURNED_WITHOUT_ID,
                                                           SECOND_ATTEMPT]  # fmt: skip
    assert order.transfers[1].creditor_iban == IBANS[1]
    assert order.transfers[1].amount_cents == 50_100
    assert str(order.execution_date) == "2021-03-03"


@pytest.mark.parametrize("version", VERSIONS)
def test_a_batch_gets_a_pain002_for_its_rejections_and_a_camt054_for_the_rest(version: str) -> None:
    files = answers(version)
    assert sorted(files) == [f"{BATCH}.camt054.xml", f"{BATCH}.pain002.xml"]

    camt = read_bank_file("camt.xml", files[f"{BATCH}.camt054.xml"])
    assert camt.message == "camt.054.001.02"
    effects = [(e.effect, e.end_to_end_id, e.amount_cents, e.reason_code) for e in camt.entries]
    assert effects == [
        ("booked", BOOKED, 50_000, None),
        ("returned", RETURNED, 50_200, "AC04"),
        ("returned", None, 50_300, "AC04"),  # NOTPROVIDED: payments falls back on amount + IBAN + remittance
        ("booked", SECOND_ATTEMPT, 50_400, None),
    ]
    withheld = camt.entries[2]
    assert withheld.iban == IBANS[0] and withheld.remittance.endswith(RETURNED_WITHOUT_ID[-6:])
    assert camt.entries[0].iban == IBANS[0] and camt.entries[0].remittance
    assert len({e.bank_reference for e in camt.entries}) == 4

    status = read_bank_file("pain002.xml", files[f"{BATCH}.pain002.xml"])
    assert status.message == "pain.002.001.03"
    [rejection] = status.entries
    assert (rejection.effect, rejection.end_to_end_id, rejection.reason_code) == ("rejected", REJECTED, "AC01")
    assert (rejection.batch_reference, rejection.amount_cents, rejection.iban) == (BATCH, 50_100, IBANS[1])


def test_the_camt054_is_valid_against_the_vendored_schema() -> None:
    document = etree.fromstring(answers()[f"{BATCH}.camt054.xml"])
    schema = camt054_schema()
    assert schema.validate(document), schema.error_log


def test_the_returns_and_bookings_carry_the_iso_codes() -> None:
    text = answers()[f"{BATCH}.camt054.xml"].decode()
    assert text.count("<CdtDbtInd>DBIT</CdtDbtInd>") == 2 and text.count("<CdtDbtInd>CRDT</CdtDbtInd>") == 2
    assert text.count("<SubFmlyCd>ESCT</SubFmlyCd>") == 2 and text.count("<SubFmlyCd>RRTN</SubFmlyCd>") == 2
    assert text.count("<EndToEndId>NOTPROVIDED</EndToEndId>") == 1
    assert text.count("<DbtrAcct>") == 2 and text.count("<CdtrAcct>") == 2


def test_the_same_order_gets_the_same_bytes() -> None:
    assert answers() == answers()
    assert answers()[f"{BATCH}.camt054.xml"] != answer_files("OTHER", pain001("OTHER"))[-1].content


def test_no_pain002_when_nothing_is_rejected_and_no_group_rejection_when_everything_is() -> None:
    assert list(answers(end_to_end_ids=(BOOKED,))) == [f"{BATCH}.camt054.xml"]
    only_rejected = answers(end_to_end_ids=(REJECTED,))
    assert list(only_rejected) == [f"{BATCH}.pain002.xml"]
    # GrpSts RJCT would reject the whole file (payments would send it again): each transfer is rejected instead.
    [entry] = read_bank_file("p.xml", only_rejected[f"{BATCH}.pain002.xml"]).entries
    assert entry.effect == "rejected"


@pytest.mark.parametrize(
    "content",
    [b"not xml", b"<Document xmlns='urn:other'/>", b'<!DOCTYPE d [<!ENTITY e "x">]><Document>&e;</Document>'],
)
def test_what_is_not_a_pain001_is_not_answered(content: bytes) -> None:
    with pytest.raises(UnreadableOrder):
        answer_files(BATCH, content)
