"""The points figures of many periods from one pass over the ledger and the lots (PostgreSQL; the nightly
dashboard snapshot): the same figures as analytics.selectors._points_figures, period by period, without a
scan of the ledger and the lots for each period.

Every period ends at a local midnight E (the start of the day after its last day), so each row only needs
the local day on which it starts or stops counting:

- a ledger entry counts in a period when its local day (of `created_at`) is one of the period's days, and
  "before E" when its day is before the day of E;
- a lot is live at E when its local day of credit is before E's day (`created_at < E`) and the last local
  day that starts before its expiry (the local date of `expires_at` − 1 µs) is E's day or later
  (`expires_at > E`); pending at E likewise with `available_at`;
- a lot debit counts at E when its entry's day is before E's day and its lot is live at E.

So four grouped queries (entries by day and kind, each customer's first redemption by day, lots and lot
debits by those days) give small tables, and each period's figures are sums over them.
"""

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import connection

from loyalty.models import LedgerEntry, LotDebit, PointsLot

Kind = LedgerEntry.Kind
ISSUE_KINDS = (Kind.EARN, Kind.BONUS, Kind.IMPORT)  # as analytics.selectors.ISSUE_KINDS, plus added points


def _day(column: str) -> str:
    return f"CAST(({column}) AT TIME ZONE %(zone)s AS DATE)"


def _before_day(column: str) -> str:
    """The last local day that starts before the moment in `column` (NULL stays NULL)."""
    return _day(f"{column} - INTERVAL '1 microsecond'")


class PointsDays:
    """The ledger and the lots grouped by local day, read once (four queries); figures(start, end) then
    gives analytics.selectors._points_figures(start, end) for any period (ending yesterday or before)."""

    def __init__(self) -> None:
        entry_t, lot_t, debit_t = LedgerEntry._meta.db_table, PointsLot._meta.db_table, LotDebit._meta.db_table
        params = {"zone": settings.TIME_ZONE, "issue": list(ISSUE_KINDS)}
        self.ledger: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.first_redeems: list[tuple[dt.date, int]] = []
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT {_day("created_at")},
                       SUM(points) FILTER (WHERE kind = ANY(%(issue)s) OR (kind = 'adjustment' AND points > 0)),
                       SUM(points) FILTER (WHERE kind = 'redeem'),
                       SUM(points) FILTER (WHERE kind = 'expire')
                FROM {entry_t} GROUP BY 1
                """,  # noqa: S608 - names from model metadata; values are parameters
                params,
            )
            for day, issued, redeemed, expired in cursor.fetchall():
                self.ledger[day] = {
                    "issued": int(issued or 0), "redeemed": -int(redeemed or 0), "expired": -int(expired or 0)
                }  # fmt: skip
            cursor.execute(
                f"""
                SELECT {_day("first_at")}, COUNT(*)
                FROM (SELECT MIN(created_at) AS first_at FROM {entry_t} WHERE kind = 'redeem' GROUP BY customer_id) f
                GROUP BY 1
                """,  # noqa: S608
                params,
            )
            self.first_redeems = cursor.fetchall()
            cursor.execute(
                f"""
                SELECT {_day("created_at")}, {_before_day("expires_at")}, {_before_day("available_at")}, SUM(points)
                FROM {lot_t} GROUP BY 1, 2, 3
                """,  # noqa: S608
                params,
            )
            self.lots = [(*row[:3], int(row[3])) for row in cursor.fetchall()]
            cursor.execute(
                f"""
                SELECT {_day("e.created_at")}, {_day("l.created_at")}, {_before_day("l.expires_at")},
                       {_before_day("l.available_at")}, SUM(d.points)
                FROM {debit_t} d JOIN {entry_t} e ON e.id = d.entry_id JOIN {lot_t} l ON l.id = d.lot_id
                GROUP BY 1, 2, 3, 4
                """,  # noqa: S608
                params,
            )
            self.debits = [(*row[:4], int(row[4])) for row in cursor.fetchall()]

    def figures(self, start: dt.date, end: dt.date) -> dict[str, Any]:
        """The keys of analytics.selectors._points_figures for `start`..`end` (inclusive local days)."""
        in_period = [v for day, v in self.ledger.items() if start <= day <= end]
        to_date = [v for day, v in self.ledger.items() if day <= end]
        e_day = end + dt.timedelta(days=1)  # E's local day

        def live(credited: dt.date, last_day: dt.date | None) -> bool:
            return credited <= end and (last_day is None or last_day >= e_day)

        outstanding = pending = 0
        for credited, last_day, available_last, points in self.lots:
            if live(credited, last_day):
                outstanding += points
                pending += points if available_last >= e_day else 0
        for entry_day, credited, last_day, available_last, points in self.debits:
            if entry_day <= end and live(credited, last_day):
                outstanding -= points
                pending -= points if available_last >= e_day else 0
        return {
            "issued": sum(v["issued"] for v in in_period),
            "redeemed": sum(v["redeemed"] for v in in_period),
            "expired": sum(v["expired"] for v in in_period),
            "redeemed_to_date": sum(v["redeemed"] for v in to_date),
            "expired_to_date": sum(v["expired"] for v in to_date),
            "redeemers": sum(n for day, n in self.first_redeems if day <= end),
            "outstanding": outstanding,
            "pending": pending,
        }
