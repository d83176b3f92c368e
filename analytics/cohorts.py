"""Cohort retention (issue #13): customers grouped by the month of their first purchase, and for each month
since, the share of the cohort that bought in it and the revenue per cohort member.

Purchases are the *counted* purchases as of the end of today (docs/analytics.md: net of refunds recorded
by then, wholly refunded ones left out), months are calendar months in the shop's time zone, and a
customer's cohort is the month of their first counted purchase. One grouped query over purchases.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from loyalty.models import Purchase, Refund
from loyalty.rules import local_midnight

from . import rules
from .models import CustomerMonth, CustomerSummary
from .selectors import purchases_counted


@dataclass(frozen=True)
class CohortMonth:
    """Month `offset` (0: the cohort's own month) of a cohort: `buyers` of the cohort who bought in it,
    their `share` of the cohort (a Decimal fraction, 0.0001) and `revenue_per_member` (money, Decimal 0.01,
    the month's net revenue from the cohort divided by the cohort's size)."""

    offset: int
    buyers: int
    share: Decimal
    revenue_per_member: Decimal


@dataclass(frozen=True)
class Cohort:
    """The customers whose first counted purchase fell in `month` (its first day): `size` of them, and one
    CohortMonth per month from their first up to the current month."""

    month: dt.date
    size: int
    months: list[CohortMonth]


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _cohort_cells(until: dt.datetime, first_month: dt.date) -> list[tuple[dt.date, dt.date, int, Decimal]]:
    """(cohort month, purchase month, buyers, net revenue) of the counted purchases as of `until` whose
    customer's first counted purchase is in `first_month` or later; months as their first day, local."""
    if connection.vendor == "postgresql":
        return _cohort_cells_sql(until, first_month)
    return _cohort_cells_subqueries(until, first_month)


def _cohort_cells_subqueries(until: dt.datetime, first_month: dt.date) -> list[tuple[dt.date, dt.date, int, Decimal]]:
    """_cohort_cells with the ORM: a subquery per purchase for its customer's first (any database; the
    reference the SQL version is tested against)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    counted = purchases_counted(until)
    cohort_of = Subquery(
        counted.filter(customer=OuterRef("customer"))
        .order_by("created_at", "id")
        .annotate(first=TruncMonth("created_at", tzinfo=zone))
        .values("first")[:1]
    )
    cells = (
        counted.annotate(cohort=cohort_of, month=TruncMonth("created_at", tzinfo=zone))
        .filter(cohort__gte=local_midnight(first_month))
        .values("cohort", "month")
        .annotate(buyers=Count("customer", distinct=True), revenue=Sum("net"))
        .order_by()
    )
    return [
        (c["cohort"].astimezone(zone).date(), c["month"].astimezone(zone).date(), c["buyers"], c["revenue"])
        for c in cells
    ]


def _cohort_cells_sql(until: dt.datetime, first_month: dt.date) -> list[tuple[dt.date, dt.date, int, Decimal]]:
    """_cohort_cells in one pass (PostgreSQL): each counted purchase with its customer's first moment (a window
    MIN, instead of a subquery per purchase), grouped by the two local months. When the customer summary
    holds `until` (analytics.summary), the first moments come from it and the cells from its CustomerMonth
    rows of the customers whose first is in `first_month` or later (no purchase read)."""
    from .summary import summary_state_for

    purchase_t, refund_t = Purchase._meta.db_table, Refund._meta.db_table
    day = until.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    params = {"until": until, "since": local_midnight(first_month), "zone": settings.TIME_ZONE}
    if until == local_midnight(day) and summary_state_for(day) is not None:
        # Each customer's counted purchases of a month are one CustomerMonth row: a cell's buyers are its
        # rows, with no purchase read and no COUNT(DISTINCT).
        sql = f"""
        SELECT CAST(date_trunc('month', s.first_at AT TIME ZONE %(zone)s) AS DATE), m.month, COUNT(*), SUM(m.net)
        FROM {CustomerSummary._meta.db_table} s JOIN {CustomerMonth._meta.db_table} m ON m.customer_id = s.customer_id
        WHERE s.first_at >= %(since)s
        GROUP BY 1, 2
        """  # noqa: S608 - table names from model metadata; every value is a parameter
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    counted = f"""
        SELECT p.customer_id, p.created_at, p.amount - COALESCE(r.amount, 0) AS net,
               MIN(p.created_at) OVER (PARTITION BY p.customer_id) AS first_at
        FROM {purchase_t} p LEFT JOIN refunded r ON r.purchase_id = p.id
        WHERE p.created_at < %(until)s AND p.amount - COALESCE(r.amount, 0) > 0"""  # noqa: S608
    sql = f"""
    WITH refunded AS (
        SELECT purchase_id, SUM(amount) AS amount FROM {refund_t} WHERE created_at < %(until)s GROUP BY purchase_id
    ), counted AS ({counted}
    )
    SELECT CAST(date_trunc('month', first_at AT TIME ZONE %(zone)s) AS DATE),
           CAST(date_trunc('month', created_at AT TIME ZONE %(zone)s) AS DATE),
           COUNT(DISTINCT customer_id), SUM(net)
    FROM counted WHERE first_at >= %(since)s
    GROUP BY 1, 2
    """  # noqa: S608 - table names from model metadata; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def cohort_retention(*, months: int = 12, today: dt.date | None = None) -> list[Cohort]:
    """The cohorts of the last `months` calendar months (oldest first, up to 36), up to `today` (default:
    the shop's today). A month in which nobody of a cohort bought has 0 buyers, share 0 and revenue 0."""
    months = max(1, min(months, 36))
    today = today or timezone.localdate()
    first_month = dt.date(today.year, today.month, 1)
    for _ in range(months - 1):
        first_month = (first_month - dt.timedelta(days=1)).replace(day=1)
    found: dict[dt.date, dict[int, tuple[int, Decimal]]] = {}
    for cohort, month, buyers, revenue in _cohort_cells(local_midnight(today + dt.timedelta(days=1)), first_month):
        offset = _month_index(month) - _month_index(cohort)
        found.setdefault(cohort, {})[offset] = (buyers, revenue or Decimal(0))
    cohorts = []
    for cohort, by_offset in sorted(found.items()):
        size = by_offset[0][0]  # everyone of the cohort bought in its first month
        last = _month_index(today) - _month_index(cohort)
        cohorts.append(
            Cohort(
                month=cohort,
                size=size,
                months=[
                    CohortMonth(
                        offset=offset,
                        buyers=by_offset.get(offset, (0, 0))[0],
                        share=rules.ratio(by_offset.get(offset, (0, 0))[0], size),
                        revenue_per_member=rules.average(by_offset.get(offset, (0, Decimal(0)))[1], size),
                    )
                    for offset in range(last + 1)
                ],
            )
        )
    return cohorts
