"""`registry.companies.v1` (compacted): one company of the SIRENE registry. Key: the SIREN; null value deletes.

Field names are INSEE's StockUniteLegale columns, so one CSV row maps to one record.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from guichet_common.contracts.base import Contract, Siren

TOPIC = "registry.companies.v1"

HeadcountBand = Literal["NN", "00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41", "42", "51", "52", "53"]


class RegistryCompanyV1(Contract):
    siren: Siren
    etatAdministratifUniteLegale: Literal["A", "C"]
    dateCreationUniteLegale: dt.date | None
    activitePrincipaleUniteLegale: Annotated[str, Field(pattern=r"^[0-9]{2}\.[0-9]{2}[A-Z]$")] | None
    trancheEffectifsUniteLegale: HeadcountBand | None
    denominationUniteLegale: Annotated[str, Field(max_length=200)] | None = None
    categorieJuridiqueUniteLegale: Annotated[str, Field(pattern=r"^[0-9]{4}$")] | None = None
