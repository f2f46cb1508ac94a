"""The envelope's order: whoever comes first is paid first, and nobody overtakes someone waiting."""

from guichet_payments.domain import first_come_first_served


def test_claims_are_covered_in_order_until_the_money_runs_out() -> None:
    assert first_come_first_served(1_000, False, [400, 400, 400]) == [True, True, False]


def test_a_smaller_claim_does_not_overtake_one_that_waits() -> None:
    assert first_come_first_served(1_000, False, [400, 700, 100]) == [True, False, False]


def test_nobody_is_covered_while_someone_already_waits() -> None:
    assert first_come_first_served(10_000, True, [100]) == [False]


def test_an_exact_fit_is_covered() -> None:
    assert first_come_first_served(800, False, [400, 400]) == [True, True]
