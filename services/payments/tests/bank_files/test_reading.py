"""Reading the bank's files: every kind of entry, and every refusal naming the file and the element."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guichet_payments.bank_files.reading import BankEntry, BankFileRefused, read_bank_file

FILES = Path(__file__).parent / "files"


def read(name: str, **options: int) -> list[BankEntry]:
    return list(read_bank_file(name, (FILES / name).read_bytes(), **options).entries)


def refusal(name: str, content: bytes | None = None, **options: int) -> BankFileRefused:
    with pytest.raises(BankFileRefused) as refused:
        read_bank_file(name, (FILES / name).read_bytes() if content is None else content, **options)
    assert str(refused.value).startswith(f"{name}: {refused.value.element}: ")
    return refused.value


def test_a_camt054_gives_its_booked_debits_and_returns_and_leaves_pending_entries_out() -> None:
    bank_file = read_bank_file("n.xml", (FILES / "camt054_booked_and_returns.xml").read_bytes())

    assert (bank_file.message, bank_file.message_id) == ("camt.054.001.02", "NTF-20261203-0001")
    assert [entry.index for entry in bank_file.entries] == [0, 1, 2, 3, 4]
    first, second, returned, returned_without_id, credit = bank_file.entries
    assert first == BankEntry(
        index=0, effect="booked", end_to_end_id="P0123456789abcdef0123456789abcd", batch_reference=None,
        amount_cents=15000, iban="FR1420041010050500013M02606", remittance="AIDE LOGEMENT DOSSIER C-000123",
        reason_code=None, value_date=dt.date(2026, 12, 3), bank_reference="BK-DBIT-0001",
    )  # fmt: skip
    # One transaction without its own amount: the entry's; two remittance lines joined; both references.
    assert (second.effect, second.end_to_end_id, second.amount_cents) == (
        "booked",
        "P0123456789abcdef0123456789abce-2",
        7550,
    )
    assert second.remittance == "AIDE LOGEMENT DOSSIER C-000124"
    assert second.bank_reference == "BK-DBIT-0002/TX-0002"
    assert (returned.effect, returned.end_to_end_id, returned.reason_code) == (
        "returned",
        "P0123456789abcdef0123456789abcd",
        "AC04",
    )
    assert (returned.amount_cents, returned.iban, returned.value_date) == (
        15000,
        "FR1420041010050500013M02606",
        dt.date(2026, 12, 5),
    )
    assert returned_without_id.end_to_end_id is None  # NOTPROVIDED
    assert (returned_without_id.effect, returned_without_id.reason_code) == ("returned", "AC01")
    assert (returned_without_id.iban, returned_without_id.amount_cents) == ("DE89370400440532013000", 7550)
    assert (credit.effect, credit.reason_code, credit.end_to_end_id, credit.amount_cents) == (
        "credit",
        None,
        None,
        100000,
    )


def test_a_debit_naming_only_its_batch_is_batch_booked() -> None:
    (entry,) = read("camt054_batch_booked.xml")

    assert (entry.effect, entry.batch_reference, entry.amount_cents) == (
        "batch_booked",
        "AL-20261202-180000-a1b2c3",
        22550,
    )
    assert (entry.end_to_end_id, entry.bank_reference, entry.value_date) == (
        None,
        "BK-BATCH-0001",
        dt.date(2026, 12, 3),
    )


def test_a_day_statement_repeats_what_was_booked_and_a_return_known_by_its_bank_code_only() -> None:
    bank_file = read_bank_file("s.xml", (FILES / "camt053_day_statement.xml").read_bytes())

    assert (bank_file.message, bank_file.message_id) == ("camt.053.001.02", "STMT-20261203")
    booked, returned = bank_file.entries  # the INFO entry is not one
    assert (booked.effect, booked.end_to_end_id, booked.amount_cents) == (
        "booked",
        "P0123456789abcdef0123456789abcd",
        15000,
    )
    assert booked.bank_reference == "BK-DBIT-0001"  # as in the camt.054: the same settlement, not a second one
    assert (returned.effect, returned.end_to_end_id, returned.amount_cents) == ("returned", None, 15000)
    assert returned.bank_reference == "BK-RTN-0003"


def test_a_status_report_gives_one_entry_per_rejected_transfer_and_none_for_accepted_ones() -> None:
    bank_file = read_bank_file("r.xml", (FILES / "pain002_two_rejected.xml").read_bytes())

    assert (bank_file.message, bank_file.message_id) == ("pain.002.001.03", "STS-20261203-0001")
    first, second = bank_file.entries
    assert first == BankEntry(
        index=0, effect="rejected", end_to_end_id="P0123456789abcdef0123456789abcd",
        batch_reference="AL-20261202-180000-a1b2c3", amount_cents=15000, iban="FR1420041010050500013M02606",
        remittance="AIDE LOGEMENT DOSSIER C-000123", reason_code="AC01", value_date=None, bank_reference="STS-0001-1",
    )  # fmt: skip
    assert (second.index, second.effect, second.reason_code) == (1, "rejected", "MS03")
    assert (second.end_to_end_id, second.amount_cents, second.iban) == ("P0123456789abcdef0123456789abce-2", None, None)


def test_a_status_report_rejecting_the_whole_file_is_one_file_rejection_even_when_it_lists_transfers() -> None:
    (entry,) = read("pain002_file_rejected.xml")

    assert (entry.effect, entry.batch_reference, entry.reason_code) == (
        "file_rejected",
        "OC-20261202-190000-d4e5f6",
        "FF01",
    )
    assert (entry.end_to_end_id, entry.amount_cents, entry.iban) == (None, None, None)


def test_a_debit_naming_neither_transfer_nor_batch_is_still_a_booked_entry_to_account_for() -> None:
    content = (FILES / "camt054_batch_booked.xml").read_text()
    start, end = content.index("<NtryDtls>"), content.index("</NtryDtls>") + len("</NtryDtls>")

    (entry,) = read_bank_file("d.xml", (content[:start] + content[end:]).encode()).entries

    assert (entry.effect, entry.end_to_end_id, entry.batch_reference, entry.amount_cents) == (
        "booked",
        None,
        None,
        22550,
    )


@pytest.mark.parametrize("status", ["ACCP", "ACSC", "ACSP", "ACTC", "PDNG"])
def test_positive_and_pending_statuses_are_not_entries(status: str) -> None:
    content = (
        (FILES / "pain002_two_rejected.xml").read_text().replace("<TxSts>RJCT</TxSts>", f"<TxSts>{status}</TxSts>")
    )

    assert read_bank_file("r.xml", content.encode()).entries == ()


def test_a_transfer_without_its_own_status_shares_its_rejected_payment_information() -> None:
    content = (FILES / "pain002_two_rejected.xml").read_text()
    content = content.replace("<PmtInfSts>PART</PmtInfSts>", "<PmtInfSts>RJCT</PmtInfSts>")
    content = content.replace("<TxSts>ACSP</TxSts>", "")

    entries = read_bank_file("r.xml", content.encode()).entries

    assert [entry.end_to_end_id for entry in entries][-1] == "P0123456789abcdef0123456789abcf"
    assert entries[-1].reason_code is None


def test_a_payment_information_rejected_whole_without_transfers_listed_rejects_the_file() -> None:
    content = (FILES / "pain002_two_rejected.xml").read_text()
    start, end = content.index("<TxInfAndSts>"), content.rindex("</TxInfAndSts>") + len("</TxInfAndSts>")
    content = (content[:start] + content[end:]).replace("<PmtInfSts>PART</PmtInfSts>", "<PmtInfSts>RJCT</PmtInfSts>")
    content = content.replace("</PmtInfSts>", "</PmtInfSts><StsRsnInf><Rsn><Cd>DU01</Cd></Rsn></StsRsnInf>")

    (entry,) = read_bank_file("r.xml", content.encode()).entries

    assert (entry.effect, entry.batch_reference, entry.reason_code) == (
        "file_rejected",
        "AL-20261202-180000-a1b2c3",
        "DU01",
    )


def test_a_schema_violation_names_the_element_and_its_line() -> None:
    refused = refusal("refused_camt054_schema.xml")

    assert refused.element == "Ntry/Sts (line 15)"
    assert "not expected" in refused.problem and "CdtDbtInd" in refused.problem


def test_a_refusal_never_repeats_the_value_that_failed() -> None:
    refused = refusal("refused_camt054_bad_iban.xml")

    assert refused.element == "Id/IBAN (line 21)"
    assert "pattern" in refused.problem
    assert "FR14" not in str(refused) and "2004" not in str(refused)


def test_an_amount_in_another_currency_than_euro_is_refused() -> None:
    refused = refusal("refused_camt054_usd.xml")

    assert refused.element == "Ntry/Amt (line 14)"
    assert "USD" in refused.problem and "euro" in refused.problem


def test_a_message_payments_does_not_read_is_refused_by_its_namespace() -> None:
    refused = refusal("refused_wrong_namespace.xml")

    assert refused.element == "Document (line 3)"
    assert "camt.052.001.02" in refused.problem


def test_a_file_with_a_dtd_or_an_entity_is_refused_before_anything_is_resolved() -> None:
    refused = refusal("refused_doctype_entity.xml")

    assert refused.element == "DOCTYPE"
    assert "root:" not in str(refused)


def test_a_dtd_hidden_in_utf16_is_refused_too() -> None:
    content = (FILES / "refused_doctype_entity.xml").read_text().replace('encoding="UTF-8"', 'encoding="UTF-16"')

    assert refusal("utf16.xml", content.encode("utf-16")).element == "DOCTYPE"


def test_a_file_over_the_size_bound_is_refused_unread() -> None:
    refused = refusal("camt054_batch_booked.xml", max_bytes=1000)

    assert refused.element == "file"
    assert "1000" in refused.problem


def test_a_pain002_with_an_element_outside_the_message_definition_is_refused() -> None:
    refused = refusal("refused_pain002_unknown_element.xml")

    assert refused.element == "TxInfAndSts/Status (line 17)"


@pytest.mark.parametrize(
    ("change", "element"),
    [
        (("<TxSts>RJCT</TxSts>", "<TxSts>NOPE</TxSts>"), "TxInfAndSts/TxSts (line 27)"),
        (("<OrgnlMsgNmId>pain.001.001.03</OrgnlMsgNmId>", ""), "CstmrPmtStsRpt/OrgnlGrpInfAndSts (line 14)"),
        (('<InstdAmt Ccy="EUR">150.00</InstdAmt>', '<InstdAmt Ccy="EUR">1x0</InstdAmt>'), "Amt/InstdAmt (line 34)"),
        (('<InstdAmt Ccy="EUR">150.00</InstdAmt>', '<InstdAmt Ccy="USD">150.00</InstdAmt>'), "Amt/InstdAmt (line 34)"),
        (("<Cdtr><Nm>Camille Martin</Nm></Cdtr>", "<Cdtr><Name>Camille Martin</Name></Cdtr>"), "Cdtr/Name (line 38)"),
        (("<StsId>STS-0001-1</StsId>", "<StsId>STS-0001-1</StsId><StsId>again</StsId>"), "TxInfAndSts/StsId (line 25)"),
        (
            ("<MsgId>STS-20261203-0001</MsgId>", "<MsgId>STS-20261203-0001</MsgId>loose text"),
            "CstmrPmtStsRpt/GrpHdr (line 9)",
        ),
    ],
)
def test_the_pain002_reader_is_strict(change: tuple[str, str], element: str) -> None:
    content = (FILES / "pain002_two_rejected.xml").read_text().replace(*change)
    assert content != (FILES / "pain002_two_rejected.xml").read_text()

    refused = refusal("r.xml", content.encode())

    assert refused.element == element
    assert "Camille" not in str(refused)


@pytest.mark.parametrize(
    "content", [b"", b"   ", b"not xml", b"<a>", b"<?xml version='1.0'?><Document/>", b"\xff\xfe\x00"]
)
def test_what_is_not_a_bank_file_is_refused(content: bytes) -> None:
    refusal("junk.xml", content)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000) | st.text(max_size=500).map(lambda text: f"<Document>{text}</Document>".encode()))
def test_arbitrary_bytes_never_raise_anything_but_a_refusal(content: bytes) -> None:
    try:
        read_bank_file("fuzz.xml", content)
    except BankFileRefused:
        pass


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_damaged_bank_files_never_raise_anything_but_a_refusal(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(path.name for path in FILES.glob("*.xml"))))
    content = bytearray((FILES / name).read_bytes())
    for _ in range(data.draw(st.integers(1, 5))):
        position = data.draw(st.integers(0, len(content) - 1))
        content[position] = data.draw(st.sampled_from(b"<>/=\"' aZ09.&;-"))
    try:
        read_bank_file(name, bytes(content))
    except BankFileRefused:
        pass
