"""Benchmark: the daily campaign run (campaigns_daily_run) over 1 000 000 customers.

    .venv/bin/python bench/campaigns_daily.py [--customers 1000000] [--reload]

Loads, straight into PostgreSQL with set-based SQL (bench/_database.py's customers; a bulk load, not the
services: this measures the campaigns), into its own database `boomerang_bench_campaigns` (override with
BENCH_DATABASE_URL; kept for the next run unless --reload): `--customers` customers with birthdays spread
over the year (born 1960–1999), first purchases 200–1 000 days ago and last purchases spread over the last
200 days (one in ten never bought), each with a points account. Then, from an empty ledger and outbox
each time, three campaigns active from today's midnight (so the run grants one day's occasions, as on
any day of a campaign that ran the days before; campaigns.occasions catches up to 6 missed days) with a 10 % holdout and an SMS message (templates in English and
Russian; a quarter of the customers have SMS consent, the rest get a `skipped` row saying why):
- a birthday: 200 points valid 14 days, on the day;
- a win-back, steps 30 / 60 / 90 days: 500 points valid 5 days;
- a broadcast to everyone: 100 points (the heaviest case: ~900 000 grants, entries, lots and messages).
It times the daily run for today with the birthday and the win-back (a day's occasions over the million
customers), the same run again (idempotent: nothing granted), then the run with the broadcast added (the
other two have nothing left for the day: it times the broadcast), and checks the ledger (balance =
Σ entries = Σ lot remainders). The time of each step (SQL statements grouped by what they write) is
printed; the commits (where PostgreSQL checks the deferred foreign keys of every row) are in the total only. The load average is printed with the figures (the
machine is shared). Goal: the run under 60 s.
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

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang_bench_campaigns"
)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def backend_cpu_seconds() -> float:
    """CPU seconds (user + system) the PostgreSQL backend of this connection has used: a figure the other
    load of a shared machine disturbs far less than the wall-clock time (the server must be on this machine:
    /proc/<pid>/stat; 0 when it cannot be read)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def load(customers: int) -> None:
    """The customers (bench/_database.py), their birthdays and purchase dates, and their accounts."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE customers_customer RESTART IDENTITY CASCADE")
        customers_and_purchases_insert(cur, customers, 0)
        started = time.perf_counter()
        cur.execute(
            """
            UPDATE customers_customer SET
                birthday = DATE '1960-01-01' + floor(random() * 14610)::int,
                first_purchase_at = CASE WHEN id % 10 = 0 THEN NULL
                                         ELSE now() - (200 + random() * 800) * interval '1 day' END,
                last_purchase_at = CASE WHEN id % 10 = 0 THEN NULL ELSE now() - (random() * 200) * interval '1 day' END
            """
        )
        cur.execute(
            "INSERT INTO loyalty_pointsaccount (customer_id, balance, points_owed, updated_at) "
            "SELECT id, 0, 0, now() FROM customers_customer"
        )
        print(f"set birthdays, purchase dates and accounts in {time.perf_counter() - started:.1f} s", flush=True)
        cur.execute("VACUUM ANALYZE")


def reset() -> None:
    """An empty ledger, outbox and campaign tables; every balance 0 (each run starts alike)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE campaigns_campaigngrant, campaigns_campaignvariant, campaigns_campaignlistmember, "
            "campaigns_campaign, loyalty_lotdebit, loyalty_pointslot, loyalty_ledgerentry, messaging_message, "
            "messaging_messagestatuschange, django_q_ormq, django_q_task RESTART IDENTITY CASCADE"
        )
        cur.execute(
            "UPDATE loyalty_pointsaccount SET balance = 0, points_owed = 0 WHERE balance <> 0 OR points_owed <> 0"
        )
        cur.execute("DELETE FROM django_q_schedule")
        # Not VACUUM ANALYZE on the emptied tables: statistics saying "empty" would make PostgreSQL check each
        # foreign key into them (at commit) with a sequential scan over the rows this very run inserts.
        cur.execute("ANALYZE customers_customer, loyalty_pointsaccount")


STEPS = (  # what each statement of the run is, by a fragment of its SQL (first match wins)
    ("INSERT INTO messaging_message", "messages (messaging's bulk insert)"),
    ("INSERT INTO loyalty_ledgerentry", "ledger: entries, lots, balances"),
    ("INSERT INTO campaigns_campaigngrant", "grant rows"),
    ("CREATE TEMP TABLE campaign_cand", "candidates: target, split, idempotency, limit"),
    ("CREATE TEMP TABLE campaign_occ", "occasions"),
    ("loyalty_bulk_credit", "ledger: checks, accounts, locks"),
)


class StepTimer:
    """Sums the time of the run's SQL statements by step (a connection execute wrapper)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            step = next((name for fragment, name in STEPS if fragment in sql), "other")
            self.seconds[step] = self.seconds.get(step, 0.0) + time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument(
        "--workers", type=int, default=None,
        help="CAMPAIGNS_DAILY_WORKERS for the run (default: the setting's, 2); with more than 1 the backend CPU "
        "figure counts the main connection only, not the workers' connections",
    )  # fmt: skip
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

    from campaigns.models import Campaign, CampaignGrant
    from campaigns.services.daily import campaigns_daily_run
    from customers.models import Customer
    from loyalty.models import LedgerEntry
    from loyalty.rules import local_midnight
    from loyalty.selectors import ledger_problems, program_settings_get
    from messaging.models import Message
    from messaging.services.templates import template_save

    call_command("migrate", verbosity=0)
    if Customer.objects.count() != args.customers:
        load(args.customers)
    else:
        print("reusing the loaded customers (pass --reload to load again)")
    reset()
    program_settings_get()
    settings.MESSAGING_QUIET_HOURS_START = settings.MESSAGING_QUIET_HOURS_END = 0  # a run at night queues too
    if args.workers is not None:
        settings.CAMPAIGNS_DAILY_WORKERS = args.workers
    print(f"CAMPAIGNS_DAILY_WORKERS = {settings.CAMPAIGNS_DAILY_WORKERS}", flush=True)
    now = timezone.now()
    common = {"status": Campaign.Status.ACTIVE, "starts_at": local_midnight(timezone.localdate(now)),
              "holdout_percent": 10, "channels": ["sms"], "created_at": now, "updated_at": now}  # fmt: skip

    def with_templates(campaign: Campaign) -> Campaign:
        for language, body in (
            ("en", "{name}, {points} until {expires_on}."),
            ("ru", "{name}, {points} до {expires_on}."),
        ):
            template_save(kind=campaign.message_kind, channel="sms", language=language, body=body)
        return campaign

    today = timezone.localdate()
    timings = []
    python_cpu = time.process_time()

    def timed(label: str, campaigns: list[Campaign]) -> None:
        print(f"{label}: {load_average()}", flush=True)
        timer = StepTimer()
        cpu = backend_cpu_seconds()
        started = time.perf_counter()
        with connection.execute_wrapper(timer):
            result = campaigns_daily_run(as_of=today)
        elapsed = time.perf_counter() - started  # the commits' foreign-key checks are in the total, not in a step
        cpu = backend_cpu_seconds() - cpu
        timings.append((label, elapsed))
        print(
            f"{label}: {elapsed:.1f} s ({load_average()}); CPU of the database backend {cpu:.1f} s, "
            f"of this process {time.process_time() - python_cpu:.1f} s so far",
            flush=True,
        )
        steps = sorted(timer.seconds.items(), key=lambda item: -item[1])
        print("  by step: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in steps), flush=True)
        for campaign in campaigns:
            counts = result["campaigns"].get(str(campaign.pk))
            if counts is None:
                print(f"  {campaign.name}: not running (a broadcast finishes after its run)")
                continue
            print(f"  {campaign.name}: granted {counts['granted']:,} ({counts['points']:,} points), holdout "
                  f"{counts['holdout']:,}, messages {counts['messages']}")  # fmt: skip

    daily = [
        with_templates(
            Campaign.objects.create(name="Birthday", kind="birthday", points=200, points_valid_days=14, **common)
        ),
        with_templates(
            Campaign.objects.create(
                name="Win-back", kind="win_back", absence_days=[30, 60, 90], points=500, points_valid_days=5, **common
            )
        ),
    ]
    timed("daily run: birthday and win-back", daily)
    timed("the same run again", daily)
    broadcast = with_templates(Campaign.objects.create(name="Broadcast", kind="broadcast", points=100, **common))
    timed("daily run with a broadcast to everyone", [*daily, broadcast])
    grants = CampaignGrant.objects.values_list("campaign__name").annotate(n=Count("id")).order_by("campaign__name")
    print("grant rows: " + ", ".join(f"{name} {n:,}" for name, n in grants))
    print(f"ledger entries {LedgerEntry.objects.count():,}, messages {Message.objects.count():,} "
          f"({Message.objects.filter(status='queued').count():,} queued)")  # fmt: skip
    started = time.perf_counter()
    problems = ledger_problems()
    print(f"ledger check: {len(problems)} customers disagree ({time.perf_counter() - started:.1f} s)")
    print(
        "goal: the daily run under 60 s for 1 000 000 customers; "
        + "; ".join(f"{label} {seconds:.1f} s" for label, seconds in timings)
    )


if __name__ == "__main__":
    main()
