"""Benchmark: the analytics pages and the nightly analytics work on 1 000 000 customers and 10 000 000
purchases (issue #13).

    .venv/bin/python bench/analytics_dashboard.py [--customers 1000000] [--purchases 10000000] [--reload]
                                                  [--live-timeout 300] [--skip-live] [--rfm-fk-ab]
                                                  [--statements SECONDS]

Own database `boomerang_bench_dash` (override with BENCH_DATABASE_URL). The data is bulk-loaded with
set-based INSERT … SELECT (not the services: this measures the reads, not the load) and stays for the next
run unless --reload:

- customers and purchases over the last 400 days (bench/_database.customers_and_purchases_insert);
- every 50th purchase half refunded a few days later (2 %), with the cashback it reverses;
- the ledger as the services would have written it: an `earn` entry and a points lot per purchase (5 %,
  living 365 days), a `redeem` of half of every 4th purchase's points 20 days later, a `bonus` of 100
  points to every 20th customer, and the nightly `expire` of whatever was left in lots past their expiry;
  every debit with its lot debit, and each lot's `remaining` consistent with its debits;
- a tier change to Silver for every 10th customer at one of their purchases; the program settings and
  the migrations' tiers.

Then it times, first live (each with a statement timeout of --live-timeout seconds; a step that hits it
is printed as "> N s"): the dashboard's figures for its default period (period_kpis, two periods), the
monthly economics (12 months), the cohorts, the RFM grid and movement, and each page through Django's
test client as a logged-in Marketing user; then the nightly work (the RFM snapshot and the dashboard
snapshot) and the same pages answered from the snapshots. Prints one line per step and a table at the end.
"""

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _database import customers_and_purchases_insert, ensure_database  # noqa: E402 - bench/ is on sys.path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang_bench_dash"
)

RESULTS: list[tuple[str, str]] = []


def _step(label: str, started: float, note: str = "") -> float:
    elapsed = time.perf_counter() - started
    RESULTS.append((label, f"{elapsed:.2f}"))
    print(f"{label}: {elapsed:.2f} s{note}", flush=True)
    return elapsed


def load(customers: int, purchases: int) -> None:
    """Empty the tables the figures read and bulk-load customers and purchases (see the module's docstring)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE customers_customer, loyalty_purchase, loyalty_refund, loyalty_ledgerentry, loyalty_pointslot, "
            "loyalty_lotdebit, loyalty_tierchange, loyalty_tierstatus, analytics_rfmsnapshot, analytics_rfmscore "
            "RESTART IDENTITY CASCADE"
        )
        customers_and_purchases_insert(cur, customers, purchases)


def load_points() -> None:
    """Empty the refunds, the ledger, the lots and the tier changes and load them for the purchases there are
    (see the module's docstring): every step one INSERT … SELECT, each debit naming its lot in `source`."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SET work_mem = '256MB'")
        cur.execute(
            "TRUNCATE loyalty_refund, loyalty_ledgerentry, loyalty_pointslot, loyalty_lotdebit, loyalty_tierchange "
            "RESTART IDENTITY CASCADE"
        )
        cur.execute("UPDATE loyalty_programsettings SET points_lifetime_days = 365, activation_delay_days = 0")

        def timed(label: str, sql: str) -> None:
            t = time.perf_counter()
            cur.execute(sql)
            print(f"{label}: {cur.rowcount:,} rows in {time.perf_counter() - t:.1f} s", flush=True)

        timed(
            "refunds",
            """
            INSERT INTO loyalty_refund (purchase_id, amount, points_reversed, points_returned, points_shortfall,
                points_expired, request_fingerprint, origin, created_at)
            SELECT id, round(amount / 2, 2), earned_points / 2, 0, 0, 0, '', 'bench',
                   least(created_at + interval '3 days', now() - interval '1 minute')
            FROM loyalty_purchase WHERE id % 50 = 0
            """,
        )
        timed(
            "purchases refunded",
            "UPDATE loyalty_purchase SET refunded_amount = round(amount / 2, 2), points_reversed = earned_points / 2, "
            "qualifying_amount = amount - round(amount / 2, 2) WHERE id % 50 = 0 AND refunded_amount = 0",
        )
        timed(
            "earn entries",
            """
            INSERT INTO loyalty_ledgerentry (customer_id, kind, points, reason, purchase_id, source,
                request_fingerprint, created_at, expires_at)
            SELECT customer_id, 'earn', earned_points, 'Cashback', id, '', '', created_at,
                   created_at + interval '365 days'
            FROM loyalty_purchase ORDER BY id
            """,
        )
        timed(
            "bonus entries",
            """
            INSERT INTO loyalty_ledgerentry (customer_id, kind, points, reason, source, request_fingerprint,
                created_at, expires_at)
            SELECT id, 'bonus', 100, 'Welcome bonus', 'bench', '', created_at + interval '1 hour',
                   created_at + interval '1 hour 365 days'
            FROM customers_customer WHERE id % 20 = 0
            """,
        )
        # What each lot loses: half of every 4th purchase's points redeemed 20 days later (if that is past),
        # half of every 50th taken back by its refund; the rest burns if the lot is past its expiry.
        timed(
            "plan",
            """
            CREATE TEMPORARY TABLE plan AS
            SELECT e.id AS entry_id, e.customer_id, e.created_at, e.expires_at, e.points,
                   CASE WHEN e.purchase_id % 4 = 0 AND e.created_at + interval '20 days' < now()
                        THEN e.points / 2 ELSE 0 END AS redeemed,
                   CASE WHEN e.purchase_id % 50 = 0 THEN e.points / 2 ELSE 0 END AS reversed,
                   e.purchase_id
            FROM loyalty_ledgerentry e
            """,
        )
        timed(
            "lots",
            """
            INSERT INTO loyalty_pointslot (customer_id, entry_id, points, remaining, created_at, available_at,
                expires_at)
            SELECT customer_id, entry_id, points,
                   CASE WHEN expires_at <= now() THEN 0 ELSE points - redeemed - reversed END,
                   created_at, created_at, expires_at
            FROM plan
            """,
        )
        timed(
            "plan's lots",
            "CREATE TEMPORARY TABLE planned AS SELECT p.*, l.id AS lot_id FROM plan p "
            "JOIN loyalty_pointslot l ON l.entry_id = p.entry_id",
        )
        timed(
            "redeem entries",
            """
            INSERT INTO loyalty_ledgerentry (customer_id, kind, points, reason, source, request_fingerprint,
                created_at)
            SELECT customer_id, 'redeem', -redeemed, 'Paid with points', 'lot:' || lot_id, '',
                   created_at + interval '20 days'
            FROM planned WHERE redeemed > 0
            """,
        )
        timed(
            "refund reversal entries",
            """
            INSERT INTO loyalty_ledgerentry (customer_id, kind, points, reason, purchase_id, refund_id, source,
                request_fingerprint, created_at)
            SELECT p.customer_id, 'refund_reversal', -p.reversed, 'Refund', p.purchase_id, r.id, 'lot:' || p.lot_id,
                   '', r.created_at
            FROM planned p JOIN loyalty_refund r ON r.purchase_id = p.purchase_id WHERE p.reversed > 0
            """,
        )
        timed(
            "expire entries",
            """
            INSERT INTO loyalty_ledgerentry (customer_id, kind, points, reason, source, request_fingerprint,
                created_at)
            SELECT customer_id, 'expire', -(points - redeemed - reversed), 'Points expired', 'lot:' || lot_id, '',
                   expires_at
            FROM planned WHERE expires_at <= now() AND points - redeemed - reversed > 0
            """,
        )
        timed(
            "lot debits",
            "INSERT INTO loyalty_lotdebit (entry_id, lot_id, points) SELECT id, substr(source, 5)::bigint, -points "
            "FROM loyalty_ledgerentry WHERE kind IN ('redeem', 'refund_reversal', 'expire')",
        )
        timed(
            "tier changes",
            """
            INSERT INTO loyalty_tierchange (customer_id, from_tier_id, to_tier_id, reason, spend, purchase_id,
                created_at)
            SELECT DISTINCT ON (p.customer_id) p.customer_id, b.id, s.id, 'upgrade_purchase', 15000, p.id,
                   p.created_at
            FROM loyalty_purchase p, loyalty_tier b, loyalty_tier s
            WHERE p.customer_id % 10 = 0 AND b.code = 'bronze' AND s.code = 'silver'
            ORDER BY p.customer_id, p.id
            """,
        )
        cur.execute("DROP TABLE plan, planned")
        t = time.perf_counter()
        cur.execute("VACUUM ANALYZE")
        print(f"vacuum analyze: {time.perf_counter() - t:.1f} s", flush=True)


def _timeout(seconds: int | None) -> None:
    """The statement timeout of this connection (None: none)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SET statement_timeout = {int(seconds * 1000) if seconds else 0}")


def _timed(label: str, fn, *, timeout: int | None = None):
    """Run fn(), print and record its time; a statement timeout is recorded as "> timeout s"."""
    from django.db import OperationalError, connection

    _timeout(timeout)
    started = time.perf_counter()
    try:
        result = fn()
    except OperationalError as error:  # QueryCanceled: the statement timeout
        if "statement timeout" not in str(error):
            raise
        RESULTS.append((label, f"> {timeout}"))
        print(f"{label}: > {timeout} s (statement timeout)", flush=True)
        connection.close()  # a fresh connection for the next step
        return None
    finally:
        if connection.connection is not None:
            _timeout(None)
    _step(label, started)
    return result


def _page(client, url: str, needle: str):
    """GET `url` as the logged-in client; the page must answer 200 and contain `needle`."""

    def get():
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 200 and needle in body, (url, response.status_code)
        return body

    return get


def _earlier_nights_seed(today: dt.date) -> None:
    """Turn the first night's rows of `today` into what earlier nights would have left, as if the snapshot had
    run every night before: for each period that has ended before yesterday (the previous periods of the
    rolling presets, the last month and its previous period, the whole months of the economics), a row of
    the night after it ended with its figures (the same figures: an ended period does not change); then
    delete today's rows, so that the next run computes what a usual night computes (the periods ending
    yesterday) and takes the rest from those rows."""
    from analytics import snapshots
    from analytics.models import DashboardSnapshot

    yesterday = today - dt.timedelta(days=1)
    rows = list(DashboardSnapshot.objects.filter(as_of=today))
    settings_now = snapshots.settings_now()
    ended: dict[tuple[str, str], dict] = {}
    for row in rows:
        if row.kind == DashboardSnapshot.Kind.PERIOD:
            for part in (row.data["kpis"]["period"], row.data["kpis"]["previous_period"]):
                ended[(part["start"], part["end"])] = part["figures"]
        elif row.kind == DashboardSnapshot.Kind.ECONOMICS:
            for month in row.data["month_figures"]:
                ended[(month["start"]["$date"], month["end"]["$date"])] = month["figures"]
    seeds = []
    for (start, end), figures in ended.items():
        end_day = dt.date.fromisoformat(end)
        if end_day >= yesterday:
            continue
        part = {"start": start, "end": end, "figures": figures}
        seeds.append(
            DashboardSnapshot(
                as_of=end_day + dt.timedelta(days=1),
                kind=DashboardSnapshot.Kind.PERIOD,
                start=dt.date.fromisoformat(start),
                end=end_day,
                computed_at=rows[0].computed_at,
                data={"kpis": {"period": part, "previous_period": part, "change": {}}, **settings_now},
            )
        )
    DashboardSnapshot.objects.filter(as_of=today).delete()
    DashboardSnapshot.objects.bulk_create(seeds, ignore_conflicts=True)
    print(f"seeded {len(seeds)} periods that ended before yesterday, as earlier nights would have", flush=True)


class _SlowStatements:
    """With --statements: print every SQL statement of the nightly steps that takes `over` seconds or more
    (its time and its first words), to see where a step's time goes (a Django execute wrapper)."""

    def __init__(self, over: float) -> None:
        self.over = over

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            if elapsed >= self.over:
                print(f"    {elapsed:6.2f} s  {' '.join(sql.split())[:150]}", flush=True)


def measure(*, live_timeout: int, skip_live: bool, rfm_fk_ab: bool, statements: float | None = None) -> None:
    """Time the pages' data and the pages live, the nightly work, and the pages from the snapshots."""
    import contextlib

    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from analytics.cohorts import cohort_retention
    from analytics.models import DashboardSnapshot, RfmSnapshot
    from analytics.rfm import rfm_grid, rfm_movement_since_previous, rfm_snapshot_latest
    from analytics.selectors import period_figures, period_kpis
    from analytics.services import dashboard_snapshot, rfm_snapshot
    from analytics.summary import customer_summary_refresh

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    user, _created = User.objects.get_or_create(username="bench-marketing")
    user.groups.add(Group.objects.get(name="Marketing"))
    client = Client()
    client.force_login(user)
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    start = yesterday - dt.timedelta(days=29)
    DashboardSnapshot.objects.all().delete()
    month_end = today.replace(day=1) - dt.timedelta(days=1)
    if not skip_live:
        print(f"live, each statement stopped after {live_timeout} s:", flush=True)
        _timed(
            "live: period_kpis, the 30 days ending yesterday (2 periods)",
            lambda: period_kpis(start, yesterday),
            timeout=live_timeout,
        )
        _timed(
            "live: period_figures of last month (the economics page computes 13 months)",
            lambda: period_figures(month_end.replace(day=1), month_end),
            timeout=live_timeout,
        )
        _timed("live: cohort_retention, 12 months", lambda: cohort_retention(months=12), timeout=live_timeout)
        _timed("live page: /analytics/", _page(client, "/analytics/", 'data-source="live"'), timeout=live_timeout)
        _timed(
            "live page: /analytics/cohorts/", _page(client, "/analytics/cohorts/", 'data-source="live"'),
            timeout=live_timeout,
        )  # fmt: skip
    print("nightly work:", flush=True)
    _timed(
        f"customer summary of {yesterday}, rebuilt in full (the first night)",
        lambda: customer_summary_refresh(yesterday, full=True),
    )
    if not RfmSnapshot.objects.filter(as_of=yesterday).exists():
        _timed(f"RFM snapshot {yesterday} (the night before, for the movement)", lambda: rfm_snapshot(yesterday))
    _timed(f"dashboard snapshot {today}, the first night (no earlier snapshot)", lambda: dashboard_snapshot(today))
    _earlier_nights_seed(today)
    customer_summary_refresh(yesterday, full=True)  # back to what the night before left (not timed)
    # The setup above rewrote every row of the summary tables twice (DELETE + INSERT: readers keep the old rows
    # until the commit) and wrote the first night's snapshots: three versions of a million rows each, which
    # autovacuum would clean during the day between two nights — and which it would otherwise start cleaning
    # on this 2-core machine while the night below is timed. Not timed.
    with connection.cursor() as cur:
        cur.execute(
            "VACUUM ANALYZE analytics_customersummary, analytics_replaypurchase, analytics_rfmscore, "
            "analytics_rfmsnapshot, analytics_dashboardsnapshot, analytics_pointsdaytotal"
        )
    slow = connection.execute_wrapper(_SlowStatements(statements)) if statements else contextlib.nullcontext()
    slow.__enter__()
    t = time.perf_counter()
    state = _timed(
        f"nightly: customer summary {yesterday} → {today}, by slices", lambda: customer_summary_refresh(today)
    )
    print(
        f"  {state.customers_refreshed:,} customers' rows rebuilt, {getattr(state, 'moved', 0):,} moved with the windows",
        flush=True,
    )
    _timed(f"nightly: RFM snapshot {today}", lambda: rfm_snapshot(today))
    t2 = time.perf_counter()
    _timed(f"nightly: dashboard snapshot {today}, a night after earlier ones", lambda: dashboard_snapshot(today))
    nightly = time.perf_counter() - t
    RESULTS.append(("nightly: total (summary + RFM + dashboard)", f"{nightly:.2f}"))
    print(f"nightly total: {nightly:.2f} s (dashboard part {time.perf_counter() - t2:.2f} s)", flush=True)
    slow.__exit__(None, None, None)
    if rfm_fk_ab:
        # The same snapshot again with the foreign keys' constraints of rfm scores (as the migrations make
        # them), then without them, then they are put back: what dropping them would save. Measured: nothing.
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'analytics_rfmscore'::regclass AND contype = 'f'"
            )
            constraints = cur.fetchall()
        _timed(f"RFM snapshot {today} again, with the foreign-key constraints", lambda: rfm_snapshot(today))
        with connection.cursor() as cur:
            for name, _definition in constraints:
                cur.execute(f'ALTER TABLE analytics_rfmscore DROP CONSTRAINT "{name}"')
        _timed(f"RFM snapshot {today} again, without them", lambda: rfm_snapshot(today))
        with connection.cursor() as cur:
            for name, definition in constraints:
                cur.execute(f'ALTER TABLE analytics_rfmscore ADD CONSTRAINT "{name}" {definition} NOT VALID')
    print("from the snapshots:", flush=True)
    latest = rfm_snapshot_latest()
    _timed("RFM grid", lambda: rfm_grid(latest))
    _timed("RFM movement", lambda: rfm_movement_since_previous(latest))  # stored with the snapshot
    for url in ("/analytics/", "/analytics/economics/", "/analytics/cohorts/"):
        _page(client, url, 'data-source="snapshot"')()  # warm: templates, translations
        _timed(f"page from the snapshot: {url}", _page(client, url, 'data-source="snapshot"'))
    _timed("page: /analytics/segments/", _page(client, "/analytics/segments/", 'id="snapshot-date"'))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--purchases", type=int, default=10_000_000)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--load-only", action="store_true")
    parser.add_argument("--live-timeout", type=int, default=300, help="seconds per live step")
    parser.add_argument("--skip-live", action="store_true", help="time only the nightly work and the snapshot pages")
    parser.add_argument(
        "--statements",
        type=float,
        metavar="SECONDS",
        help="print the nightly steps' statements taking this long or more",
    )
    parser.add_argument(
        "--rfm-fk-ab", action="store_true", help="time the RFM snapshot with and without FK constraints"
    )
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    from customers.models import Customer

    call_command("migrate", verbosity=0)
    from loyalty.models import LedgerEntry

    t = time.perf_counter()
    if args.reload or Customer.objects.count() != args.customers:
        load(args.customers, args.purchases)
    if args.reload or not LedgerEntry.objects.filter(kind="expire").exists():
        load_points()
        print(f"loaded in {time.perf_counter() - t:.1f} s", flush=True)
    if args.load_only:
        return
    print("uptime:", os.popen("uptime").read().strip(), flush=True)
    measure(
        live_timeout=args.live_timeout,
        skip_live=args.skip_live,
        rfm_fk_ab=args.rfm_fk_ab,
        statements=args.statements,
    )
    print("uptime:", os.popen("uptime").read().strip(), flush=True)
    print("\n| step | seconds |\n| --- | --- |")
    for label, seconds in RESULTS:
        print(f"| {label} | {seconds} |")


if __name__ == "__main__":
    main()
