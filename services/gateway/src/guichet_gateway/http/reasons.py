"""Reason codes' texts from the published catalogue (`guichet_common.contracts.reason_codes`), in the request's
language; a code the catalogue does not know is shown as itself rather than hidden."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guichet_gateway.http.models import Reason, ReasonCodeEntry


def _catalogue() -> Mapping[str, Any]:
    try:
        from guichet_common.contracts import reason_codes
    except ImportError:  # the catalogue is delivered by another part of issue 17: codes alone until it lands
        return {}
    catalogue: Mapping[str, Any] = reason_codes.catalogue()
    return catalogue


def reason(code: str, language: str) -> Reason:
    entry = _catalogue().get(code)
    if entry is None:
        return Reason(code=code, text=code)
    return Reason(code=code, text=entry.text_en if language == "en" else entry.text_fr)


def entries() -> list[ReasonCodeEntry]:
    return [
        ReasonCodeEntry(
            code=entry.code,
            service=entry.service,
            statuses=list(entry.statuses),
            text_fr=entry.text_fr,
            text_en=entry.text_en,
            specification=entry.specification,
            condition=entry.condition,
        )
        for entry in sorted(_catalogue().values(), key=lambda entry: entry.code)
    ]
