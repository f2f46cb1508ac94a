"""The catalogue of reason codes (`published/reason-codes.v1.json`): every code a claim's status can carry, with its
French and English texts for applicants, the statuses it applies to and the specification's wording.

It is the one source of those texts: the e-mails, eligibility's explanations, the gateway's API and
`docs/reason-codes.md` (`python -m guichet_common.contracts.reason_codes --markdown --out docs/reason-codes.md`)
all read it.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from guichet_common.contracts.status import ClaimStatus

_PUBLISHED = Path(__file__).parent / "published"
CATALOGUE_FILE = _PUBLISHED / "reason-codes.v1.json"
SCHEMA_FILE = _PUBLISHED / "reason-codes.v1.schema.json"

Service = Literal["intake", "eligibility", "payments"]
LANGUAGES = ("fr", "en")


class OtherUse(BaseModel):
    """Another service that puts the same code on a status, under a condition of its own."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: Service
    statuses: tuple[ClaimStatus, ...]
    condition: str


class ReasonCode(BaseModel):
    """One code. `statuses` empty: never on a status (it explains a decision, like why an invoice does not count).
    `detail_fr`/`detail_en`, when present, are fragments with `{name}` placeholders for the values recorded with
    the decision."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$")
    service: Service
    statuses: tuple[ClaimStatus, ...]
    text_fr: str = Field(min_length=1)
    text_en: str = Field(min_length=1)
    detail_fr: str | None = None
    detail_en: str | None = None
    specification: str | None
    specification_source: str | None
    condition: str
    also_emitted_by: tuple[OtherUse, ...] = ()

    @property
    def on_status(self) -> bool:
        return bool(self.statuses)

    def text(self, lang: str = "fr") -> str:
        """The applicant's sentence in `lang` ("fr" or "en"; any other language gets French, the reference)."""
        return self.text_en if language(lang) == "en" else self.text_fr

    def detail(self, lang: str = "fr") -> str | None:
        return self.detail_en if language(lang) == "en" else self.detail_fr


class _CatalogueFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: str | None = Field(default=None, alias="$schema")
    version: Literal["v1"]
    description: str
    codes: tuple[ReasonCode, ...]


def language(lang: str) -> Literal["fr", "en"]:
    """English for "en", "en-GB" or "EN"; everything else is French, the catalogue's reference language."""
    return "en" if lang.strip().lower()[:2] == "en" else "fr"


@functools.cache
def catalogue() -> Mapping[str, ReasonCode]:
    """Every code of the catalogue by its name, in the file's order (read once per process)."""
    parsed = _CatalogueFile.model_validate_json(CATALOGUE_FILE.read_bytes())
    codes = {reason.code: reason for reason in parsed.codes}
    if len(codes) != len(parsed.codes):
        raise ValueError(f"{CATALOGUE_FILE.name}: a code is listed twice")
    return MappingProxyType(codes)


def text(code: str, lang: str = "fr") -> str | None:
    """The applicant's sentence for `code` in `lang` ("fr" or "en"), or None for a code the catalogue lacks."""
    reason = catalogue().get(code)
    return None if reason is None else reason.text(lang)


def published_document() -> dict[str, Any]:
    """The catalogue file as published (a fresh copy), for serving it whole."""
    loaded: dict[str, Any] = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return loaded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--markdown", action="store_true", help="write the catalogue as docs/reason-codes.md")
    parser.add_argument("--out", type=Path, help="the file to write (default: standard output)")
    args = parser.parse_args(argv)
    if not args.markdown:
        parser.error("say what to write: --markdown")
    from guichet_common.contracts.reason_codes_markdown import markdown

    page = markdown(catalogue())
    if args.out is None:
        sys.stdout.write(page)
    else:
        args.out.write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
