"""Every service's inbox forgets the event ids older than its useful window (settings.inbox_keep_days)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import cast

import asyncpg
import structlog

from guichet_common.clock import Clock
from guichet_common.inbox import prune_inbox

log = structlog.get_logger()


class InboxPruning:
    def __init__(self, pool: asyncpg.Pool, clock: Clock, keep_days: float, every_s: float) -> None:
        self._pool, self._clock, self._every_s = pool, clock, every_s
        self._keep = dt.timedelta(days=keep_days)

    async def run_once(self) -> int:
        before, pruned = self._clock() - self._keep, 0
        while True:  # bounded slices, each its own short transaction
            async with self._pool.acquire() as conn:
                done = await prune_inbox(cast(asyncpg.Connection, conn), before)
            pruned += done
            if done == 0:
                break
        if pruned:
            log.info("inbox_pruned", event_ids=pruned, received_before=before.isoformat())
        return pruned

    async def run(self) -> None:
        while True:
            await self.run_once()
            await asyncio.sleep(self._every_s)
