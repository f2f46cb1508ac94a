"""The one shared kernel: the programme configuration every service reads its part of, and its loading.

A programme is data (amounts, dates, thresholds, which rules apply when): intake reads which programmes exist,
eligibility the filing window, grant, budget, invoice and applicant conditions and rule versions, payments the
budget, time zone and payment settings, notifications the name. It is business schema, so it lives here rather
than in guichet_common (infrastructure only), and it is the only business code the services share: anything else
one service knows about another travels as a contract on Kafka. The rules that use it live in the services'
domain code, which also checks at start-up that every rule a file names exists.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Siren = Annotated[str, Field(pattern=r"^[0-9]{9}$")]
RuleCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]+$")]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FlatGrant(_Section):
    """The same amount for every approved claim."""

    kind: Literal["flat"]
    amount_cents: Annotated[int, Field(gt=0)]


class RateGrant(_Section):
    """A share of the eligible spend excluding tax, capped."""

    kind: Literal["rate"]
    percent_of_eligible_excl_tax: Annotated[int, Field(gt=0, le=100)]
    cap_cents: Annotated[int, Field(gt=0)]


class Budget(_Section):
    total_cents: Annotated[int, Field(gt=0)]


class FilingWindow(_Section):
    opens: dt.datetime  # local wall time in the programme's timezone
    closes: dt.datetime  # inclusive


class Invoices(_Section):
    earliest: dt.date  # inclusive
    latest: dt.date  # inclusive; never after the claim's own submission date either
    eligible_categories: Annotated[frozenset[str], Field(min_length=1)]
    support_category: str | None = None  # its invoices count only from a referenced provider
    referenced_support_providers: frozenset[Siren] = frozenset()
    minimum_incl_tax_cents: Annotated[int, Field(ge=0)]


class Applicant(_Section):
    max_headcount_exclusive: Annotated[int, Field(gt=0)]
    registry_headcount_bands_too_high: frozenset[str]
    max_turnover_excl_tax_cents: Annotated[int, Field(gt=0)]
    activity_started_before: dt.date
    hotel_naf_codes: frozenset[str] = frozenset()
    excluded_postcode_prefixes: frozenset[str] = frozenset()
    excluded_filer_kinds: frozenset[str] = frozenset()


class Review(_Section):
    iban_shared_min_sirens: Annotated[int, Field(ge=2)]


class RuleVersion(_Section):
    id: str
    applies_from: dt.date
    rules: Annotated[tuple[RuleCode, ...], Field(min_length=1)]

    @field_validator("rules")
    @classmethod
    def _distinct(cls, rules: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(rules)) != len(rules):
            raise ValueError("a rule is listed twice")
        return rules


class PaymentSettings(_Section):
    debtor_name: Annotated[str, Field(max_length=70)]
    debtor_iban: str
    debtor_bic: str
    remittance_prefix: Annotated[str, Field(max_length=60)]
    # A returned payment keeps its reservation this long waiting for new bank details, then frees it.
    # (Fractions of a day are allowed so that a test can watch an expiry happen.)
    return_expiry_days: Annotated[float, Field(gt=0)] = 60
    # The ISO 20022 credit-transfer version the programme's bank takes: .03 (2009, every SEPA bank) or .09 (2019).
    pain001_version: Literal["001.001.03", "001.001.09"] = "001.001.03"


class Retention(_Section):
    """How long personal data is kept (docs/privacy.md): each service erases its own copy when the period ends."""

    # Names, e-mail addresses, phone numbers, and the e-mails sent: counted from the claim's final status.
    contact_months_after_final: Annotated[int, Field(ge=1, le=120)] = 24
    # IBAN, BIC, account holder: counted from the payment's final status (paid), or the claim's when it is never paid.
    bank_months_after_payment_final: Annotated[int, Field(ge=1, le=120)] = 13
    # Accounting records (claim id, SIREN, amounts, dates, batch, return codes): no personal data in them.
    accounting_years: Annotated[int, Field(ge=1, le=30)] = 10


class Controls(_Section):
    """Post-payment controls (décret 2021-69, article 6): which paid claims a campaign selects, and the firm's delay
    to answer. A campaign takes every paid claim one of `risk_rules` flags, then `sampling_percent` of the others at
    random, drawn from the campaign's stored seed (so the same seed over the same claims selects the same ones)."""

    sampling_percent: Annotated[float, Field(ge=0, le=100)] = 5
    # Named risk rules (guichet_payments.controls.risk): CONTROL_RISK_FRAUD_SIGNAL (a fraud signal among the codes
    # that sent the claim to review), CONTROL_RISK_REVIEWED (approved by a person after review),
    # CONTROL_RISK_DIGITAL_PROVIDER (a supplier among `digital_providers`), CONTROL_RISK_BANK_CHANGED (paid to an
    # account changed after a return).
    risk_rules: tuple[RuleCode, ...] = ()
    fraud_signals: frozenset[RuleCode] = frozenset({"INVOICE_REUSED", "IBAN_SHARED"})
    digital_providers: frozenset[Siren] = frozenset()
    reply_days: Annotated[int, Field(ge=1, le=365)] = 30


class Recovery(_Section):
    """Recovery orders (ordres de reversement) issued by a non-compliant control: when they fall due, when the
    reminders go, when an unpaid order passes to the public accountant for collection (days after the due date),
    and whether recovered money goes back to the programme's envelope (and so to its waitlist)."""

    due_days: Annotated[int, Field(ge=1, le=365)] = 30
    reminder_days_after_due: tuple[Annotated[int, Field(ge=1, le=365)], ...] = (15, 30)
    collection_days_after_due: Annotated[int, Field(ge=1, le=730)] = 45
    returns_to_envelope: bool = True

    @model_validator(mode="after")
    def _in_order(self) -> Recovery:
        reminders = self.reminder_days_after_due
        if list(reminders) != sorted(set(reminders)):
            raise ValueError("reminder_days_after_due must be increasing and distinct")
        if reminders and self.collection_days_after_due <= reminders[-1]:
            raise ValueError("collection_days_after_due must come after the last reminder")
        return self


class Programme(_Section):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
    name: str
    timezone: str = "Europe/Paris"
    grant: FlatGrant | RateGrant = Field(discriminator="kind")
    budget: Budget
    filing: FilingWindow
    invoices: Invoices
    applicant: Applicant
    review: Review
    rule_versions: Annotated[tuple[RuleVersion, ...], Field(min_length=1)]
    payment: PaymentSettings
    retention: Retention = Retention()
    controls: Controls = Controls()
    recovery: Recovery = Recovery()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r}") from None
        return zone

    @model_validator(mode="after")
    def _consistent(self) -> Programme:
        if self.filing.closes <= self.filing.opens:
            raise ValueError("filing.closes must be after filing.opens")
        if self.invoices.latest < self.invoices.earliest:
            raise ValueError("invoices.latest must not be before invoices.earliest")
        if isinstance(self.grant, RateGrant) and self.invoices.minimum_incl_tax_cents == 0:
            raise ValueError("a rate grant needs invoices.minimum_incl_tax_cents > 0, or it could approve 0 €")
        starts = [version.applies_from for version in self.rule_versions]
        if starts != sorted(set(starts)):
            raise ValueError("rule_versions must be in increasing, distinct applies_from order")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def version(self, version_id: str) -> RuleVersion:
        for version in self.rule_versions:
            if version.id == version_id:
                return version
        raise KeyError(f"programme {self.id} has no rule version {version_id!r}")


class ProgrammeFileError(ValueError):
    """A programme file that cannot be used; the message names the file and the bad key."""


def parse_programme(raw: dict[str, Any], origin: str) -> Programme:
    try:
        return Programme.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or '(root)'}: {item['msg']}" for item in error.errors()
        )
        raise ProgrammeFileError(f"{origin}: {problems}") from None


def load_programme(path: Path) -> Programme:
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ProgrammeFileError(f"{path}: not valid TOML: {error}") from None
    return parse_programme(raw, str(path))


def load_programmes(folder: Path) -> dict[str, Programme]:
    """Every `*.toml` programme of `folder`, by id; fails loudly on a bad file or a duplicate id."""
    programmes: dict[str, Programme] = {}
    for path in sorted(folder.glob("*.toml")):
        programme = load_programme(path)
        if programme.id in programmes:
            raise ProgrammeFileError(f"{path}: programme id {programme.id!r} is already defined")
        programmes[programme.id] = programme
    if not programmes:
        raise ProgrammeFileError(f"{folder}: no programme file (*.toml)")
    return programmes
