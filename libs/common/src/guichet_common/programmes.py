"""Programme configuration files: the schema every service reads them with, and their loading.

A programme is data (amounts, dates, thresholds); the rules that use it live in the services' domain code.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FlatGrant(_Section):
    kind: Literal["flat"]
    amount_cents: Annotated[int, Field(gt=0)]


class Budget(_Section):
    total_cents: Annotated[int, Field(gt=0)]


class FilingWindow(_Section):
    opens: dt.datetime  # local wall time in the programme's timezone
    closes: dt.datetime  # inclusive


class Expenses(_Section):
    minimum_incl_tax_cents: Annotated[int, Field(ge=0)]


class ApplicantLimits(_Section):
    max_headcount_exclusive: Annotated[int, Field(gt=0)]


class RuleVersion(_Section):
    id: str
    applies_from: dt.date


class PaymentSettings(_Section):
    debtor_name: Annotated[str, Field(max_length=70)]
    debtor_iban: str
    debtor_bic: str
    remittance_prefix: Annotated[str, Field(max_length=60)]


class Programme(_Section):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
    name: str
    timezone: str = "Europe/Paris"
    grant: FlatGrant
    budget: Budget
    filing: FilingWindow
    expenses: Expenses
    applicant: ApplicantLimits
    rule_versions: Annotated[list[RuleVersion], Field(min_length=1)]
    payment: PaymentSettings

    @model_validator(mode="after")
    def _consistent(self) -> Programme:
        ZoneInfo(self.timezone)  # raises on an unknown zone
        if self.filing.closes <= self.filing.opens:
            raise ValueError("filing.closes must be after filing.opens")
        starts = [version.applies_from for version in self.rule_versions]
        if starts != sorted(set(starts)):
            raise ValueError("rule_versions must be in increasing, distinct applies_from order")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ProgrammeFileError(ValueError):
    """A programme file that cannot be used; the message names the file and the bad key."""


def load_programme(path: Path) -> Programme:
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
        return Programme.model_validate(raw)
    except tomllib.TOMLDecodeError as error:
        raise ProgrammeFileError(f"{path}: not valid TOML: {error}") from None
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or '(root)'}: {item['msg']}" for item in error.errors()
        )
        raise ProgrammeFileError(f"{path}: {problems}") from None


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
