"""The injectable clock: what "now" is for the jobs whose rules count time (retention, above all).

Use cases take `now` as an argument; the jobs that call them read it from a `Clock`. A service's clock is the wall
clock, moved by `GUICHET_CLOCK_OFFSET_DAYS` when that is set: a rehearsal (or an end-to-end test) can run the
retention of data that is two years old today without waiting two years. Never set it in production.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def shifted_clock(offset_days: float) -> Clock:
    if not offset_days:
        return wall_clock
    offset = dt.timedelta(days=offset_days)
    return lambda: dt.datetime.now(dt.UTC) + offset


def fixed_clock(at: dt.datetime) -> Clock:
    return lambda: at
