"""Writes of the analytics app: its own derived tables only (it never writes the other apps' data)."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_diff, audit_record
from core.formatting import points_format
from core.jobs import job_lock
from customers.models import Customer
from loyalty.models import Purchase, Refund
from loyalty.rules import local_midnight

from . import rules, snapshots
from .cohorts import cohort_retention
from .economics import month_spans, monthly_economics
from .exceptions import InvalidAnalyticsSetting
from .models import (
    KEY_METRIC_DAYS_MAX,
    KEY_METRIC_DAYS_MIN,
    RFM_WINDOW_MAX,
    RFM_WINDOW_MIN,
    TARGET_PERCENT_MAX,
    AnalyticsSettings,
    CustomerSummary,
    DashboardSnapshot,
    KeyMetric,
    RfmScore,
    RfmSnapshot,
)
from .rfm import rfm_grid_rows, rfm_movement_stored, rfm_snapshot_previous
from .rfm_rules import RF_GRID, histogram_edges
from .rules import Period, period_previous
from .selectors import analytics_settings_get, key_metric_window, period_kpis
from .summary import customer_summary_refresh, summary_state_for

Kind = DashboardSnapshot.Kind

RFM_WINDOW_DAYS = 365  # the analysis window's default (issue #13); the daily job uses the setting
# Retention (docs/analytics-rfm.md, "How long snapshots are kept"): every snapshot of the last 35 days, and
# the first snapshot of each calendar month for the 24 months before the latest snapshot's month.
RFM_KEEP_DAILY_DAYS = 35
RFM_KEEP_MONTHLY_MONTHS = 24
RFM_CHUNK = 200_000  # customer ids per INSERT … SELECT (from the temporary table of R, F, M)
# PostgreSQL's memory per sort or hash for this transaction only: the year's purchases grouped by customer
# and three NTILE sorts over the customers stay in memory instead of spilling to disk (default 4MB).
RFM_WORK_MEM = "128MB"
LOCK_WAIT_SECONDS = 600  # another run (a replay) may be in progress: wait for it, well inside the task timeout
CENT = Decimal("0.01")


RAW_TABLE = "analytics_rfm_raw"  # a temporary table: one row per scored customer (customer_id, r, f, m)


def _customers_sql(*, as_of: dt.date, window_days: int) -> tuple[str, list]:
    """SELECT customer_id, r, f, m: one row per customer with a counted purchase in the window.

    The window is [local midnight of (as_of − window_days), local midnight of as_of): the `window_days`
    calendar days before `as_of`. A purchase counts if its net money is above zero, net = amount − the
    refunds of it recorded before the window's end. r = as_of − the local date of the latest counted
    purchase (days, 1…window_days); f = counted purchases; m = Σ net (money, rounded to cents so that
    SQLite's float sums compare equal however they were added up). One pass over the window's purchases
    (a hash join with the refunds, which are few).
    """
    end = local_midnight(as_of)
    start = local_midnight(as_of - dt.timedelta(days=window_days))
    purchase_t, refund_t = Purchase._meta.db_table, Refund._meta.db_table
    last_day, last_day_params = connection.ops.datetime_cast_date_sql("MAX(created_at)", (), settings.TIME_ZONE)
    if connection.vendor == "postgresql":
        r_sql = f"CAST(%s AS DATE) - {last_day}"
    else:
        r_sql = f"CAST(julianday(%s) - julianday({last_day}) AS INTEGER)"
    sql = f"""
    SELECT customer_id, {r_sql} AS r, COUNT(*) AS f, ROUND(SUM(net), 2) AS m
    FROM (
        SELECT p.customer_id, p.created_at, p.amount - COALESCE(rf.refunded, 0) AS net
        FROM {purchase_t} p
        LEFT JOIN (SELECT purchase_id, SUM(amount) AS refunded FROM {refund_t}
                   WHERE created_at < %s GROUP BY purchase_id) rf ON rf.purchase_id = p.id
        WHERE p.created_at >= %s AND p.created_at < %s
    ) counted
    WHERE net > 0
    GROUP BY customer_id
    """  # noqa: S608 - table names from model metadata; every value is a parameter
    return sql, [as_of, *last_day_params, end, start, end]


def _customers_summary_sql(*, as_of: dt.date) -> tuple[str, list]:
    """_customers_sql from the customer summary of `as_of` (analytics.summary; the caller checked that it
    holds that date over the same window): F and M are its RFM-window columns, and the latest counted
    purchase is its latest one when that falls in the window (F > 0). Tested equal (test_summary)."""
    last_day, last_day_params = connection.ops.datetime_cast_date_sql("last_at", (), settings.TIME_ZONE)
    sql = f"""
    SELECT customer_id, CAST(%s AS DATE) - {last_day} AS r, rfm_purchases AS f, rfm_money AS m
    FROM {CustomerSummary._meta.db_table} WHERE rfm_purchases > 0
    """  # noqa: S608 - a table name from model metadata; every value is a parameter
    return sql, [as_of, *last_day_params]


def _raw_fill(cursor, *, as_of: dt.date, window_days: int) -> None:
    """(Re)fill the temporary table RAW_TABLE with `_customers_sql` (or its summary form when the customer
    summary holds `as_of` over this window: `_customers_summary_sql`). One table per connection, emptied
    before and after use (as the tier review does): no catalogue churn, nothing left for the next run."""
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {RAW_TABLE} (customer_id bigint, r integer, f integer, m numeric)"
    )
    cursor.execute(f"DELETE FROM {RAW_TABLE}")  # noqa: S608 - a constant name
    if summary_state_for(as_of, rfm_window_days=window_days) is not None:
        sql, params = _customers_summary_sql(as_of=as_of)
    else:
        sql, params = _customers_sql(as_of=as_of, window_days=window_days)
    cursor.execute(f"INSERT INTO {RAW_TABLE} (customer_id, r, f, m) {sql}", params)  # noqa: S608
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {RAW_TABLE}")  # temp tables get no autovacuum statistics


def _edges(cursor) -> dict[str, list]:
    """Each score's NTILE(5) tile edges over every customer in RAW_TABLE.

    Tiles are cut from worst to best: recency by days since the last purchase, most days first (tile 1
    is the longest ago); frequency and money ascending. The edge of a tile is its best value: the fewest
    days (MIN) for recency, the most purchases or money (MAX) for the others. Recency and frequency take
    few distinct values: their edges come from a histogram (rfm_rules.histogram_edges: the same edges as
    NTILE, without sorting a row per customer); money, nearly one value per customer, from NTILE itself."""
    edges: dict[str, list] = {"recency_days": [], "frequency": [], "monetary": []}
    cursor.execute(f"SELECT r, COUNT(*) FROM {RAW_TABLE} GROUP BY r ORDER BY r DESC")  # noqa: S608 - a constant
    edges["recency_days"] = [int(v) for v in histogram_edges(cursor.fetchall())]
    cursor.execute(f"SELECT f, COUNT(*) FROM {RAW_TABLE} GROUP BY f ORDER BY f")  # noqa: S608 - a constant
    edges["frequency"] = [int(v) for v in histogram_edges(cursor.fetchall())]
    cursor.execute(
        f"SELECT MAX(m) FROM (SELECT m, NTILE(5) OVER (ORDER BY m, customer_id) AS t FROM {RAW_TABLE}) tiles "  # noqa: S608
        "GROUP BY t ORDER BY t"
    )
    edges["monetary"] = [Decimal(str(value)).quantize(CENT) for (value,) in cursor.fetchall()]
    return edges


def _score_sql(column: str, edges: list, *, higher_is_better: bool, cast: str = "%s") -> tuple[str, list]:
    """SQL for analytics.rfm_rules.score: 1 + how many of the first four tiles' edges are worse."""
    op = "<" if higher_is_better else ">"
    terms = [f"CASE WHEN {cast} {op} {column} THEN 1 ELSE 0 END" for _edge in edges[:4]]
    return "(1" + "".join(f" + {term}" for term in terms) + ")", list(edges[:4])


def rfm_snapshot(as_of: dt.date, *, window_days: int | None = None, now: dt.datetime | None = None) -> RfmSnapshot:
    """Score every customer who bought in the `window_days` (int, days; default: the analytics setting
    `rfm_window_days`, itself 365 by default) before `as_of` and store the result as the snapshot of
    `as_of`, replacing the rows of an earlier run for that date.

    Definitions (docs/analytics-rfm.md): a purchase counts if it falls in the window and its net money
    (amount − its refunds recorded before the window's end; Decimal, the program's currency) is above
    zero; R = days from the latest counted purchase's local date to `as_of`, F = counted purchases,
    M = Σ their net money. Scores 1–5 by NTILE(5) quintiles over those customers, recent/frequent/high
    money = 5; equal values share the lowest tile NTILE gave any of them (analytics.rfm_rules.score).
    The segment comes from the R×F grid (analytics.rfm_rules.RF_RANGES).

    Set-based: one pass over the window's purchases fills a temporary table with R, F, M per customer;
    one query takes the quintile edges from it; then ONE INSERT … SELECT per range of RFM_CHUNK customer
    ids scores that range and names its segments; then the grid and the movement from the previous
    snapshot are stored on the snapshot's row (_rfm_summaries_store; the segments page reads them). One
    transaction: readers see the old snapshot or the new one, never half of it. Guarded against an overlapping run (an advisory lock on PostgreSQL; RuntimeError if another run
    holds it for longer than LOCK_WAIT_SECONDS). Returns the snapshot.
    """
    now = now or timezone.now()
    if window_days is None:
        window_days = analytics_settings_get().rfm_window_days
    customer_summary_refresh(as_of, now=now)
    with job_lock("analytics.rfm_snapshot", wait_seconds=LOCK_WAIT_SECONDS) as got_lock, transaction.atomic():
        if not got_lock:  # a django-q2 task: it fails and is retried
            raise RuntimeError(f"RFM snapshot {as_of.isoformat()}: another run held the lock for too long")
        snapshot, _created = RfmSnapshot.objects.update_or_create(
            as_of=as_of, defaults={"window_days": window_days, "computed_at": now, "customers": 0, "edges": {}}
        )
        RfmScore.objects.filter(snapshot=snapshot).delete()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL work_mem = '{RFM_WORK_MEM}'")
                cursor.execute("SET LOCAL jit = off")  # compiling these plans took 2–4 s a statement (bench)
            _raw_fill(cursor, as_of=as_of, window_days=window_days)
            edges = _edges(cursor)
            bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
            inserted = 0
            if edges["frequency"] and bounds["lo"] is not None:
                r_sql, r_params = _score_sql("s.r", edges["recency_days"], higher_is_better=False)
                f_sql, f_params = _score_sql("s.f", edges["frequency"], higher_is_better=True)
                m_sql, m_params = _score_sql(
                    "s.m", edges["monetary"], higher_is_better=True, cast="CAST(%s AS NUMERIC)"
                )
                grid_sql = " ".join(f"WHEN {r * 10 + f} THEN %s" for (r, f) in RF_GRID)
                grid_params = [str(segment) for segment in RF_GRID.values()]
                sql = f"""
                INSERT INTO {RfmScore._meta.db_table} (snapshot_id, customer_id, recency_days, frequency, monetary,
                                       recency_score, frequency_score, monetary_score, segment)
                SELECT %s, customer_id, r, f, m, rs, fs, ms, CASE rs * 10 + fs {grid_sql} END
                FROM (
                    SELECT s.customer_id, s.r, s.f, s.m, {r_sql} AS rs, {f_sql} AS fs, {m_sql} AS ms
                    FROM {RAW_TABLE} s
                    WHERE s.customer_id BETWEEN %s AND %s
                ) scored
                """  # noqa: S608 - names from model metadata and constants; every value is a parameter
                for lo in range(bounds["lo"], bounds["hi"] + 1, RFM_CHUNK):
                    params = [snapshot.pk, *grid_params, *r_params, *f_params, *m_params, lo, lo + RFM_CHUNK - 1]
                    cursor.execute(sql, params)
                    inserted += cursor.rowcount
            cursor.execute(f"DELETE FROM {RAW_TABLE}")  # noqa: S608 - a constant name
        snapshot.customers = inserted
        snapshot.edges = {**edges, "monetary": [str(value) for value in edges["monetary"]]}
        _rfm_summaries_store(snapshot)
    return snapshot


def _rfm_summaries_store(snapshot: RfmSnapshot) -> None:
    """Store the grid and the movement of `snapshot` with it, and refresh the movement of the snapshot
    dated just after it (a replay or a back-filled date: that one's previous is now `snapshot`, with
    these rows). Inside rfm_snapshot's transaction, after its rows are written: one GROUP BY over its
    rows for the grid, one over the join with the previous snapshot's rows for each movement
    (analytics.rfm.rfm_grid_rows, rfm_movement_stored). Saves `snapshot` (customers, edges, grid,
    movement)."""
    snapshot.grid = rfm_grid_rows(snapshot)
    snapshot.movement = rfm_movement_stored(snapshot, rfm_snapshot_previous(snapshot))
    snapshot.save(update_fields=["customers", "edges", "grid", "movement"])
    following = RfmSnapshot.objects.filter(as_of__gt=snapshot.as_of).order_by("as_of").first()
    if following is not None:
        following.movement = rfm_movement_stored(following, snapshot)
        following.save(update_fields=["movement"])


def _months_before(day: dt.date, months: int) -> dt.date:
    """The first day of the calendar month `months` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def rfm_snapshots_to_keep(dates: list[dt.date]) -> set[dt.date]:
    """Which snapshot dates the retention rule keeps, given every snapshot's date (docs/analytics-rfm.md).
    With L = the latest date: every date after L − RFM_KEEP_DAILY_DAYS days (the last 35 days, L included),
    and the earliest date of each calendar month from the month RFM_KEEP_MONTHLY_MONTHS (24) months before
    L's month up to L's month. So the snapshot a month before any kept daily one is always there, and a
    month-by-month history reaches two years back. No dates: nothing to keep."""
    if not dates:
        return set()
    latest = max(dates)
    keep = {d for d in dates if d > latest - dt.timedelta(days=RFM_KEEP_DAILY_DAYS)}
    since = _months_before(latest, RFM_KEEP_MONTHLY_MONTHS)
    first_of_month: dict[tuple[int, int], dt.date] = {}
    for d in sorted(dates):
        if d >= since:
            first_of_month.setdefault((d.year, d.month), d)
    return keep | set(first_of_month.values())


def rfm_snapshots_prune() -> int:
    """Delete the snapshots the retention rule (rfm_snapshots_to_keep) does not keep, with their rows, and
    return how many snapshots went. Run by the daily snapshot task after the new snapshot is written.

    Set-based: the rule needs only the snapshots' dates (a row a day, at most a few hundred); each dropped
    snapshot's scores go by one DELETE per range of RFM_CHUNK customer ids (the unique (snapshot, customer)
    index finds them), then the snapshot rows by one DELETE. One transaction under the snapshot's lock,
    so it never runs beside a snapshot being written (RuntimeError if the lock is held too long)."""
    with job_lock("analytics.rfm_snapshot", wait_seconds=LOCK_WAIT_SECONDS) as got_lock, transaction.atomic():
        if not got_lock:
            raise RuntimeError("RFM snapshot retention: another run held the lock for too long")
        snapshots = dict(RfmSnapshot.objects.values_list("as_of", "pk"))
        keep = rfm_snapshots_to_keep(list(snapshots))
        dropped = [pk for as_of, pk in snapshots.items() if as_of not in keep]
        if not dropped:
            return 0
        bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
        score_t = RfmScore._meta.db_table
        with connection.cursor() as cursor:
            for snapshot_id in dropped:
                if bounds["lo"] is None:
                    break
                for lo in range(bounds["lo"], bounds["hi"] + 1, RFM_CHUNK):
                    cursor.execute(
                        f"DELETE FROM {score_t} WHERE snapshot_id = %s AND customer_id BETWEEN %s AND %s",  # noqa: S608
                        [snapshot_id, lo, lo + RFM_CHUNK - 1],
                    )
        RfmSnapshot.objects.filter(pk__in=dropped).delete()  # no rows left for the cascade to collect
        return len(dropped)


# --- the analytics settings ------------------------------------------------------------------------------

SETTINGS_FIELDS = ("key_metric", "target_percent", "target_date", "key_metric_days", "rfm_window_days")
_BASELINE_FIELDS = ("baseline_value", "baseline_start", "baseline_end")


def _settings_check(
    *, key_metric: str, target_percent: Decimal | None, key_metric_days: int, rfm_window_days: int
) -> None:
    """The bounds of each setting (InvalidAnalyticsSetting on its field), before anything is measured."""
    if not RFM_WINDOW_MIN <= rfm_window_days <= RFM_WINDOW_MAX:
        raise InvalidAnalyticsSetting(
            _("The RFM analysis window must be from %(min)s to %(max)s days.")
            % {"min": points_format(RFM_WINDOW_MIN), "max": points_format(RFM_WINDOW_MAX)},
            field="rfm_window_days",
        )
    if key_metric and key_metric not in KeyMetric.values:
        raise InvalidAnalyticsSetting(_("Choose one of the listed figures."), field="key_metric")
    if not KEY_METRIC_DAYS_MIN <= key_metric_days <= KEY_METRIC_DAYS_MAX:
        raise InvalidAnalyticsSetting(
            _("The key metric is measured over %(min)s to %(max)s days.")
            % {"min": points_format(KEY_METRIC_DAYS_MIN), "max": points_format(KEY_METRIC_DAYS_MAX)},
            field="key_metric_days",
        )
    if not key_metric:
        return
    if target_percent is None:
        raise InvalidAnalyticsSetting(_("Say by how many per cent the figure should change."), field="target_percent")
    limit = 100 if key_metric in rules.KEY_METRIC_LOWER_IS_BETTER else TARGET_PERCENT_MAX
    if not 0 < target_percent <= limit:
        raise InvalidAnalyticsSetting(
            _("The target change must be above 0 and at most %(max)s %%.") % {"max": points_format(limit)},
            field="target_percent",
        )


def _baseline_measure(key: str, days: int, *, today: dt.date) -> tuple[Decimal, rules.Period]:
    """The key metric over the `days` days ending yesterday (from the nightly snapshot when it holds that
    period: an ended period's figures never change; else live), refused when there is nothing to start from."""
    period = key_metric_window(days, today=today)
    value = snapshots.key_metric_figure(key, period)
    if value is None:
        raise InvalidAnalyticsSetting(
            _(
                "This figure has no value over the last %(days)s days (no purchases): there is no baseline to start from."
            )
            % {"days": days},
            field="key_metric",
        )
    if value == 0:
        raise InvalidAnalyticsSetting(
            _("This figure is 0 over the last %(days)s days: a change in per cent of 0 sets no target.")
            % {"days": days},
            field="key_metric",
        )
    return value.quantize(rules.KEY_METRIC_PLACES[key]), period


def analytics_settings_update(
    *,
    actor: Any,
    origin: str = "",
    key_metric: str,
    target_percent: Decimal | None,
    target_date: dt.date | None,
    key_metric_days: int,
    rfm_window_days: int,
    new_baseline: bool = False,
    today: dt.date | None = None,
) -> AnalyticsSettings:
    """Change the analytics settings (docs/analytics.md, "The key metric"; docs/analytics-rfm.md for the
    window). Audited old → new in the same transaction; nothing is written when nothing changes.

    `key_metric`: a KeyMetric value, or "" for none (which clears the target). `target_percent`: Decimal,
    the change in % from the baseline, raising the figure (cutting it for churn), above 0 and at most 1 000
    (100 for a cut). `target_date`: the day to reach it by; after `today` whenever it is set or changed or
    the baseline is measured again. `key_metric_days`: the window in days (7–365) the figure is measured
    over. `rfm_window_days`: the RFM analysis window (30–1 095 days), used from the next snapshot on.

    The baseline (the figure over the `key_metric_days` days ending yesterday, as of `today`, default today
    in the shop's time zone) is measured and stored when a key metric is first set, when the metric or its
    window changes, and when `new_baseline` asks for it; changing only the target or its date keeps it.
    Raises InvalidAnalyticsSetting (with the field) for a value out of bounds, a missing target, a target
    date not in the future, or a figure with no value or 0 to start from; then nothing changes."""
    today = today or timezone.localdate()
    key_metric = key_metric or ""
    _settings_check(
        key_metric=key_metric,
        target_percent=target_percent,
        key_metric_days=key_metric_days,
        rfm_window_days=rfm_window_days,
    )
    with transaction.atomic():
        row = analytics_settings_get()
        row = AnalyticsSettings.objects.select_for_update().get(pk=row.pk)
        new = {
            "key_metric": key_metric,
            "target_percent": target_percent.quantize(CENT) if key_metric and target_percent is not None else None,
            "target_date": target_date if key_metric else None,
            "key_metric_days": key_metric_days,
            "rfm_window_days": rfm_window_days,
        }
        if key_metric:
            measure = (
                new_baseline
                or row.baseline_value is None
                or key_metric != row.key_metric
                or key_metric_days != row.key_metric_days
            )
            if target_date is None:
                raise InvalidAnalyticsSetting(_("Give the date to reach the target by."), field="target_date")
            if (measure or target_date != row.target_date) and target_date <= today:
                raise InvalidAnalyticsSetting(_("The target date must be after today."), field="target_date")
            if measure:
                value, period = _baseline_measure(key_metric, key_metric_days, today=today)
                new.update(baseline_value=value, baseline_start=period.start, baseline_end=period.end)
        else:
            new.update(dict.fromkeys(_BASELINE_FIELDS))
        changes = audit_diff({field: getattr(row, field) for field in new}, new)
        for field in changes:
            setattr(row, field, new[field])
        if not changes:
            return row
        row.save()
        audit_record(
            action=AuditAction.ANALYTICS_SETTINGS_UPDATE,
            obj=row,
            summary=_("Analytics settings changed: %(fields)s") % {"fields": ", ".join(changes)},
            actor=actor,
            origin=origin,
            changes=changes,
        )
    return row


def dashboard_snapshot(as_of: dt.date, *, now: dt.datetime | None = None) -> list[DashboardSnapshot]:
    """Compute and store the dashboard snapshot of `as_of` (the daily run's date): figures up to the end
    of the day before it, for the pages to answer from (analytics.snapshots).

    Rows written: period_kpis of each period of analytics.snapshots.preset_periods(as_of) (the last 7, 30
    and 90 days and the last whole month) and of the key metric's window when one is set (the N days ending
    the day before `as_of`, analytics.selectors.key_metric_window), monthly_economics and cohort_retention of the 12 months ending
    the day before `as_of`. They are the results of the pages' own functions, so a snapshot gives exactly
    the live figures of its periods (docs/analytics.md, "Nightly snapshots"). Idempotent per date: a
    second run replaces the rows of the first, in one transaction (readers see the old rows or the new
    ones; on PostgreSQL with a larger work_mem for the passes' sorts). Snapshots more than
    analytics.snapshots.KEEP_DAYS days older than `as_of` are deleted. Each period's figures are computed
    once, and those of periods earlier snapshots hold are reused (analytics.snapshots.FiguresCache: a period
    that has ended does not change). Guarded against an overlapping run by an advisory lock (RuntimeError
    if another run holds it for longer than LOCK_WAIT_SECONDS); ValueError for a date after today.
    Returns the rows written.
    """
    now = now or timezone.now()
    if as_of > timezone.localdate():
        raise ValueError(f"Dashboard snapshot {as_of.isoformat()}: the date is in the future")
    last = as_of - dt.timedelta(days=1)
    customer_summary_refresh(as_of, now=now)
    with (
        job_lock("analytics.dashboard_snapshot", wait_seconds=LOCK_WAIT_SECONDS) as got_lock,
        transaction.atomic(),
    ):
        if not got_lock:  # a django-q2 task: it fails and is retried
            raise RuntimeError(f"Dashboard snapshot {as_of.isoformat()}: another run held the lock for too long")
        if connection.vendor == "postgresql":  # the passes over the purchases sort by customer: fewer spills
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL work_mem = '{RFM_WORK_MEM}'")
                cursor.execute("SET LOCAL jit = off")  # compiling these plans took 2–4 s a statement (bench)
        settings_now = snapshots.settings_now()
        figures = snapshots.FiguresCache(settings_now)
        presets = list(dict.fromkeys(snapshots.preset_periods(as_of).values()))
        key_metric = analytics_settings_get()
        if key_metric.key_metric:  # the dashboard's key metric reads its window's figures from here too
            window = key_metric_window(key_metric.key_metric_days, today=as_of)
            presets += [window] if window not in presets else []
        months = [Period(first, end) for first, end in month_spans(snapshots.ECONOMICS_MONTHS + 1, last)]
        figures.prefetch([*presets, *(period_previous(p) for p in presets), *months])
        # One transaction: the old rows of the date stay visible until the new ones are committed.
        rows = [
            (
                Kind.PERIOD,
                p.start,
                p.end,
                snapshots.kpis_encode(period_kpis(p.start, p.end, figures_of=figures), settings_now),
            )
            for p in presets
        ]
        month_figures: dict = {}

        def month_figures_of(start: dt.date, end: dt.date) -> dict:
            month_figures[(start, end)] = figures(start, end)
            return month_figures[(start, end)]

        economics = monthly_economics(months=snapshots.ECONOMICS_MONTHS, today=last, figures_of=month_figures_of)
        first = economics[0].month
        rows.append((Kind.ECONOMICS, first, last, snapshots.economics_encode(economics, month_figures, settings_now)))
        cohorts = cohort_retention(months=snapshots.COHORT_MONTHS, today=last)
        rows.append((Kind.COHORTS, first, last, snapshots.cohorts_encode(cohorts, snapshots.COHORT_MONTHS)))
        DashboardSnapshot.objects.filter(as_of=as_of).delete()
        DashboardSnapshot.objects.filter(as_of__lt=as_of - dt.timedelta(days=snapshots.KEEP_DAYS)).delete()
        return DashboardSnapshot.objects.bulk_create(
            DashboardSnapshot(as_of=as_of, kind=kind, start=start, end=end, computed_at=now, data=data)
            for kind, start, end, data in rows
        )
