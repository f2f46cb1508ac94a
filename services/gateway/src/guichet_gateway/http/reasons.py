"""Reason codes' texts from the published catalogue (`guichet_common.contracts.reason_codes`), in the request's
language; a code the catalogue does not know is shown as itself rather than hidden."""

from __future__ import annotations

from guichet_common.contracts.reason_codes import catalogue
from guichet_gateway.http.models import Reason, ReasonCodeEntry


def reason(code: str, language: str) -> Reason:
    entry = catalogue().get(code)
    return Reason(code=code, text=code if entry is None else entry.text(language))


def entries() -> list[ReasonCodeEntry]:
    return [
        ReasonCodeEntry(
            code=entry.code,
            service=entry.service,
            statuses=list(entry.statuses),
            text_fr=entry.text_fr,
            text_en=entry.text_en,
            specification=entry.specification,
            specification_source=entry.specification_source,
            condition=entry.condition,
        )
        for entry in sorted(catalogue().values(), key=lambda entry: entry.code)
    ]
