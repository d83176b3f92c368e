"""Benchmark: RFM snapshot retention (analytics.services.rfm_snapshots_prune) deleting snapshots of 1 000 000
rows each (issue #13).

    .venv/bin/python bench/analytics_rfm_prune.py [--customers 1000000] [--dropped 2]

In its own database `boomerang_bench_rfm_prune` (override with BENCH_DATABASE_URL), made fresh each run:
loads the customers (set-based, bench/_database.py), writes a snapshot for today and `--dropped` snapshots
older than 25 months (which the rule drops), each with a row per customer (INSERT … SELECT; the scores are
not computed, this measures the delete), then times the prune. Prints the seconds and the rows left.
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
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang_bench_rfm_prune"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--dropped", type=int, default=2)
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"], fresh=True)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from analytics.models import RfmScore, RfmSnapshot
    from analytics.services import rfm_snapshots_prune

    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    with connection.cursor() as cur:
        customers_and_purchases_insert(cur, args.customers, 0)
        days = [today] + [today - dt.timedelta(days=800 + i) for i in range(args.dropped)]
        for day in days:
            snapshot = RfmSnapshot.objects.create(
                as_of=day, window_days=365, computed_at=timezone.now(), customers=args.customers
            )
            started = time.perf_counter()
            cur.execute(
                f"""
                INSERT INTO {RfmScore._meta.db_table} (snapshot_id, customer_id, recency_days, frequency, monetary,
                    recency_score, frequency_score, monetary_score, segment)
                SELECT %s, id, 1 + id %% 365, 1 + id %% 7, 100 + id %% 5000, 1 + id %% 5, 1 + id %% 5, 1 + id %% 5, 'lost'
                FROM customers_customer
                """,  # noqa: S608 - a name from model metadata
                [snapshot.pk],
            )
            print(f"snapshot {day}: {cur.rowcount:,} rows written in {time.perf_counter() - started:.1f} s", flush=True)
        cur.execute("ANALYZE")
    started = time.perf_counter()
    pruned = rfm_snapshots_prune()
    elapsed = time.perf_counter() - started
    left = RfmScore.objects.count()
    print(
        f"pruned {pruned} snapshots ({pruned * args.customers:,} rows) in {elapsed:.1f} s; {left:,} rows left",
        flush=True,
    )


if __name__ == "__main__":
    main()
