"""Opening what intake sealed, as a service holding the claim's keys does (intake's own, in its database)."""

from __future__ import annotations

import asyncpg

from guichet_common.privacy.keyring import Erased, Opener
from guichet_common.unit_of_work import open_unit_of_work
from guichet_intake.service import DEVELOPMENT_MASTER
from guichet_intake.unit_of_work import IntakeUnitOfWork


async def opened(pool: asyncpg.Pool, value: str) -> str | Erased:
    async with open_unit_of_work(pool, IntakeUnitOfWork) as uow:
        return (await Opener(DEVELOPMENT_MASTER).open_many(uow.keys, [value]))[value]
