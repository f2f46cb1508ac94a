"""Which attempt a bank entry is about: by EndToEndId when the bank kept it, else by amount, account and the
claim named in the remittance, exactly one candidate or suspense with the reason."""

from __future__ import annotations

import dataclasses

from guichet_payments.bank_files import matching
from guichet_payments.bank_files.matching import Candidate, Matched, Unmatched, match_entry
from guichet_payments.bank_files.reading import BankEntry

IBAN = "FR7630006000011234567890189"
FIRST = Candidate("P1", 1, "P1", "CFN-2021-0001", 50_000, IBAN, "sent", "B1")
SECOND_ATTEMPT = Candidate("P1", 2, "P1-2", "CFN-2021-0001", 50_000, IBAN, "sent", "B2")
OTHER_CLAIM = Candidate("P2", 1, "P2", "CFN-2021-0002", 50_000, IBAN, "settled", "B1")


def entry(**changes: object) -> BankEntry:
    booked = BankEntry(
        index=0,
        effect="booked",
        end_to_end_id="P1",
        batch_reference=None,
        amount_cents=50_000,
        iban=IBAN,
        remittance="CFN DOSSIER CFN-2021-0001",
        reason_code=None,
        value_date=None,
        bank_reference="REF-1",
    )
    return dataclasses.replace(booked, **changes)  # type: ignore[arg-type]


def test_the_end_to_end_id_names_the_attempt_whatever_its_suffix_says() -> None:
    assert match_entry(entry(end_to_end_id="P1-2"), [SECOND_ATTEMPT]) == Matched(SECOND_ATTEMPT, "end_to_end_id")
    assert match_entry(entry(), [FIRST]) == Matched(FIRST, "end_to_end_id")


def test_an_unknown_end_to_end_id_is_not_matched_by_amount_instead() -> None:
    assert match_entry(entry(end_to_end_id="P9"), []) == Unmatched(matching.UNKNOWN_END_TO_END_ID)


def test_an_amount_that_differs_from_the_attempt_goes_to_suspense() -> None:
    assert match_entry(entry(amount_cents=49_999), [FIRST]) == Unmatched(matching.AMOUNT_DIFFERS)


def test_a_rejection_without_amount_is_matched_by_its_end_to_end_id_alone() -> None:
    rejected = entry(effect="rejected", amount_cents=None, reason_code="AC01")
    assert match_entry(rejected, [FIRST]) == Matched(FIRST, "end_to_end_id")


def test_without_end_to_end_id_the_remittance_picks_the_claim_among_same_amount_and_account() -> None:
    returned = entry(effect="returned", end_to_end_id=None, remittance="cfn dossier CFN-2021-0002 ", reason_code="AC04")
    assert match_entry(returned, [FIRST, OTHER_CLAIM]) == Matched(OTHER_CLAIM, "amount_iban_remittance")


def test_without_end_to_end_id_or_remittance_one_candidate_of_that_amount_and_account_is_enough() -> None:
    returned = entry(effect="returned", end_to_end_id=None, remittance=None)
    assert match_entry(returned, [OTHER_CLAIM]) == Matched(OTHER_CLAIM, "amount_iban_remittance")


def test_two_candidates_the_remittance_cannot_tell_apart_are_ambiguous() -> None:
    returned = entry(effect="returned", end_to_end_id=None, remittance=None)
    assert match_entry(returned, [FIRST, OTHER_CLAIM]) == Unmatched(matching.AMBIGUOUS)


def test_without_end_to_end_id_another_account_amount_or_state_is_no_candidate() -> None:
    returned = entry(effect="returned", end_to_end_id=None)
    elsewhere = dataclasses.replace(FIRST, iban="DE89370400440532013000")
    unsent = dataclasses.replace(FIRST, status="scheduled")
    dearer = dataclasses.replace(FIRST, amount_cents=60_000)
    assert match_entry(returned, [elsewhere, unsent, dearer]) == Unmatched(matching.NO_CANDIDATE)
    assert match_entry(entry(end_to_end_id=None, iban=None), [FIRST]) == Unmatched(matching.NO_REFERENCE)


def test_a_batch_debit_must_pay_exactly_the_transfers_still_sent() -> None:
    debit = entry(effect="batch_booked", end_to_end_id=None, batch_reference="B1", amount_cents=100_000)
    assert matching.batch_covered(debit, [FIRST, dataclasses.replace(OTHER_CLAIM, status="sent")]) is None
    assert matching.batch_covered(debit, [FIRST]) == Unmatched(matching.BATCH_SUM_DIFFERS)
    assert matching.batch_covered(debit, []) == Unmatched(matching.UNKNOWN_BATCH)


def test_what_each_effect_reports_and_which_reason_codes_the_contract_takes() -> None:
    assert matching.settlement_status(entry()) == "settled"
    assert matching.settlement_status(entry(effect="rejected")) == "returned"
    assert matching.return_reason(entry(reason_code="AC04")) == "AC04"
    assert matching.return_reason(entry(reason_code="AC1")) is None
