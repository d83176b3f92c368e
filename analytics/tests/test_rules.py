"""The arithmetic of the figures: periods, rounding, missing denominators."""

import datetime as dt
from decimal import Decimal

import pytest

from analytics import rules

D = Decimal


def test_the_previous_period_has_the_same_length_and_ends_the_day_before():
    march = rules.Period(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
    assert march.days == 31
    assert rules.period_previous(march) == rules.Period(start=dt.date(2026, 1, 29), end=dt.date(2026, 2, 28))
    one_day = rules.Period(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 1))
    assert rules.period_previous(one_day) == rules.Period(start=dt.date(2026, 2, 28), end=dt.date(2026, 2, 28))


def test_period_check():
    today = dt.date(2026, 11, 30)
    rules.period_check(start=today, end=today, today=today)
    with pytest.raises(ValueError, match=r"ends \(2026-11-29\) before it starts \(2026-11-30\)"):
        rules.period_check(start=today, end=dt.date(2026, 11, 29), today=today)
    with pytest.raises(ValueError, match="ends in the future"):
        rules.period_check(start=today, end=dt.date(2026, 12, 1), today=today)


def test_rounding_and_missing_denominators():
    assert rules.money(None) == D("0.00")
    assert rules.money(D("41.815")) == D("41.82")  # half up
    assert rules.ratio(100, 318) == D("0.3145")  # 0.314465…
    assert rules.ratio(1, 0) is None
    assert rules.average(5, 3) == D("1.67")
    assert rules.average(5, 0) is None
    assert rules.change(D("940.00"), D("3000.00")) == D("-0.6867")
    assert rules.change(1, 0) is None
    assert rules.change(None, 1) is None
    assert rules.days(dt.timedelta(days=83, hours=6)) == D("83.25")
    assert rules.days(None) is None
    assert rules.expected_cost(D("138.00"), D("0.6970")) == D("41.81")  # 138 × 0.303 = 41.814
    assert rules.expected_cost(D("138.00"), None) == D("138.00")
