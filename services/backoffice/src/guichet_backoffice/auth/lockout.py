"""Repeated failed sign-ins lock an account for a while, then it opens again by itself."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class LockoutPolicy:
    after_failures: int = 5
    duration: dt.timedelta = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class AfterFailure:
    failed_attempts: int
    locked_until: dt.datetime | None

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


def is_locked(locked_until: dt.datetime | None, now: dt.datetime) -> bool:
    return locked_until is not None and now < locked_until


def after_failure(failed_attempts: int, now: dt.datetime, policy: LockoutPolicy) -> AfterFailure:
    """One more failure: the counter grows; at the limit the account locks and the counter starts again, so that
    after the lock expires the same number of failures is needed to lock it again."""
    attempts = failed_attempts + 1
    if attempts >= policy.after_failures:
        return AfterFailure(0, now + policy.duration)
    return AfterFailure(attempts, None)
