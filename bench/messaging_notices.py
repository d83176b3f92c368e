"""Benchmark: the daily "points about to burn" notices for 1 000 000 customers, then rendering and sending
10 000 of them through the console provider.

    .venv/bin/python bench/messaging_notices.py [--customers 1000000] [--lots 5000000] [--send 10000]
                                                [--reminders] [--cluster] [--reload]

Loads, straight into PostgreSQL with set-based INSERT … SELECT generate_series (a bulk load, not the
services: this measures the notices), into its own database `boomerang_bench_notices` (override with
BENCH_DATABASE_URL; kept for the next run unless --reload):
- `--customers` customers (bench/_database.py: a third with email consent, a quarter with SMS consent, no
  emails), 10 % with a consent history row (given at enrolment), 1 % of them withdrawn since by a STOP reply;
- `--lots` earn entries with their lots over the last 365 days (a point lifetime of 365 days, so they
  burn evenly over the next year), skewed like purchases (a few customers with many lots), 80 % of each
  lot still unspent, and the points accounts with their balances.
Then it times:
1. the daily job's finding and queueing (`points_burning_notices_queue` for today: every customer with
   lots burning on today + 7 days, one deferred SMS per customer, skipped rows with their reason), then the
   same job again (idempotent: nothing written); each notice in its customer's language (bench/_database.py:
   four customers in five write in Russian, the fifth in English; the template exists in both);
2. the worker rendering (template + placeholder values in the customer's language) and sending `--send`
   of those notices through the console provider: in this process one after the other, or with
   --cluster through the dispatcher's batch tasks and a real django-q2 cluster (bench/messaging_send.py's
   send_messages).
3. with --reminders, a stress case of the same set-based statement: the balance reminders (switched on,
   60 days, 100 points), due to every customer with 100 points or more (nobody in the data has bought
   anything), checked for SMS consent and the frequency cap.
`--send 0` skips the sending. The load average is printed with the figures (the machine is shared).
Goal: the job under 60 s.
"""

import argparse
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _database import customers_and_purchases_insert, ensure_database  # noqa: E402 - bench/ is on sys.path when run as a script
from messaging_send import send_messages  # noqa: E402 - (it sets DATABASE_URL to its own database: ours below wins)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang_bench_notices"
)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def load(customers: int, lots: int, *, reload_customers: bool) -> None:
    """Load the customers (when `reload_customers`), then their consent history, lots and accounts."""
    from django.db import connection

    with connection.cursor() as cur:
        if reload_customers:
            cur.execute("TRUNCATE customers_customer RESTART IDENTITY CASCADE")
            customers_and_purchases_insert(cur, customers, 0)
        cur.execute(
            "TRUNCATE loyalty_ledgerentry, loyalty_pointslot, loyalty_pointsaccount, messaging_consentchange, "
            "messaging_message, messaging_messagestatuschange RESTART IDENTITY CASCADE"
        )
        started = time.perf_counter()
        cur.execute(
            """
            INSERT INTO messaging_consentchange (customer_id, channel, granted, source, at, origin, note)
            SELECT id, 'sms', true, 'enrolment', created_at, '', '' FROM customers_customer WHERE id % 10 = 0
            UNION ALL
            SELECT id, 'sms', false, 'stop', now() - interval '1 day', '', '' FROM customers_customer
            WHERE id % 1000 = 0
            """
        )
        # Earn entries over the last 365 days, skewed towards low ids (heavy buyers); lifetime 365 days.
        cur.execute(
            """
            INSERT INTO loyalty_ledgerentry (customer_id, kind, points, reason, source, request_fingerprint,
                created_at, expires_at)
            SELECT c, 'earn', p, 'Purchase', 'bench', '', t, date_trunc('day', t) + interval '365 days'
            FROM (
                SELECT 1 + floor(%s * power(random(), 1.5))::int AS c, 10 + floor(random() * 400)::int AS p,
                       now() - (random() * 365) * interval '1 day' AS t
                FROM generate_series(1, %s)
            ) g
            """,
            [customers, lots],
        )
        cur.execute(
            """
            INSERT INTO loyalty_pointslot (customer_id, entry_id, points, remaining, created_at, available_at,
                expires_at)
            SELECT customer_id, id, points, CASE WHEN random() < 0.8 THEN points ELSE 0 END, created_at,
                   created_at, expires_at
            FROM loyalty_ledgerentry
            """
        )
        cur.execute(
            """
            INSERT INTO loyalty_pointsaccount (customer_id, balance, points_owed, updated_at)
            SELECT c.id, COALESCE(SUM(l.remaining), 0), 0, now()
            FROM customers_customer c LEFT JOIN loyalty_pointslot l ON l.customer_id = c.id
            GROUP BY c.id
            """
        )
        print(f"loaded {lots:,} lots and the accounts in {time.perf_counter() - started:.1f} s", flush=True)
        cur.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lots", type=int, default=5_000_000)
    parser.add_argument("--send", type=int, default=10_000)
    parser.add_argument("--reminders", action="store_true", help="then time the balance reminders (stress case)")
    parser.add_argument("--cluster", action="store_true", help="send through a real django-q2 cluster")
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"], fresh=args.reload)
    import django

    django.setup()
    logging.getLogger("django-q").setLevel(logging.WARNING)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from customers.models import Customer
    from loyalty.models import PointsLot
    from messaging.models import Message, MessageTemplate
    from messaging.selectors import notice_settings
    from messaging.services.notice_jobs import balance_reminder_notices_queue, points_burning_notices_queue
    from messaging.services.notices import notice_setting_update
    from messaging.services.templates import template_save

    call_command("migrate", verbosity=0)
    reload_customers = Customer.objects.count() != args.customers
    if reload_customers or PointsLot.objects.count() != args.lots:
        load(args.customers, args.lots, reload_customers=reload_customers)
    else:
        print("reusing the loaded customers and lots (pass --reload to load again)")
    with connection.cursor() as cur:
        cur.execute("TRUNCATE messaging_message, messaging_messagestatuschange, django_q_ormq, django_q_task CASCADE")
        cur.execute("DELETE FROM django_q_schedule")  # the dispatcher stays out of the measurement
        cur.execute("VACUUM ANALYZE messaging_message")
    MessageTemplate.objects.filter(kind="points_burning").delete()
    template_save(kind="points_burning", channel="sms", language="en",
                  body="{name}, {points} burn on {expires_on}. Balance: {balance}.")  # fmt: skip
    template_save(kind="points_burning", channel="sms", language="ru",
                  body="{name}, {expires_on} сгорят {points}. Баланс: {balance}.")  # fmt: skip
    notice_settings()  # the default rows: on, SMS then email, 7 days before
    settings.MESSAGING_PROVIDERS["console"]["STREAM"] = open(os.devnull, "w")  # noqa: SIM115 - for the whole run
    settings.MESSAGING_CHANNEL_PROVIDERS["sms"] = "console"
    settings.MESSAGING_QUIET_HOURS_START = settings.MESSAGING_QUIET_HOURS_END = 0  # a run at night sends too

    today = timezone.localdate()
    for label in ("daily job", "the same job again"):
        print(f"{label}: {load_average()}", flush=True)
        started = time.perf_counter()
        result = points_burning_notices_queue(as_of=today)
        elapsed = time.perf_counter() - started
        print(f"{label}: {result} in {elapsed:.1f} s ({load_average()})", flush=True)
    total = Message.objects.count()
    queued = Message.objects.filter(status="queued").count()
    print(f"outbox: {total:,} notices for {args.customers:,} customers, {queued:,} queued, "
          f"{total - queued:,} skipped")  # fmt: skip
    languages = Message.objects.values_list("language").annotate(n=Count("id")).order_by("language")
    print("in the customers' languages: " + ", ".join(f"{language} {n:,}" for language, n in languages))

    if args.send:
        ids = list(Message.objects.filter(status="queued").order_by("pk").values_list("pk", flat=True)[: args.send])
        print(f"sending: {load_average()}", flush=True)
        seconds, sent, how = send_messages(ids=ids, at=timezone.now(), cluster=args.cluster)
        print(f"rendered and sent {sent:,} notices through the console provider in {seconds:.1f} s "
              f"({sent / seconds:,.0f}/s), {how} ({load_average()})")  # fmt: skip
        for language in ("en", "ru"):
            sample = Message.objects.filter(pk__in=ids, language=language).values_list("text", flat=True).first()
            print(f"e.g. ({language}) {sample!r}")
    if args.reminders:
        # A stress case of the same statement: nobody in the bench data has bought anything, so every
        # customer with 100 points or more is due a balance reminder (marketing: consent and cap checked).
        template_save(kind="balance_reminder", channel="sms", language=settings.LANGUAGE_CODE,
                      body="{name}, {balance} are waiting for you.")  # fmt: skip
        notice_setting_update(kind="balance_reminder", enabled=True, channels=["sms", "email"])
        print(f"balance reminders: {load_average()}", flush=True)
        started = time.perf_counter()
        result = balance_reminder_notices_queue(as_of=today)
        print(f"balance reminders: {result} in {time.perf_counter() - started:.1f} s ({load_average()})", flush=True)
    print("goal: the daily job under 60 s for 1 000 000 customers")


if __name__ == "__main__":
    main()
