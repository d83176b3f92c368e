"""The program's economics month by month (issue #13): what the program cost against members' revenue,
and the liability's history. Every month's figures are `analytics.selectors.period_figures` for that
calendar month (the definitions of docs/analytics.md), so the months add up with the dashboard's figures.

Cost of a month = points redeemed in it × the point value + the change in the liability's value over it
(points outstanding × the point value at the month's end, minus the same at the previous month's end).
Returning customers = the month's buyers less its first-time buyers (buyers who had bought before).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from loyalty.selectors import program_settings_get

from . import rules
from .selectors import period_figures


@dataclass(frozen=True)
class MonthEconomics:
    """One calendar month (`month` is its first day; the current month ends today). Money as Decimal in
    the program's currency, points as int, `cost_per_returning` None when nobody returned."""

    month: dt.date
    revenue: Decimal
    points_redeemed: int
    redeemed_value: Decimal
    points_outstanding: int
    liability_value: Decimal
    liability_change: Decimal
    cost: Decimal
    returning_customers: int
    cost_per_returning: Decimal | None


def month_spans(count: int, today: dt.date) -> list[tuple[dt.date, dt.date]]:
    """(first day, last day) of the `count` months ending with today's month, oldest first; the current
    month ends today."""
    spans = []
    first = today.replace(day=1)
    for _ in range(count):
        last = min(today, (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1))
        spans.append((first, last))
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return spans[::-1]


def monthly_economics(
    *,
    months: int = 12,
    today: dt.date | None = None,
    figures_of: Callable[[dt.date, dt.date], dict[str, Any]] = period_figures,
) -> list[MonthEconomics]:
    """The last `months` calendar months (oldest first, up to 36), each with its revenue, points redeemed,
    liability at its end, the change of the liability, the program's cost and the cost per returning
    customer (see the module's docstring). One period_figures call (7 queries) per month plus one for the
    month before the first, for its liability change: meant for a page of its own, not the dashboard.
    `figures_of` computes one month's figures (the nightly snapshot passes one that reuses the months it
    already has: a whole month's figures do not change later, docs/analytics.md)."""
    months = max(1, min(months, 36))
    today = today or timezone.localdate()
    point_value = program_settings_get().point_value
    spans = month_spans(months + 1, today)
    rows = []
    previous_liability = None
    for first, last in spans:
        figures = figures_of(first, last)
        liability = figures["liability_value"]
        if previous_liability is not None:
            redeemed_value = rules.money(figures["points_redeemed"] * point_value)
            change = rules.money(liability - previous_liability)
            cost = rules.money(redeemed_value + change)
            returning = figures["buyers"] - figures["first_time_buyers"]
            rows.append(
                MonthEconomics(
                    month=first,
                    revenue=figures["revenue"],
                    points_redeemed=figures["points_redeemed"],
                    redeemed_value=redeemed_value,
                    points_outstanding=figures["points_outstanding"],
                    liability_value=liability,
                    liability_change=change,
                    cost=cost,
                    returning_customers=returning,
                    cost_per_returning=rules.average(cost, returning),
                )
            )
        previous_liability = liability
    return rows
