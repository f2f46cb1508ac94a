"""Submission times at the ends of the calendar are judged, not an OverflowError for the whole sweep."""

import datetime as dt
from zoneinfo import ZoneInfo

from guichet_eligibility.domain import wall_time

PARIS = ZoneInfo("Europe/Paris")


def test_a_moment_past_the_last_paris_wall_time_is_the_last_one() -> None:
    assert wall_time(dt.datetime(9999, 12, 31, 23, 30, tzinfo=dt.UTC), PARIS) == dt.datetime.max


def test_a_moment_before_the_first_utc_time_is_the_first_one() -> None:
    year_one = dt.datetime(1, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert wall_time(year_one, PARIS) == dt.datetime.min


def test_an_ordinary_moment_is_its_paris_wall_time() -> None:
    assert wall_time(dt.datetime(2021, 3, 2, 9, 15, tzinfo=dt.UTC), PARIS) == dt.datetime(2021, 3, 2, 10, 15)
