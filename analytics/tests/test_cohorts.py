"""Cohort retention (analytics.cohorts) on the story of conftest.py, worked out by hand.

Counted purchases at the end of Mar 31: D Jan 07 600, Mar 31 400; A Jan 10 1 000, Mar 05 2 000, Mar 20 500;
B Feb 10 3 000 (its Mar 03 purchase was refunded in full: it does not count); C Mar 10 800, Mar 25
1 200 − 200 = 1 000. Cohorts: January {A, D}, February {B}, March {C}.
"""

import datetime as dt
from decimal import Decimal

import pytest

from analytics.cohorts import Cohort, CohortMonth, cohort_retention
from loyalty.rules import local_midnight

from .conftest import MAR_31, day

D = Decimal


@pytest.mark.django_db
def test_cohorts_by_month_of_first_purchase(story):
    assert cohort_retention(months=3, today=MAR_31) == [
        Cohort(
            month=day(1, 1),
            size=2,
            months=[
                CohortMonth(0, 2, D("1.0000"), D("800.00")),  # (600 + 1 000) / 2
                CohortMonth(1, 0, D("0.0000"), D("0.00")),  # nobody of A, D bought in February
                CohortMonth(2, 2, D("1.0000"), D("1450.00")),  # (2 000 + 500 + 400) / 2
            ],
        ),
        Cohort(
            month=day(2, 1),
            size=1,
            months=[
                CohortMonth(0, 1, D("1.0000"), D("3000.00")),
                CohortMonth(1, 0, D("0.0000"), D("0.00")),  # B's March purchase was refunded in full
            ],
        ),
        Cohort(month=day(3, 1), size=1, months=[CohortMonth(0, 1, D("1.0000"), D("1800.00"))]),  # 800 + 1 000
    ]


@pytest.mark.django_db
def test_a_window_that_starts_later_leaves_older_cohorts_out(story):
    """February and March only: the January cohort (A, D) is not shown, though they bought in March."""
    assert [c.month for c in cohort_retention(months=2, today=MAR_31)] == [day(2, 1), day(3, 1)]


@pytest.mark.django_db
@pytest.mark.parametrize("today", [MAR_31, dt.date(2026, 3, 4), dt.date(2026, 2, 9), dt.date(2026, 6, 30)])
def test_the_one_pass_cells_equal_the_subqueries(story, today):
    """PostgreSQL's one pass (a window for each customer's first purchase) against the ORM's subquery per
    purchase (the SQLite path); March 4 is the day B's second purchase was refunded in full."""
    from analytics.cohorts import _cohort_cells_sql, _cohort_cells_subqueries

    until = local_midnight(today + dt.timedelta(days=1))
    for first_month in (dt.date(2025, 7, 1), dt.date(2026, 2, 1)):
        sql = sorted(_cohort_cells_sql(until, first_month))
        assert sql == sorted(_cohort_cells_subqueries(until, first_month))
        assert sql or first_month == dt.date(2026, 2, 1) and today < dt.date(2026, 2, 10)  # B's first: Feb 10
