"""One stock-file row to one `registry.companies.v1` record: the contract's fields only, validated by its model."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from guichet_common.contracts.registry import RegistryCompanyV1
from guichet_registry.stock import NOT_DIFFUSED, Rejection, StockReader

# The contract's fields are named after the stock file's columns, so the record is a projection of the row.
# Everything else (first names, surnames, sex, pseudonym...) stays behind: none of it goes on the topic.
RECORD_FIELDS: tuple[str, ...] = tuple(RegistryCompanyV1.model_fields)
ACTIVITY = "activitePrincipaleUniteLegale"
NOMENCLATURE = "nomenclatureActivitePrincipaleUniteLegale"
REQUIRED_COLUMNS: tuple[str, ...] = (*RECORD_FIELDS, NOMENCLATURE)
NAF_REV2 = "NAFRev2"
_NAF_REV2_CODE = re.compile(r"[0-9]{2}\.[0-9]{2}[A-Z]")  # the contract's pattern for the activity code


@dataclass(frozen=True)
class Message:
    """A validated record, ready for the topic: key = the SIREN, value = compact UTF-8 JSON."""

    key: bytes
    value: bytes


class RecordMapper:
    def __init__(self, columns: Mapping[str, int]) -> None:
        self._positions = [(name, columns[name]) for name in RECORD_FIELDS]
        self._nomenclature = columns[NOMENCLATURE]

    def record(self, cells: Sequence[str]) -> dict[str, str | None]:
        record = {name: _value(cells[position]) for name, position in self._positions}
        code = record[ACTIVITY]
        # Units that ceased before 2008 carry codes of older nomenclatures (NAFRev1, NAF1993, NAP). The contract
        # speaks NAF rev. 2 only, so such a code is dropped rather than the whole company.
        if code is not None and cells[self._nomenclature] != NAF_REV2 and not _NAF_REV2_CODE.fullmatch(code):
            record[ACTIVITY] = None
        return record


def _value(cell: str) -> str | None:
    return None if cell in ("", NOT_DIFFUSED) else cell


def to_message(row: int, record: Mapping[str, str | None]) -> Message | Rejection:
    """Validates the record with the contract's model; the value published is the model's own serialisation."""
    try:
        # strict=False because the cells are text: the contract's strict mode parses dates from JSON strings, not
        # from Python ones. What goes on the topic is the model re-serialised, which strict consumers accept.
        company = RegistryCompanyV1.model_validate(record, strict=False)
    except ValidationError as error:
        # Field and message only: pydantic's full text would echo the row's values.
        first = error.errors(include_url=False, include_input=False)[0]
        field = str(first["loc"][0]) if first["loc"] else "(record)"
        others = error.error_count() - 1
        return Rejection(row, field, first["msg"] + (f" (and {others} more)" if others else ""))
    return Message(key=company.siren.encode("utf-8"), value=company.model_dump_json().encode("utf-8"))


def messages(reader: StockReader, limit: int | None = None) -> Iterator[Message | Rejection]:
    """The stock file's rows as messages to publish, or rejections, in file order."""
    mapper = RecordMapper(reader.columns)
    for row in reader.rows(limit):
        if isinstance(row, Rejection):
            yield row
        else:
            yield to_message(row.number, mapper.record(row.cells))
