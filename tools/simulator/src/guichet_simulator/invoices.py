"""Digital-service invoices from a pool of plausible suppliers."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from faker import Faker

from guichet_simulator import catalogue
from guichet_simulator.identifiers import vat_number

INVOICE_WINDOW = (date(2020, 10, 30), date(2021, 6, 30))
SUPPORT_CATEGORY = "digitalisation_support"
_NUMBER_STYLES = ("F{year}-{n:05d}", "FA{yymm}-{n:04d}", "{initials}-{n:06d}", "{year}{n:06d}")


@dataclass(frozen=True)
class Supplier:
    name: str
    category: str
    siren: str
    charges_vat: bool  # False: a micro-entrepreneur under the VAT franchise (TTC = HT)
    quotes_vat_number: bool
    number_style: str

    def identifier(self) -> dict[str, str]:
        if self.quotes_vat_number:
            return {"supplier_vat_number": vat_number(self.siren)}
        return {"supplier_siren": self.siren}


def supplier_pool(
    rng: random.Random, fake: Faker, new_siren: Callable[[], str], per_template: int = 3
) -> dict[str, list[Supplier]]:
    """A few suppliers per kind of service, keyed by the invoice category they usually bill."""
    pool: dict[str, list[Supplier]] = {}
    for template, category in catalogue.SUPPLIER_TEMPLATES:
        for _ in range(per_template):
            name = template.format(last=fake.last_name(), place=rng.choice(catalogue.PLACES)[1])
            suffix = rng.choice(("SAS", "SARL", "", ""))
            charges_vat = rng.random() < 0.85
            pool.setdefault(category, []).append(
                Supplier(
                    name=f"{name} {suffix}".strip(),
                    category=category,
                    siren=new_siren(),
                    charges_vat=charges_vat,
                    quotes_vat_number=charges_vat and rng.random() < 0.4,
                    number_style=rng.choice(_NUMBER_STYLES),
                )
            )
    return pool


@dataclass
class InvoiceNumbering:
    """Each supplier numbers its invoices in sequence, so a (supplier, number) pair never repeats."""

    rng: random.Random
    _next: dict[str, int] = field(default_factory=dict)

    def next_number(self, supplier: Supplier, issued_on: date) -> str:
        n = self._next.get(supplier.siren) or self.rng.randint(1, 3000)
        self._next[supplier.siren] = n + 1
        initials = "".join(word[0] for word in supplier.name.split() if word[0].isalpha()).upper()[:4]
        return supplier.number_style.format(
            year=issued_on.year, yymm=issued_on.strftime("%y%m"), n=n, initials=initials or "FAC"
        )


def random_invoices(
    rng: random.Random,
    pool: dict[str, list[Supplier]],
    numbering: InvoiceNumbering,
    *,
    submitted_on: date,
    total_incl_tax_cents: int,
    allow_support: bool = True,
) -> list[dict]:
    """1 to 3 invoices summing to about `total_incl_tax_cents` (within 1,000 cents), dated in the window.

    A `digitalisation_support` invoice may come on top, outside that total: whether it counts depends on
    the programme's list of referenced providers, so a claim's outcome never hinges on it.
    """
    count = rng.choices((1, 2, 3), weights=(50, 35, 15))[0]
    categories: list[str] = []
    while len(categories) < count:
        category = rng.choice(catalogue.COMMON_CATEGORIES)
        if category not in categories:
            categories.append(category)
    weights = [rng.uniform(0.25, 1.0) for _ in categories]
    shares = [total_incl_tax_cents * w / sum(weights) for w in weights]
    lines = list(zip(categories, shares))
    if allow_support and count < 3 and rng.random() < 0.05:
        lines.append((SUPPORT_CATEGORY, rng.uniform(20_000, 90_000)))
    invoices = [_invoice(rng, rng.choice(pool[c]), numbering, submitted_on, share) for c, share in lines]
    return sorted(invoices, key=lambda invoice: invoice["issued_on"])


def eligible_total_cents(invoices: list[dict]) -> int:
    """Spend incl. tax that counts whatever the referenced-provider list says."""
    return sum(i["amount_incl_tax_cents"] for i in invoices if i["category"] != SUPPORT_CATEGORY)


def _invoice(
    rng: random.Random, supplier: Supplier, numbering: InvoiceNumbering, submitted_on: date, incl_target: float
) -> dict:
    issued_on = _issue_date(rng, submitted_on)
    excl, incl = _price(rng, incl_target, supplier.charges_vat)
    invoice = {
        "invoice_number": numbering.next_number(supplier, issued_on),
        "issued_on": issued_on.isoformat(),
        "supplier_name": supplier.name,
        **supplier.identifier(),
        "amount_excl_tax_cents": excl,
        "amount_incl_tax_cents": incl,
        "category": supplier.category,
    }
    if rng.random() < 0.75:
        invoice["file_sha256"] = f"{rng.getrandbits(256):064x}"
    return invoice


def _issue_date(rng: random.Random, submitted_on: date) -> date:
    # Most shops claim within weeks of paying the invoice.
    first, last = INVOICE_WINDOW[0], min(INVOICE_WINDOW[1], submitted_on)
    days_before = min((last - first).days, int(rng.expovariate(1 / 35)))
    return last - timedelta(days=days_before)


def _price(rng: random.Random, incl_target: float, charges_vat: bool) -> tuple[int, int]:
    """A shop-like price excl. tax (650.00, 649.90, 89.00...) and its amount incl. 20 % VAT."""
    factor = 1.2 if charges_vat else 1.0
    grid = 500 if incl_target >= 20_000 else 100
    excl = max(grid, round(incl_target / factor / grid) * grid)
    if rng.random() < 0.3:
        excl -= 10
    return excl, round(excl * factor)
