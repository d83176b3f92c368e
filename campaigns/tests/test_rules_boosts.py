"""When a boost's weekdays and hours hold (campaigns.rules.boost_time_matches)."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns.rules import boost_time_matches

SATURDAY = dt.datetime(2026, 3, 7)


@pytest.mark.parametrize(
    ("moment", "hours", "expected"),
    [
        (SATURDAY.replace(hour=9, minute=59, second=59), (10, 12), False),
        (SATURDAY.replace(hour=10), (10, 12), True),
        (SATURDAY.replace(hour=11, minute=59, second=59), (10, 12), True),
        (SATURDAY.replace(hour=12), (10, 12), False),
        (SATURDAY.replace(hour=23), (22, 2), True),
        (SATURDAY.replace(hour=1, minute=59), (22, 2), True),
        (SATURDAY.replace(hour=2), (22, 2), False),
        (SATURDAY.replace(hour=3), (None, 2), True),
        (SATURDAY.replace(hour=3), (5, 5), True),
        (SATURDAY.replace(hour=23, minute=59), (0, 24), True),
    ],
)
def test_hours(moment, hours, expected):
    assert boost_time_matches(weekdays=[], hour_from=hours[0], hour_to=hours[1], local=moment) is expected


def test_weekdays():
    assert boost_time_matches(weekdays=[5, 6], hour_from=None, hour_to=None, local=SATURDAY)
    assert not boost_time_matches(
        weekdays=[5, 6], hour_from=None, hour_to=None, local=SATURDAY - dt.timedelta(seconds=1)
    )


@given(
    moment=st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1)),
    start=st.integers(min_value=0, max_value=24),
    end=st.integers(min_value=0, max_value=24),
)
def test_a_window_and_its_complement_cover_every_moment_once(moment, start, end):
    if start == end or {start, end} == {0, 24}:
        return  # all day both ways
    inside = boost_time_matches(weekdays=[], hour_from=start, hour_to=end, local=moment)
    outside = boost_time_matches(weekdays=[], hour_from=end % 24, hour_to=start % 24, local=moment)
    assert inside != outside
