"""Benchmark: the customer CSV import (issue #6) of a 100 000-row file, dry run and real run.

    .venv/bin/python bench/import_customers.py [--rows 100000] [--keep-file]

Writes a CSV of valid customers (phones in the three usual spellings, ~half with e-mails, dates in both
formats, ~20 % keeping their old card numbers, ~30 % with opening balances) to a temporary directory,
then imports it into its own database `boomerang_bench_import` (override with BENCH_DATABASE_URL),
emptied first, through the code path of the page: an ImportJob run by `import_job_run` (what the
django-q2 worker runs), i.e. reading the file, the import-export Resource, the database checks and
the set-based write, with the progress updates. Goal: under 2 minutes for the real run.
"""

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _database import ensure_database  # noqa: E402 - bench/ is on sys.path when run as a script

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang_bench_import"
)


def write_csv(path: Path, rows: int, seed: int = 6) -> None:
    from customers.rules import luhn_check_digit

    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["name", "phone", "email", "birthday", "consent_email", "consent_sms", "card_number", "balance", "notes"]
        )
        for i in range(rows):
            digits = f"{9001000000 + i:010d}"  # +7 900 100-00-00 upwards: valid Russian mobile numbers
            spelling = i % 3
            if spelling == 0:
                phone = f"+7 {digits[:3]} {digits[3:6]}-{digits[6:8]}-{digits[8:]}"
            elif spelling == 1:
                phone = f"8 ({digits[:3]}) {digits[3:6]} {digits[6:8]} {digits[8:]}"
            else:
                phone = f"+7{digits}"
            email = f"customer{i}@example.com" if rng.random() < 0.5 else ""
            birthday = ""
            if rng.random() < 0.6:
                year, month, day = rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)
                birthday = f"{year}-{month:02d}-{day:02d}" if rng.random() < 0.5 else f"{day:02d}.{month:02d}.{year}"
            card = ""
            if rng.random() < 0.2:
                body = f"26{i:010d}"  # the shop's old cards: a prefix of their own, unique per row
                card = body + luhn_check_digit(body)
            balance = str(rng.randint(1, 5000)) if rng.random() < 0.3 else ""
            writer.writerow(
                [
                    f"Customer {i}",
                    phone,
                    email,
                    birthday,
                    rng.choice(["1", "0", "yes", "no", "да", "нет"]),
                    rng.choice(["1", "0", ""]),
                    card,
                    balance,
                    "imported from the old system" if i % 10 == 0 else "",
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep-file", action="store_true", help="print the CSV's path and keep it")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Sum

    from core.models import AuditEntry
    from customers.imports import import_job_run
    from customers.imports import service as import_service
    from customers.models import Customer, ImportJob
    from loyalty.models import LedgerEntry, PointsAccount, PointsLot
    from loyalty.selectors import ledger_problems

    # Time the write stage (one transaction) apart from the check; the rest of the code path is untouched.
    write_seconds = []
    write = import_service._write

    def timed_write(*args, **kwargs):
        start = time.perf_counter()
        try:
            return write(*args, **kwargs)
        finally:
            write_seconds.append(time.perf_counter() - start)

    import_service._write = timed_write

    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE customers_customer, loyalty_purchase, loyalty_tierstatus, loyalty_tierchange, "
            "loyalty_purchaseline, loyalty_refund, loyalty_ledgerentry, loyalty_pointslot, loyalty_lotdebit, "
            "loyalty_pointsaccount, customers_auditentry, loyalty_importjob RESTART IDENTITY CASCADE"
        )

    tmp = Path(tempfile.mkdtemp(prefix="boomerang-import-"))
    path = tmp / "customers.csv"
    t = time.perf_counter()
    write_csv(path, args.rows)
    print(f"wrote {args.rows:,} rows ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")

    timings = {}
    for label, dry_run in (("dry run", True), ("real run", False)):
        t = time.perf_counter()
        job = ImportJob.objects.create(dry_run=dry_run, file_name=path.name, content=path.read_bytes())
        import_job_run(job_id=job.pk)
        timings[label] = elapsed = time.perf_counter() - t
        job.refresh_from_db()
        print(
            f"{label:9s} {elapsed:7.2f} s   status={job.status} rows={job.total_rows:,} valid={job.valid_rows:,} "
            f"problems={job.invalid_rows:,} notes={len(job.warnings)} imported={job.imported_rows:,} "
            f"points={job.imported_points:,} {job.message}",
            flush=True,
        )
        if write_seconds and not dry_run:
            print(
                f"          of which the write transaction {write_seconds[-1]:.2f} s, the check {elapsed - write_seconds[-1]:.2f} s"
            )
        if job.errors:
            print("  first problems:", job.errors[:5])

    entries = LedgerEntry.objects.filter(kind="import")
    print(
        f"customers: {Customer.objects.count():,}; import entries: {entries.count():,} "
        f"(Σ {entries.aggregate(s=Sum('points'))['s'] or 0:,} points); lots: {PointsLot.objects.count():,}; "
        f"accounts: {PointsAccount.objects.count():,} (Σ {PointsAccount.objects.aggregate(s=Sum('balance'))['s'] or 0:,})"
    )
    print(f"balance mismatches: {len(ledger_problems())}; audit entries: {AuditEntry.objects.count()}")
    print(f"goal: real run under 120 s for {args.rows:,} rows — {'met' if timings['real run'] < 120 else 'MISSED'}")
    if args.keep_file:
        print(f"file kept: {path}")
    else:
        path.unlink()
        tmp.rmdir()


if __name__ == "__main__":
    main()
