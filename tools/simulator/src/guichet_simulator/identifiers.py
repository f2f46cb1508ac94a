"""French business and bank identifiers, valid (or deliberately not) by construction."""

from __future__ import annotations

import random

from schwifty import IBAN
from stdnum import luhn
from stdnum.fr import siren as siren_number

from guichet_simulator.catalogue import BANK_CODES, PHONE_PREFIXES

# La Poste's SIRETs follow a different checksum rule; keep the simulator clear of that special case.
_LA_POSTE_SIREN = "356000000"


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def random_siren(rng: random.Random) -> str:
    """A SIREN whose ninth digit is the Luhn check digit of the first eight."""
    while True:
        body = rng.choice("123456789") + _digits(rng, 7)
        number = body + luhn.calc_check_digit(body)
        if number != _LA_POSTE_SIREN and siren_number.is_valid(number):
            return number


def corrupt_siren(rng: random.Random, number: str) -> str:
    """The same SIREN with a wrong check digit: any other last digit fails Luhn."""
    wrong = (int(number[-1]) + rng.randint(1, 9)) % 10
    return number[:-1] + str(wrong)


def random_siret(rng: random.Random, siren: str) -> str:
    """SIREN + a five-digit NIC whose last digit makes the whole 14 digits pass Luhn.

    The NIC is computed on the 14 digits alone, so an invalid SIREN still yields a Luhn-valid SIRET
    that starts with it: only the SIREN check fails.
    """
    nic_body = "000" + _digits(rng, 1) if rng.random() < 0.7 else _digits(rng, 4)
    body = siren + nic_body
    return body + luhn.calc_check_digit(body)


def vat_number(siren: str) -> str:
    """The French intra-community VAT number of a SIREN: FR + key (12 + 3 * (SIREN mod 97)) mod 97 + SIREN."""
    return "FR" + siren_number.to_tva(siren)


def random_iban(rng: random.Random) -> tuple[str, str | None]:
    """A French IBAN with a valid RIB key and mod-97 check digits, at a real bank code; and its BIC."""
    iban = IBAN.generate(
        "FR",
        bank_code=rng.choice(BANK_CODES),
        branch_code=_digits(rng, 5),
        account_code=_digits(rng, 11),
    )
    bic = iban.bic
    return str(iban), (str(bic) if bic is not None else None)


def random_phone(rng: random.Random) -> str:
    return f"+33 {rng.choice(PHONE_PREFIXES)} {_digits(rng, 2)} {_digits(rng, 2)}"
