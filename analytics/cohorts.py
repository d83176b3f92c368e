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
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from loyalty.rules import local_midnight

from . import rules
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


def cohort_retention(*, months: int = 12, today: dt.date | None = None) -> list[Cohort]:
    """The cohorts of the last `months` calendar months (oldest first, up to 36), up to `today` (default:
    the shop's today). A month in which nobody of a cohort bought has 0 buyers, share 0 and revenue 0."""
    months = max(1, min(months, 36))
    today = today or timezone.localdate()
    zone = ZoneInfo(settings.TIME_ZONE)
    first_month = dt.date(today.year, today.month, 1)
    for _ in range(months - 1):
        first_month = (first_month - dt.timedelta(days=1)).replace(day=1)
    counted = purchases_counted(local_midnight(today + dt.timedelta(days=1)))
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
    found: dict[dt.date, dict[int, tuple[int, Decimal]]] = {}
    for cell in cells:
        cohort = cell["cohort"].astimezone(zone).date()
        offset = _month_index(cell["month"].astimezone(zone).date()) - _month_index(cohort)
        found.setdefault(cohort, {})[offset] = (cell["buyers"], cell["revenue"] or Decimal(0))
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
