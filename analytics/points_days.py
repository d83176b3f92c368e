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
debits by those days) give small tables, and each period's figures are sums over them. The tables are
stored (analytics.models.PointsDayTotal) and each night only the rows recorded since the night before are
added to them: ledger entries, lots' dates and points and lot debits are never changed once written.
"""

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from core.jobs import job_lock
from loyalty.models import LedgerEntry, LotDebit, PointsLot

from .models import NO_DAY, PointsDayState, PointsDayTotal

Kind = LedgerEntry.Kind
ISSUE_KINDS = (Kind.EARN, Kind.BONUS, Kind.IMPORT)  # as analytics.selectors.ISSUE_KINDS, plus added points


def _day(column: str) -> str:
    return f"CAST(({column}) AT TIME ZONE %(zone)s AS DATE)"


def _before_day(column: str) -> str:
    """The last local day that starts before the moment in `column` (NULL stays NULL)."""
    return _day(f"{column} - INTERVAL '1 microsecond'")


CHUNK_IDS = 2_000_000  # rows of each table read per statement when the totals are built from the start
LOCK_WAIT_SECONDS = 600


def _merge(cursor, part_sql: str, params: dict, columns: str = "a") -> None:
    """INSERT the groups `part_sql` selects (part, day, lot_day, last_day, available_last, {columns}) into
    PointsDayTotal, adding them to the groups already there."""
    table = PointsDayTotal._meta.db_table
    added = ", ".join(f"{c} = {table}.{c} + EXCLUDED.{c}" for c in columns.split(", "))
    cursor.execute(
        f"""
        INSERT INTO {table} (part, day, lot_day, last_day, available_last, {columns}) {part_sql}
        ON CONFLICT (part, day, lot_day, last_day, available_last) DO UPDATE SET {added}
        """,  # noqa: S608 - names from model metadata and constants; values are parameters
        params,
    )


def _ranges(lo: int, hi: int):
    """(lo, hi] cut into CHUNK_IDS-long ranges."""
    while lo < hi:
        yield lo, min(lo + CHUNK_IDS, hi)
        lo += CHUNK_IDS


def points_day_totals_refresh(*, now: dt.datetime | None = None) -> PointsDayState | None:
    """Add the ledger entries, lots and lot debits recorded since the last refresh (ids above the ones it
    read: back-dated rows too) to PointsDayTotal, each to its day's group; the first refresh reads every row,
    in CHUNK_IDS-long id ranges. Customers whose first redemption is among the new entries move the
    "first_redeem" count from the day of their earlier first (if the new one is earlier) to the new day.
    One transaction under an advisory lock (RuntimeError after LOCK_WAIT_SECONDS). PostgreSQL only (None on
    SQLite). Returns the state (the ids read up to)."""
    if connection.vendor != "postgresql":
        return None
    entry_t, lot_t, debit_t = LedgerEntry._meta.db_table, PointsLot._meta.db_table, LotDebit._meta.db_table
    with job_lock("analytics.points_days", wait_seconds=LOCK_WAIT_SECONDS) as got_lock, transaction.atomic():
        if not got_lock:
            raise RuntimeError("Points day totals: another refresh held the lock for too long")
        state = PointsDayState.objects.select_for_update().filter(pk=1).first()
        e0, l0, d0 = (state.entry_id_max, state.lot_id_max, state.debit_id_max) if state else (0, 0, 0)
        e1 = LedgerEntry.objects.aggregate(m=Max("id"))["m"] or 0
        l1 = PointsLot.objects.aggregate(m=Max("id"))["m"] or 0
        d1 = LotDebit.objects.aggregate(m=Max("id"))["m"] or 0
        base = {"zone": settings.TIME_ZONE, "issue": list(ISSUE_KINDS), "never": dt.date.fromisoformat(NO_DAY)}
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            for lo, hi in _ranges(e0, e1):
                _merge(
                    cursor,
                    f"""
                    SELECT 'ledger', {_day("created_at")}, %(never)s, %(never)s, %(never)s,
                           COALESCE(SUM(points) FILTER (WHERE kind = ANY(%(issue)s)
                                                         OR (kind = 'adjustment' AND points > 0)), 0),
                           COALESCE(SUM(points) FILTER (WHERE kind = 'redeem'), 0),
                           COALESCE(SUM(points) FILTER (WHERE kind = 'expire'), 0)
                    FROM {entry_t} WHERE id > %(lo)s AND id <= %(hi)s GROUP BY 2
                    """,  # noqa: S608
                    {**base, "lo": lo, "hi": hi},
                    columns="a, b, c",
                )
            if e1 > e0:
                # Each customer's earlier first redemption (none when building from the start): an index
                # look-up per customer who redeemed since the last refresh.
                first_old = (
                    "NULL::timestamptz"
                    if e0 == 0
                    else f"(SELECT MIN(o.created_at) FROM {entry_t} o WHERE o.customer_id = n.customer_id "  # noqa: S608
                    "AND o.kind = 'redeem' AND o.id <= %(lo)s)"
                )
                _merge(
                    cursor,
                    f"""
                    SELECT 'first_redeem', day, %(never)s, %(never)s, %(never)s, SUM(moved)
                    FROM (
                        SELECT {_day("CASE WHEN s = 1 THEN first_new ELSE first_old END")} AS day, s AS moved
                        FROM (
                            SELECT n.first_new, {first_old} AS first_old
                            FROM (SELECT customer_id, MIN(created_at) AS first_new FROM {entry_t}
                                  WHERE kind = 'redeem' AND id > %(lo)s AND id <= %(hi)s GROUP BY customer_id) n
                        ) f
                        CROSS JOIN (VALUES (1), (-1)) AS sign(s)
                        WHERE (first_old IS NULL OR first_new < first_old) AND (s = 1 OR first_old IS NOT NULL)
                    ) moves
                    GROUP BY day HAVING SUM(moved) <> 0
                    """,  # noqa: S608
                    {**base, "lo": e0, "hi": e1},
                )
            for lo, hi in _ranges(l0, l1):
                _merge(
                    cursor,
                    f"""
                    SELECT 'lot', {_day("created_at")}, %(never)s,
                           COALESCE({_before_day("expires_at")}, %(never)s),
                           COALESCE({_before_day("available_at")}, %(never)s), SUM(points)
                    FROM {lot_t} WHERE id > %(lo)s AND id <= %(hi)s GROUP BY 2, 3, 4, 5
                    """,  # noqa: S608
                    {**base, "lo": lo, "hi": hi},
                )
            for lo, hi in _ranges(d0, d1):
                _merge(
                    cursor,
                    f"""
                    SELECT 'debit', {_day("e.created_at")}, {_day("l.created_at")},
                           COALESCE({_before_day("l.expires_at")}, %(never)s),
                           COALESCE({_before_day("l.available_at")}, %(never)s), SUM(d.points)
                    FROM {debit_t} d JOIN {entry_t} e ON e.id = d.entry_id JOIN {lot_t} l ON l.id = d.lot_id
                    WHERE d.id > %(lo)s AND d.id <= %(hi)s GROUP BY 2, 3, 4, 5
                    """,  # noqa: S608
                    {**base, "lo": lo, "hi": hi},
                )
        state, _created = PointsDayState.objects.update_or_create(
            pk=1,
            defaults={
                "entry_id_max": max(e0, e1),
                "lot_id_max": max(l0, l1),
                "debit_id_max": max(d0, d1),
                "computed_at": now or timezone.now(),
            },
        )
    return state


class PointsDays:
    """The ledger and the lots grouped by local day (PointsDayTotal, brought up to date first: only the rows
    recorded since the last night are read); figures(start, end) then gives
    analytics.selectors._points_figures(start, end) for any period (ending yesterday or before)."""

    def __init__(self) -> None:
        points_day_totals_refresh()
        never = dt.date.fromisoformat(NO_DAY)
        self.ledger: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.first_redeems: list[tuple[dt.date, int]] = []
        self.lots: list[tuple] = []
        self.debits: list[tuple] = []
        rows = PointsDayTotal.objects.values_list("part", "day", "lot_day", "last_day", "available_last", "a", "b", "c")
        for part, day, lot_day, last_day, available_last, a, b, c in rows.iterator(chunk_size=10_000):
            last = None if last_day == never else last_day
            if part == "ledger":
                self.ledger[day] = {"issued": a, "redeemed": -b, "expired": -c}
            elif part == "first_redeem":
                self.first_redeems.append((day, a))
            elif part == "lot":
                self.lots.append((day, last, available_last, a))
            else:
                self.debits.append((day, lot_day, last, available_last, a))

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
