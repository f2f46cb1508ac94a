"""The one loop every background job runs in: a unit of work a turn, again at once while there is work."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import asyncpg
import structlog

from guichet_common.db import TRANSIENT_DB_ERRORS, PoolSlot
from guichet_common.logging import mask_text
from guichet_common.unit_of_work import PostgresUnitOfWork, open_unit_of_work

U = TypeVar("U", bound=PostgresUnitOfWork)
log = structlog.get_logger()


def repeating(
    name: str,
    pool: asyncpg.Pool | PoolSlot,
    unit_of_work: Callable[[asyncpg.Connection], U],
    job: Callable[[U], Awaitable[int]],
    *,
    pause_s: float,
) -> Callable[[], Coroutine[Any, Any, None]]:
    """A background loop running `job(uow)` and committing what it did, again at once while `job` reports work
    done, after `pause_s` when it reports none. An unavailable database is waited out; any other error is left
    to the runtime's supervisor, which logs it and starts the loop again."""

    async def loop() -> None:
        while True:
            try:
                async with open_unit_of_work(pool, unit_of_work) as uow:
                    done = await job(uow)
                    await uow.commit()
            except TRANSIENT_DB_ERRORS as error:
                log.warning("background_job_retrying", job=name, error=mask_text(str(error)))
                done = 0
            if not done:
                await asyncio.sleep(pause_s)

    loop.__name__ = name
    return loop
