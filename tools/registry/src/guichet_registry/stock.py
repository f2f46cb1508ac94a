"""INSEE's StockUniteLegale CSV: its header, and a row-by-row reader that finds columns by name."""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

# The header of the stock file as INSEE publishes it since 2025 (with activitePrincipaleNAF25UniteLegale). Older
# files lack the last two columns; the reader looks columns up by name, so their order and extras do not matter.
STOCK_HEADER: tuple[str, ...] = (
    "siren",
    "statutDiffusionUniteLegale",
    "unitePurgeeUniteLegale",
    "dateCreationUniteLegale",
    "sigleUniteLegale",
    "sexeUniteLegale",
    "prenom1UniteLegale",
    "prenom2UniteLegale",
    "prenom3UniteLegale",
    "prenom4UniteLegale",
    "prenomUsuelUniteLegale",
    "pseudonymeUniteLegale",
    "identifiantAssociationUniteLegale",
    "trancheEffectifsUniteLegale",
    "anneeEffectifsUniteLegale",
    "dateDernierTraitementUniteLegale",
    "nombrePeriodesUniteLegale",
    "categorieEntreprise",
    "anneeCategorieEntreprise",
    "dateDebut",
    "etatAdministratifUniteLegale",
    "nomUniteLegale",
    "nomUsageUniteLegale",
    "denominationUniteLegale",
    "denominationUsuelle1UniteLegale",
    "denominationUsuelle2UniteLegale",
    "denominationUsuelle3UniteLegale",
    "categorieJuridiqueUniteLegale",
    "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale",
    "nicSiegeUniteLegale",
    "economieSocialeSolidaireUniteLegale",
    "societeMissionUniteLegale",
    "caractereEmployeurUniteLegale",
    "activitePrincipaleNAF25UniteLegale",
)

# What INSEE writes instead of a value it may not publish (units in partial diffusion, statut "P").
NOT_DIFFUSED = "[ND]"


class StockFileError(ValueError):
    """The file cannot be read as a StockUniteLegale CSV: no header, a needed column missing, or not UTF-8."""


@dataclass(frozen=True)
class Rejection:
    """A row that did not become a record. Names the row and the field, never the row's values (personal data)."""

    row: int  # 1 is the first row after the header
    field: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.reason}"


@dataclass(frozen=True)
class StockRow:
    number: int
    cells: list[str]


class StockReader:
    """Reads the header on construction (so a wrong file fails before anything is published), then streams rows."""

    def __init__(self, lines: Iterable[str], required: Collection[str]) -> None:
        self._csv = csv.reader(lines)
        try:
            header = next(self._csv, None)
        except (csv.Error, UnicodeDecodeError) as error:
            raise StockFileError(f"unreadable header: {error}") from error
        if not header:
            raise StockFileError("empty file: no header row")
        self.columns = {name.strip(): index for index, name in enumerate(header)}
        missing = [name for name in required if name not in self.columns]
        if missing:
            raise StockFileError(f"not a StockUniteLegale file: missing column(s) {', '.join(missing)}")
        self.width = len(header)
        self.rows_read = 0

    def rows(self, limit: int | None = None) -> Iterator[StockRow | Rejection]:
        """Every data row in file order (at most `limit`); a row the CSV parser refuses comes out as a Rejection."""
        while limit is None or self.rows_read < limit:
            number = self.rows_read + 1
            try:
                cells = next(self._csv)
            except StopIteration:
                return
            except csv.Error as error:  # the parser resumes at the next line, so one bad row costs one row
                self.rows_read = number
                yield Rejection(number, "(row)", f"unparsable CSV: {error}")
                continue
            except UnicodeDecodeError as error:
                # The text layer decodes ahead in blocks, so the row is only where the bad bytes were noticed.
                raise StockFileError(f"not UTF-8 ({error.reason}), noticed at row {number}") from error
            self.rows_read = number
            if len(cells) != self.width:
                yield Rejection(number, "(row)", f"{len(cells)} cells where the header has {self.width}")
                continue
            yield StockRow(number, cells)
