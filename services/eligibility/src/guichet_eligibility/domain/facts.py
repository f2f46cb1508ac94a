"""What the rules look at: the claim, the registry record, the history of related claims, the programme."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from guichet_programme import Programme, RuleVersion


def wall_time(moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """`moment` as a naive wall time in `zone`, comparable with the programme's dates and times.

    A moment within hours of the calendar's ends (9999-12-31T23:30Z is already year 10000 in Paris) cannot be
    represented there: it is taken as the first or last representable wall time, so the rules still judge it
    (outside any window) instead of the judgement raising OverflowError for the claim and every one behind it."""
    try:
        return moment.astimezone(zone).replace(tzinfo=None)
    except OverflowError:
        return dt.datetime.max if moment.year == dt.MAXYEAR else dt.datetime.min


@dataclass(frozen=True)
class InvoiceFacts:
    number: str
    issued_on: dt.date
    supplier_siren: str | None
    supplier_vat: str | None
    excl_tax_cents: int
    incl_tax_cents: int
    category: str

    def keys(self) -> frozenset[tuple[str, str]]:
        """The (supplier, number) pairs that identify this invoice, by SIREN and by VAT number when given."""
        number = self.number.strip().upper()
        keys = set()
        if self.supplier_siren:
            keys.add((f"SIREN:{self.supplier_siren}", number))
        if self.supplier_vat:
            keys.add((f"VAT:{self.supplier_vat.upper()}", number))
        return frozenset(keys)


@dataclass(frozen=True)
class ClaimFacts:
    claim_id: str
    programme: str
    siren: str
    submitted_at: dt.datetime  # aware
    headcount: int
    turnover_excl_tax_cents: int
    activity_started_on: dt.date
    naf_code: str
    postcode: str
    closed_to_public: bool
    registered_rcs_rm: bool
    manager_full_time_employee: bool
    declarations: tuple[tuple[str, bool], ...]
    filed_by_kind: str
    # A keyed hash of the compact IBAN (intake's MasterKey.fingerprint): IBAN_SHARED compares claims by it, never by
    # the IBAN, which eligibility cannot read. None for a claim registered before sealing: it shares with nothing.
    iban_fingerprint: str | None
    invoices: tuple[InvoiceFacts, ...]

    def invoice_keys(self) -> frozenset[tuple[str, str]]:
        return frozenset(key for invoice in self.invoices for key in invoice.keys())


@dataclass(frozen=True)
class RegistryFacts:
    state: str  # "A" active, "C" ceased
    created_on: dt.date | None
    headcount_band: str | None


@dataclass(frozen=True)
class PriorClaim:
    """Another claim already judged (or waiting) for the same programme, as far as the rules care."""

    claim_id: str
    siren: str
    holds_aid: bool  # approved, under review or waiting for its registry record
    iban_fingerprint: str | None
    invoice_keys: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class History:
    other_claims_holding_aid: int = 0
    sirens_reusing_invoices: frozenset[str] = frozenset()
    other_sirens_with_iban: frozenset[str] = frozenset()


def history_from(prior: list[PriorClaim], claim: ClaimFacts) -> History:
    """The history the rules see, from the other claims related to `claim` (same SIREN, IBAN or invoice)."""
    others = [p for p in prior if p.claim_id != claim.claim_id]
    keys = claim.invoice_keys()
    return History(
        other_claims_holding_aid=sum(1 for p in others if p.siren == claim.siren and p.holds_aid),
        sirens_reusing_invoices=frozenset(p.siren for p in others if p.siren != claim.siren and p.invoice_keys & keys),
        other_sirens_with_iban=frozenset(
            p.siren
            for p in others
            if p.siren != claim.siren and shares_iban(p.iban_fingerprint, claim.iban_fingerprint)
        ),
    )


def shares_iban(one: str | None, other: str | None) -> bool:
    """Two claims share an IBAN when both fingerprints are known and equal (an unknown one matches nothing)."""
    return one is not None and one == other


@dataclass(frozen=True)
class Subject:
    claim: ClaimFacts
    registry: RegistryFacts | None
    history: History
    programme: Programme
    version: RuleVersion = field(compare=False)

    @property
    def local_submission(self) -> dt.datetime:
        """Submission wall time in the programme's timezone (Europe/Paris), naive, comparable with config."""
        return wall_time(self.claim.submitted_at, self.programme.zone)
