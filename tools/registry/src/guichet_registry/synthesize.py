"""Synthetic StockUniteLegale files: INSEE's header, valid and unique SIRENs, plausible values, written as a stream."""

from __future__ import annotations

import csv
import datetime as dt
import random
import time
from bisect import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import TypeVar

from stdnum import luhn

from guichet_registry import catalogue as cat
from guichet_registry.stock import NOT_DIFFUSED, STOCK_HEADER

T = TypeVar("T")

# SIREN bodies are start + i * stride modulo 10**8. The stride is odd and not a multiple of 5, hence coprime
# with 10**8: no body repeats before 10**8 rows, and no set of the SIRENs already written is needed.
_BODIES = 10**8
_STRIDE = 61_803_399
MAX_ROWS = _BODIES
_FIRST_DAY = dt.date(1950, 1, 1).toordinal()
_LAST_DAY = dt.date(2024, 12, 31).toordinal()
_RECENT_DAY = dt.date(2019, 1, 1).toordinal()


@dataclass(frozen=True)
class SynthesisReport:
    rows: int
    bytes_written: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def unique_sirens(rng: random.Random, count: int) -> Iterator[str]:
    """`count` distinct SIRENs, each ending with the Luhn check digit of its first eight digits."""
    if not 0 <= count <= MAX_ROWS:
        raise ValueError(f"between 0 and {MAX_ROWS} SIRENs, not {count}")
    # Luhn weighs a 4-digit block the same way in both halves of the 8-digit body (the check digit makes 9), so
    # one table of block checksums replaces a per-digit loop: luhn.calc_check_digit costs more than a whole row.
    block_sums = [int(luhn.checksum(f"{block:04d}0")) for block in range(10_000)]
    start = rng.randrange(_BODIES)
    for i in range(count):
        body = (start + i * _STRIDE) % _BODIES
        check = -(block_sums[body // 10_000] + block_sums[body % 10_000]) % 10
        yield f"{body:08d}{check}"


class RowFactory:
    """One row of the stock file per call, in STOCK_HEADER order; all randomness from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._bands, self._band_weights = zip(*cat.HEADCOUNT_BANDS)
        self._band_weights = list(accumulate(self._band_weights))
        self._categories, self._category_weights = zip(*cat.LEGAL_CATEGORIES)
        self._category_weights = list(accumulate(self._category_weights))

    def row(self, siren: str) -> list[str]:
        rng = self._rng
        cells = dict.fromkeys(STOCK_HEADER, "")
        created = _day(rng, _FIRST_DAY)
        active = rng.random() < 0.78
        cells.update(
            siren=siren,
            statutDiffusionUniteLegale="O",
            dateCreationUniteLegale=_iso(created) if rng.random() > 0.01 else "",
            dateDernierTraitementUniteLegale=_iso(_day(rng, _RECENT_DAY)) + "T" + _clock(rng),
            nombrePeriodesUniteLegale=str(1 + _below(rng, 8)),
            dateDebut=_iso(_day(rng, created)),
            etatAdministratifUniteLegale="A" if active else "C",
            nicSiegeUniteLegale=f"{1 + _below(rng, 350):05d}",
        )
        if rng.random() < 0.35:
            self._sole_trader(cells)
        else:
            self._company(cells)
        self._activity(cells, active)
        return list(cells.values())

    def _sole_trader(self, cells: dict[str, str]) -> None:
        rng = self._rng
        female = rng.random() < 0.45
        names = cat.FIRST_NAMES_F if female else cat.FIRST_NAMES_M
        first_names = rng.sample(names, _pick(rng, (1, 1, 2, 2, 2, 3, 4)))
        cells.update(
            sexeUniteLegale="F" if female else "M",
            nomUniteLegale=_pick(rng, cat.SURNAMES),
            nomUsageUniteLegale=_pick(rng, cat.SURNAMES) if female and rng.random() < 0.3 else "",
            prenomUsuelUniteLegale=first_names[0],
            categorieJuridiqueUniteLegale=cat.SOLE_TRADER,
            economieSocialeSolidaireUniteLegale="N",
        )
        cells.update({f"prenom{i}UniteLegale": name for i, name in enumerate(first_names, start=1)})
        if rng.random() < 0.08:  # partial diffusion: INSEE masks the person's identity
            cells["statutDiffusionUniteLegale"] = "P"
            personal = ("sexeUniteLegale", "nomUniteLegale", "nomUsageUniteLegale", "prenomUsuelUniteLegale")
            personal += tuple(f"prenom{i}UniteLegale" for i in range(1, 5))
            cells.update({column: NOT_DIFFUSED for column in personal if cells[column]})

    def _company(self, cells: dict[str, str]) -> None:
        rng = self._rng
        category = _weighted(rng, self._categories, self._category_weights)
        name = f"{_pick(rng, cat.TRADES)} {_pick(rng, cat.SURNAMES) if rng.random() < 0.6 else _pick(rng, cat.PLACES)}"
        cells.update(
            denominationUniteLegale=name,
            sigleUniteLegale="".join(word[0] for word in name.split()) if rng.random() < 0.1 else "",
            denominationUsuelle1UniteLegale=_pick(rng, cat.TRADES) if rng.random() < 0.05 else "",
            categorieJuridiqueUniteLegale=category,
            economieSocialeSolidaireUniteLegale="O" if category == cat.ASSOCIATION else "N",
            societeMissionUniteLegale="O" if rng.random() < 0.002 else "N" if rng.random() < 0.3 else "",
        )
        if category == cat.ASSOCIATION and rng.random() < 0.5:
            cells["identifiantAssociationUniteLegale"] = f"W{_below(rng, 10**9):09d}"

    def _activity(self, cells: dict[str, str], active: bool) -> None:
        rng = self._rng
        band = _weighted(rng, self._bands, self._band_weights) if active else _pick(rng, ("NN", ""))
        code = _pick(rng, cat.NAF_REV2_CODES)
        cells.update(
            trancheEffectifsUniteLegale=band,
            anneeEffectifsUniteLegale="2022" if band not in ("", "NN") else "",
            activitePrincipaleUniteLegale=code,
            nomenclatureActivitePrincipaleUniteLegale="NAFRev2",
            activitePrincipaleNAF25UniteLegale=code if active else "",
            caractereEmployeurUniteLegale="O" if band not in ("", "NN", "00") else "N",
        )
        if active:
            size = "GE" if band in cat.LARGE_BANDS else "ETI" if band in cat.MID_BANDS else "PME"
            cells.update(categorieEntreprise=size, anneeCategorieEntreprise="2022")
        elif cells["dateDebut"] < "2008-01-01":  # ceased before NAF rev. 2 existed
            if rng.random() < 0.1:  # purged: INSEE keeps little more than the identity of old ceased units
                cells.update(unitePurgeeUniteLegale="true", activitePrincipaleUniteLegale="")
                cells.update(nomenclatureActivitePrincipaleUniteLegale="", caractereEmployeurUniteLegale="")
            else:
                nomenclature, old_code = _pick(rng, cat.OLD_NAF_CODES)
                cells["activitePrincipaleUniteLegale"] = old_code
                cells["nomenclatureActivitePrincipaleUniteLegale"] = nomenclature


def _below(rng: random.Random, n: int) -> int:
    # random() scaled is several times faster than randrange(), which counts at a million rows.
    return int(rng.random() * n)


def _day(rng: random.Random, first: int) -> int:
    # The square root skews towards the end: more units were created (and changed) recently than long ago.
    return first + int((_LAST_DAY - first) * rng.random() ** 0.5)


def _iso(day: int) -> str:
    return dt.date.fromordinal(day).isoformat()


def _pick(rng: random.Random, values: Sequence[T]) -> T:
    return values[int(rng.random() * len(values))]


def _weighted(rng: random.Random, values: Sequence[str], cumulated: Sequence[int]) -> str:
    return values[bisect(cumulated, rng.random() * cumulated[-1])]


def _clock(rng: random.Random) -> str:
    second = _below(rng, 86_400)
    return f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"


def synthesize(out: Path, rows: int, seed: int) -> SynthesisReport:
    """Writes `rows` rows to `out`; the same seed writes the same file."""
    started = time.monotonic()
    rng = random.Random(seed)
    factory = RowFactory(rng)
    with out.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(STOCK_HEADER)
        writer.writerows(factory.row(siren) for siren in unique_sirens(rng, rows))
    return SynthesisReport(rows, out.stat().st_size, time.monotonic() - started)
