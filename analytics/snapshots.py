"""The nightly dashboard snapshots (analytics.models.DashboardSnapshot): which periods they hold, how their
figures are stored exactly, and the pages' reads — from a snapshot where one holds what is asked, live
otherwise. The writes are analytics.services.dashboard_snapshot.

A snapshot holds the result of the very functions the pages call live (analytics.selectors.period_kpis,
analytics.economics.monthly_economics, analytics.cohorts.cohort_retention) for its periods, so a snapshot
gives exactly the live figures of its period (docs/analytics.md, "Nightly snapshots"). Stored figures
that depend on today's program settings (the point value: liability, cost) are used only while the point
value is the one they were computed with; after a change of it the pages compute live.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection

from loyalty.selectors import program_settings_get, tiers_list

from .cohorts import Cohort, CohortMonth, cohort_retention
from .economics import MonthEconomics, monthly_economics
from .models import DashboardSnapshot
from .points_days import PointsDays
from .rules import Period
from .selectors import people_and_sales_many, period_figures, period_kpis

Kind = DashboardSnapshot.Kind
PRESET_DAYS = (7, 30, 90)  # the dashboard's ready periods: the last 7 / 30 / 90 days ending yesterday
ECONOMICS_MONTHS = 12  # the economics page's months (console.views.analytics)
COHORT_MONTHS = 12  # the cohort page's cohorts
# Snapshots older than this many days before the newest are pruned by the nightly job. Long enough that the
# previous period of each rolling preset (the 90 days before the last 90) is still held by the snapshot that
# had it as its own period, and is reused instead of computed again.
KEEP_DAYS = 100
POINT_VALUE = "point_value"  # the key of the point value a snapshot's figures were computed with
TIERS = "tiers"  # the key of the tiers they were computed with (the average check by tier depends on them)
# The version of the figures' definitions a snapshot was computed under: raised when a definition changes,
# so that rows computed under the old one are neither shown nor reused. 2: the second-purchase conversion
# counts only customers whose first purchase is at least N days before the period's end.
DEFINITIONS = "definitions"
DEFINITIONS_VERSION = 2


def preset_periods(as_of: dt.date) -> dict[str, Period]:
    """The periods the snapshot of `as_of` holds, by key: "7d", "30d", "90d" (the N days ending the day
    before `as_of`) and "month" (the last calendar month wholly before `as_of`)."""
    last = as_of - dt.timedelta(days=1)
    periods = {f"{n}d": Period(start=last - dt.timedelta(days=n - 1), end=last) for n in PRESET_DAYS}
    month_end = as_of.replace(day=1) - dt.timedelta(days=1)
    periods["month"] = Period(start=month_end.replace(day=1), end=month_end)
    return periods


def _encode(value: Any) -> Any:
    """JSON for a figure structure: Decimal → {"$decimal": "1.23"} (exact), date → {"$date": "…"}."""
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    return value


def _decode(value: Any) -> Any:
    """The inverse of _encode."""
    if isinstance(value, dict):
        if set(value) == {"$decimal"}:
            return Decimal(value["$decimal"])
        if set(value) == {"$date"}:
            return dt.date.fromisoformat(value["$date"])
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


def settings_now() -> dict:
    """What stored figures depend on besides the data: the point value (money of the liability), the
    tiers (the average check by tier: codes, and which tier a customer without a change holds) and the
    version of the definitions (DEFINITIONS_VERSION)."""
    tiers = [[t.pk, t.code, str(t.threshold), t.min_purchases] for t in tiers_list()]
    return {POINT_VALUE: str(program_settings_get().point_value), TIERS: tiers, DEFINITIONS: DEFINITIONS_VERSION}


def kpis_encode(kpis: dict, settings: dict) -> dict:
    """The stored form of a period_kpis result computed under `settings` (settings_now())."""
    return {"kpis": _encode(kpis), **settings}


def economics_encode(rows: list[MonthEconomics], month_figures: dict, settings: dict) -> dict:
    """The stored form of a monthly_economics result and of the figures of its months ({(start, end):
    period_figures}), computed under `settings`."""
    return {
        "months": [_encode(vars(row)) for row in rows],
        "month_figures": [
            {"start": _encode(a), "end": _encode(b), "figures": _encode(f)} for (a, b), f in month_figures.items()
        ],
        **settings,
    }


def cohorts_encode(cohorts: list[Cohort], months: int) -> dict:
    """The stored form of a cohort_retention(months=`months`) result (no setting enters it)."""
    return {
        "months_asked": months,
        "cohorts": [
            {"month": _encode(c.month), "size": c.size, "months": [_encode(vars(m)) for m in c.months]} for c in cohorts
        ],
    }


def _current(snapshot: DashboardSnapshot | None, settings: dict) -> DashboardSnapshot | None:
    """`snapshot` unless it was computed with another point value or other tiers than today's (settings_now()):
    then its money or its average check by tier would not be what live computation gives now."""
    if snapshot is None:
        return None
    same = all(snapshot.data.get(key) == value for key, value in settings.items())
    return snapshot if same else None


@dataclass(frozen=True)
class Answer:
    """What a page shows: `value` (the function's result) and where it came from: `snapshot` (then the
    figures are as of the end of `snapshot.end`, computed at `snapshot.computed_at`) or None (live now)."""

    value: Any
    snapshot: DashboardSnapshot | None


def _latest(kind: str, **period: dt.date) -> DashboardSnapshot | None:
    return DashboardSnapshot.objects.filter(kind=kind, **period).order_by("-as_of").first()


def period_kpis_answer(start: dt.date, end: dt.date) -> Answer:
    """period_kpis(start, end) from the latest snapshot holding exactly that period, else live."""
    snapshot = _current(_latest(Kind.PERIOD, start=start, end=end), settings_now())
    if snapshot is not None:
        return Answer(_decode(snapshot.data["kpis"]), snapshot)
    return Answer(period_kpis(start, end), None)


def period_figures_answer(start: dt.date, end: dt.date) -> Answer:
    """period_figures(start, end) (one period's figures, no previous period) from the latest snapshot holding
    exactly that period, else live: the key metric's current figure (analytics.key_metric) reads it."""
    snapshot = _current(_latest(Kind.PERIOD, start=start, end=end), settings_now())
    if snapshot is not None:
        return Answer(_decode(snapshot.data["kpis"])["period"]["figures"], snapshot)
    return Answer(period_figures(start, end), None)


def key_metric_figure(key: str, period: Period) -> Decimal | None:
    """The key metric `key` (an analytics.models.KeyMetric value) over `period` as a Decimal in the figure's
    unit, from the snapshot holding that period or live (period_figures_answer); None where it has no data."""
    value = period_figures_answer(period.start, period.end).value[key]
    return None if value is None else Decimal(value)


def economics_answer(*, months: int = ECONOMICS_MONTHS) -> Answer:
    """The latest snapshot's monthly economics (its months end with the snapshot's last day), else live
    (the months up to today). Live too when the snapshot holds another number of months."""
    snapshot = _current(_latest(Kind.ECONOMICS), settings_now())
    if snapshot is not None and len(snapshot.data["months"]) == months:
        return Answer([MonthEconomics(**_decode(row)) for row in snapshot.data["months"]], snapshot)
    return Answer(monthly_economics(months=months), None)


def cohorts_answer(*, months: int = COHORT_MONTHS) -> Answer:
    """The latest snapshot's cohorts (up to its last day), else live (up to today)."""
    snapshot = _latest(Kind.COHORTS)
    if snapshot is not None and snapshot.data.get("months_asked") == months:
        cohorts = [
            Cohort(
                month=_decode(c["month"]),
                size=c["size"],
                months=[CohortMonth(**_decode(m)) for m in c["months"]],
            )
            for c in snapshot.data["cohorts"]
        ]
        return Answer(cohorts, snapshot)
    return Answer(cohort_retention(months=months), None)


class FiguresCache:
    """period_figures by period for one nightly run: each period computed once, and periods that earlier
    snapshots already hold reused. A period's figures do not change once it has ended (docs/analytics.md:
    only rows recorded before its end count), except through the point value and the tiers, so only
    snapshots computed under the same settings are reused. Callable like period_figures(start, end)."""

    def __init__(self, settings: dict) -> None:
        self.known: dict[tuple[dt.date, dt.date], dict] = {}
        self.computed: list[tuple[dt.date, dt.date]] = []
        self.reused = 0
        self._points_days: PointsDays | None = None
        self._people_and_sales: dict[tuple[dt.date, dt.date], tuple[dict, dict]] = {}
        for row in DashboardSnapshot.objects.filter(kind__in=[Kind.PERIOD, Kind.ECONOMICS]).order_by("as_of"):
            if _current(row, settings) is None:
                continue
            if row.kind == Kind.PERIOD:
                kpis = row.data["kpis"]
                stored = [kpis["period"], kpis["previous_period"]]
                pairs = [
                    (dt.date.fromisoformat(p["start"]), dt.date.fromisoformat(p["end"]), p["figures"]) for p in stored
                ]
            else:
                pairs = [(_decode(m["start"]), _decode(m["end"]), m["figures"]) for m in row.data["month_figures"]]
            for start, end, figures in pairs:
                self.known[(start, end)] = _decode(figures)

    def __call__(self, start: dt.date, end: dt.date) -> dict[str, Any]:
        key = (start, end)
        if key in self.known:
            self.reused += 1
        else:
            prefetched = self._people_and_sales.get(key)
            self.known[key] = period_figures(
                start,
                end,
                points_of=self._points_of(),
                people_and_sales_of=(lambda _start, _end: prefetched) if prefetched else None,
            )
            self.computed.append(key)
        return self.known[key]

    def prefetch(self, periods: list[Period]) -> None:
        """On PostgreSQL, the customer and purchase figures of those of `periods` not known yet, one statement
        per day on which some of them end (selectors.people_and_sales_many), for the calls that follow."""
        if connection.vendor != "postgresql":
            return
        by_end: dict[dt.date, list[dt.date]] = {}
        for period in periods:
            if (period.start, period.end) not in self.known:
                by_end.setdefault(period.end, []).append(period.start)
        for end, starts in by_end.items():
            for start, figures in people_and_sales_many(end, starts).items():
                self._people_and_sales[(start, end)] = figures

    def _points_of(self):
        """On PostgreSQL the ledger and the lots read once for every period (analytics.points_days)."""
        if connection.vendor != "postgresql":
            return None
        if self._points_days is None:
            self._points_days = PointsDays()
        return self._points_days.figures
