"""The program's economics month by month (analytics.economics) on the story of conftest.py, by hand."""

from decimal import Decimal

import pytest

from analytics.economics import MonthEconomics, monthly_economics

from .conftest import MAR_31, day

D = Decimal


@pytest.mark.django_db
def test_cost_against_revenue_month_by_month(story):
    assert monthly_economics(months=3, today=MAR_31) == [
        # January: D 600 + A 1 000; their 30 + 50 points are still held at the month's end (they burn on
        # Feb 06 and Feb 09): liability 80.00, up from 0.00 at the end of December, the whole cost. Both
        # buyers bought for the first time: nobody returned.
        MonthEconomics(
            month=day(1, 1),
            revenue=D("1600.00"),
            points_redeemed=0,
            redeemed_value=D("0.00"),
            points_outstanding=80,
            liability_value=D("80.00"),
            liability_change=D("80.00"),
            cost=D("80.00"),
            returning_customers=0,
            cost_per_returning=None,
        ),
        # February: B 3 000 (+150); A's and D's 80 burnt: liability 150.00, +70.00; B bought first time.
        MonthEconomics(
            month=day(2, 1),
            revenue=D("3000.00"),
            points_redeemed=0,
            redeemed_value=D("0.00"),
            points_outstanding=150,
            liability_value=D("150.00"),
            liability_change=D("70.00"),
            cost=D("70.00"),
            returning_customers=0,
            cost_per_returning=None,
        ),
        # March: revenue 4 700.00 (the dashboard's figure); A paid 100 points (100.00); the liability fell to
        # 138.00 (−12.00): cost 100.00 − 12.00 = 88.00. Buyers A, C, D, of whom C bought first: 2 returned,
        # 44.00 each.
        MonthEconomics(
            month=day(3, 1),
            revenue=D("4700.00"),
            points_redeemed=100,
            redeemed_value=D("100.00"),
            points_outstanding=138,
            liability_value=D("138.00"),
            liability_change=D("-12.00"),
            cost=D("88.00"),
            returning_customers=2,
            cost_per_returning=D("44.00"),
        ),
    ]


@pytest.mark.django_db
def test_the_current_month_ends_today_and_months_are_bounded(program):
    rows = monthly_economics(months=500, today=day(3, 15))
    assert (
        len(rows) == 36 and rows[-1].month == day(3, 1) and rows[0].month == day(4, 1).replace(year=2023)
    )  # Apr 2023 .. Mar 2026
