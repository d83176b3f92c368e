"""Benchmark: the nightly RFM snapshot for 1 000 000 customers and 10 000 000 purchases (issue #13).

    .venv/bin/python bench/analytics_rfm.py [--customers 1000000] [--purchases 10000000] [--reload]

Loads the data straight into PostgreSQL with set-based INSERT … SELECT generate_series (a bulk load, not
the services: this measures the snapshot, not the load) into its own database `boomerang_bench_rfm`
(override with BENCH_DATABASE_URL); 2 % of the purchases have a partial refund. The data stays for the
next run unless --reload. Then it times three snapshots: the first for today, the same date again (it
replaces the first), and yesterday's. Goal: under 60 s each.
"""

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _database import customers_and_purchases_insert, ensure_database  # noqa: E402 - bench/ is on sys.path when run as a script

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang_bench_rfm"
)


def load(customers: int, purchases: int) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE customers_customer, loyalty_purchase, loyalty_refund, analytics_rfmsnapshot, "
            "analytics_rfmscore RESTART IDENTITY CASCADE"
        )
        customers_and_purchases_insert(cur, customers, purchases)
        t = time.perf_counter()
        cur.execute(
            """
            INSERT INTO loyalty_refund (purchase_id, amount, points_reversed, points_returned, points_shortfall,
                points_expired, request_fingerprint, origin, created_at)
            SELECT id, round(amount / 2, 2), 0, 0, 0, 0, '', 'bench', created_at + interval '3 days'
            FROM loyalty_purchase WHERE id % 50 = 0
            """
        )
        cur.execute(
            "UPDATE loyalty_purchase SET refunded_amount = round(amount / 2, 2), "
            "qualifying_amount = amount - round(amount / 2, 2) WHERE id % 50 = 0"
        )
        print(f"refunded half of every 50th purchase in {time.perf_counter() - t:.1f} s", flush=True)
        cur.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--purchases", type=int, default=10_000_000)
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from analytics.services import rfm_snapshot
    from customers.models import Customer

    call_command("migrate", verbosity=0)
    if args.reload or Customer.objects.count() != args.customers:
        load(args.customers, args.purchases)
    today = timezone.localdate()
    for label, day in (("first", today), ("same date again", today), ("yesterday", today - dt.timedelta(days=1))):
        t = time.perf_counter()
        snapshot = rfm_snapshot(day)
        elapsed = time.perf_counter() - t
        print(f"RFM snapshot {day} ({label}): {snapshot.customers:,} customers scored in {elapsed:.1f} s", flush=True)


if __name__ == "__main__":
    main()
