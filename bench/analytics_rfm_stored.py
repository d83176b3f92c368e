"""Time the RFM grid and movement stored with each snapshot (analytics 0005) on the dashboard bench's data.

Reads the bench database of bench/analytics_dashboard.py (`boomerang_bench_dash`, 1 000 000 customers,
10 000 000 purchases, two RFM snapshots of about 1 000 000 rows; override with BENCH_DATABASE_URL) and
changes nothing in it: everything runs in ONE transaction that is rolled back at the end, including the
two columns of analytics 0005 when the bench's schema predates them. It times, on the latest snapshot:

1. the page's data as before: the grid and the movement computed live (the stored figures are None), the
   movement both by the SQL main had (LEFT JOIN + anti-join) and by the FULL JOIN it uses now;
2. the extra step rfm_snapshot now takes in its transaction (analytics.services._rfm_summaries_store:
   the grid's GROUP BY, the movement's join with the previous snapshot, the UPDATE of the snapshot row);
3. the page's data after: the same reads, from the stored figures.

The page itself is not rendered: the bench's schema predates the analytics settings table (analytics 0002)
that the page also reads, and this script does not migrate the shared bench database.

    .venv/bin/python bench/analytics_rfm_stored.py
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang_bench_dash"
)
os.environ.setdefault("SECRET_KEY", "bench")

import django  # noqa: E402

django.setup()


class Rollback(Exception):
    """Raised at the end so that the transaction (and any column it added) is rolled back."""


def _timed(label: str, fn, repeat: int = 1):
    """Run fn() `repeat` times; print each run's seconds; return the last result."""
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        print(f"{label}: {time.perf_counter() - started:.3f} s", flush=True)
    return result


def main() -> None:
    from django.db import connection, transaction

    from analytics.models import RfmSnapshot
    from analytics.rfm import rfm_grid, rfm_movement, rfm_movement_since_previous, rfm_snapshot_previous
    from analytics.services import _rfm_summaries_store

    try:
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute(
                    "ALTER TABLE analytics_rfmsnapshot ADD COLUMN IF NOT EXISTS grid jsonb NULL, "
                    "ADD COLUMN IF NOT EXISTS movement jsonb NULL"
                )
            RfmSnapshot.objects.update(grid=None, movement=None)  # as written before analytics 0005
            latest = RfmSnapshot.objects.order_by("-as_of").first()
            print(f"latest snapshot {latest.as_of}: {latest.customers} customers", flush=True)
            _timed("before: grid, live", lambda: rfm_grid(latest), repeat=2)
            previous = rfm_snapshot_previous(latest)
            _timed(
                "before, main's SQL: movement, live (LEFT JOIN + anti-join)",
                lambda: rfm_movement(latest, previous, full_join=False),
                repeat=2,
            )
            _timed("before: movement, live (FULL JOIN)", lambda: rfm_movement_since_previous(latest), repeat=2)
            _timed("extra step in rfm_snapshot: grid + movement stored", lambda: _rfm_summaries_store(latest))
            latest.refresh_from_db()
            print(f"stored: {len(latest.grid)} grid cells, {len(latest.movement['moves'])} moves", flush=True)
            _timed("after: grid, stored", lambda: rfm_grid(RfmSnapshot.objects.get(pk=latest.pk)), repeat=2)
            _timed(
                "after: movement, stored",
                lambda: rfm_movement_since_previous(RfmSnapshot.objects.get(pk=latest.pk)),
                repeat=2,
            )
            raise Rollback
    except Rollback:
        print("rolled back: the bench database is as it was", flush=True)


if __name__ == "__main__":
    main()
