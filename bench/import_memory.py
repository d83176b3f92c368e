"""Peak memory of the customer import for a given file: a dry run by default, `--real` to write too.

    .venv/bin/python bench/import_memory.py FILE.csv [--real]

Runs `customers.imports.customers_import` in this process on its own database `boomerang_bench_memory`
(BENCH_DATABASE_URL to override; emptied and migrated first) and prints the rows, the time and the peak
resident memory (ru_maxrss) before and after. Generate a file of N rows with `--make N FILE.csv`.
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _database import ensure_database  # noqa: E402 - bench/ is on sys.path when run as a script

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang_bench_memory")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DEBUG", "false")  # as a worker runs: no query log kept in memory
os.environ["IMPORT_MAX_ROWS"] = os.environ.get("IMPORT_MAX_ROWS", "200000")


def make(rows: int, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write("name,phone,email,birthday,consent_email,consent_sms,card_number,balance,notes\n")
        for i in range(rows):
            f.write(f"Customer Number {i} Ivanovich,+7 915 {i:07d},c{i}@example.com,1990-01-{1 + i % 28:02d},"
                    f"1,0,,{i % 500},Some notes about this customer number {i}\n")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--real", action="store_true", help="write the customers too (one transaction)")
    parser.add_argument("--make", type=int, metavar="N", help="first write a file of N valid rows to FILE")
    args = parser.parse_args()
    if args.make:
        make(args.make, args.file)
    ensure_database(DATABASE_URL, fresh=True)
    import django

    django.setup()
    from django.core.management import call_command

    from customers.imports import customers_import

    call_command("migrate", verbosity=0)
    content = Path(args.file).read_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    result = customers_import(content=content, file_name=Path(args.file).name, dry_run=not args.real)
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'real run' if args.real else 'dry run'}: {len(content) / 2**20:.1f} MB, rows {result.total_rows}, "
          f"valid {result.valid_rows}, imported {result.imported}, problems {len(result.problems)}; {took:.1f} s; "
          f"peak RSS {peak:.0f} MB (before the import {before:.0f} MB)")  # fmt: skip
    if args.real:
        call_command("verify_ledger")


if __name__ == "__main__":
    main()
