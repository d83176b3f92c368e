"""Benchmark: the results per kind (/messages/stats/, messaging.selectors.message_results) on a big outbox.

    .venv/bin/python bench/messaging_results.py [--customers 100000] [--purchases 500000]
                                               [--messages 300000] [--runs 3] [--reload]

Bulk-loads (set-based SQL) into its own database `boomerang_bench_messaging_results` (override with
BENCH_DATABASE_URL; kept for the next run unless --reload): `--customers` customers and `--purchases`
purchases over 400 days (bench/_database.py), and `--messages` messages queued over the last 30 days, 10
kinds on email and SMS (90 % sent a minute after queueing, 60 % of those delivered, 5 % failed, 5 %
skipped; 30 % of sent emails opened, 6 % of sent messages clicked, 0.5 % unsubscribed through theirs), then
times message_results over those 30 days (the page's default period) `--runs` times and prints the table's
"All messages" row. The console page adds the rendering of about 31 rows to this.
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
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang_bench_messaging_results"
)


def load(customers: int, purchases: int, messages: int) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE customers_customer RESTART IDENTITY CASCADE")
        customers_and_purchases_insert(cur, customers, purchases)
        started = time.perf_counter()
        cur.execute(
            """
            INSERT INTO messaging_message (customer_id, channel, kind, purpose, template, language, subject, text,
                address, status, skip_reason, error, attempts, held_reason, key, provider, provider_message_id,
                created_at, sent_at, delivered_at, failed_at, updated_at, opened_at, open_count, clicked_at,
                click_count, links, "values")
            SELECT c, ch, 'kind_' || ((i / 2) %% 10), 'marketing', '', 'en', '', 'Sale https://shop.example/s',
                   'x', CASE WHEN r < 0.05 THEN 'skipped' WHEN r < 0.10 THEN 'failed'
                             WHEN r < 0.64 THEN 'delivered' ELSE 'sent' END,
                   CASE WHEN r < 0.05 THEN 'no_consent' ELSE '' END, '', 1, '', gen_random_uuid(), 'bench', '',
                   at, CASE WHEN r >= 0.10 THEN at + interval '1 minute' END,
                   CASE WHEN r >= 0.10 AND r < 0.64 THEN at + interval '2 minutes' END,
                   CASE WHEN r >= 0.05 AND r < 0.10 THEN at + interval '1 minute' END, at,
                   CASE WHEN r >= 0.10 AND ch = 'email' AND o < 0.30 THEN at + interval '1 hour' END,
                   CASE WHEN r >= 0.10 AND ch = 'email' AND o < 0.30 THEN 1 ELSE 0 END,
                   CASE WHEN r >= 0.10 AND o < 0.06 THEN at + interval '2 hours' END,
                   CASE WHEN r >= 0.10 AND o < 0.06 THEN 1 ELSE 0 END, '["https://shop.example/s"]', '{}'
            FROM (
                SELECT i, 1 + floor(%s * random())::int AS c, CASE WHEN i %% 2 = 0 THEN 'email' ELSE 'sms' END AS ch,
                       random() AS r, random() AS o, now() - (random() * 29) * interval '1 day' AS at
                FROM generate_series(1, %s) AS i
            ) g
            """,
            [customers, messages],
        )
        cur.execute(
            """
            INSERT INTO messaging_consentchange (customer_id, channel, granted, source, at, origin, note, message_id)
            SELECT customer_id, channel, false, 'link', sent_at + interval '3 hours', 'link', '', id
            FROM messaging_message WHERE sent_at IS NOT NULL AND id % 200 = 0
            """
        )
        cur.execute("ANALYZE")
        print(f"loaded {messages:,} messages in {time.perf_counter() - started:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=500_000)
    parser.add_argument("--messages", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"], fresh=args.reload)
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from loyalty.rules import local_midnight
    from messaging.models import Message
    from messaging.selectors import message_results

    call_command("migrate", verbosity=0)
    if Message.objects.count() != args.messages:
        load(args.customers, args.purchases, args.messages)
    else:
        print("reusing the loaded data (pass --reload to load again)")
    today = timezone.localdate()
    since, until = local_midnight(today - dt.timedelta(days=29)), local_midnight(today + dt.timedelta(days=1))
    for run in range(1, args.runs + 1):
        started = time.perf_counter()
        rows = message_results(since=since, until=until)
        print(f"run {run}: {len(rows)} rows in {time.perf_counter() - started:.2f} s", flush=True)
    print(rows[-1])


if __name__ == "__main__":
    main()
