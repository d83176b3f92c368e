"""Benchmark: the daily tier review for 1 000 000 customers and 10 000 000 purchases.

    .venv/bin/python bench/tiers_recalc.py [--customers 1000000] [--purchases 10000000] [--reload]

Loads the data straight into PostgreSQL with set-based INSERT … SELECT generate_series (a bulk load,
not the services: this measures the review, not the load), into its own database
`boomerang_bench` (override with BENCH_DATABASE_URL). The data stays for the next run unless --reload.
Then it times three reviews: the first (every customer gets a status and a history row), the same
date again (idempotent: nothing changes), and the next date (steady state). Goal: under 60 s.
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
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang_bench")


def load(customers: int, purchases: int) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE customers_customer, loyalty_purchase, loyalty_tierstatus, loyalty_tierchange, "
            "loyalty_purchaseline, loyalty_refund, loyalty_ledgerentry, loyalty_pointslot, loyalty_lotdebit, "
            "loyalty_pointsaccount, customers_auditentry RESTART IDENTITY CASCADE"
        )
        customers_and_purchases_insert(cur, customers, purchases)
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
    from django.db import connection

    from customers.models import Customer
    from loyalty.models import Purchase, TierChange, TierStatus
    from loyalty.services import tier_recalculate_all

    call_command("migrate", verbosity=0)
    if args.reload or Customer.objects.count() != args.customers or Purchase.objects.count() != args.purchases:
        load(args.customers, args.purchases)
    else:
        with connection.cursor() as cur:
            cur.execute("TRUNCATE loyalty_tierstatus, loyalty_tierchange")
        print("reusing the loaded customers and purchases (pass --reload to load again)")

    today = dt.date.today()
    runs = [
        ("first review (everyone joins)", today),
        ("same date again", today),
        ("next date", today + dt.timedelta(days=1)),
    ]
    for label, day in runs:
        t = time.perf_counter()
        result = tier_recalculate_all(as_of=day)
        elapsed = time.perf_counter() - t
        print(f"{label:32s} {elapsed:7.2f} s   {result}", flush=True)
    counts = dict(TierStatus.objects.values_list("tier__code").annotate(n=django.db.models.Count("pk")))
    print(f"tier distribution: {counts}; history rows: {TierChange.objects.count():,}")
    print("goal: under 60 s for a review of 1 000 000 customers / 10 000 000 purchases")


if __name__ == "__main__":
    main()
