"""Benchmark: queueing and sending 10 000 SMS through the outbox and the console provider.

    .venv/bin/python bench/messaging_send.py [--messages 10000] [--cluster] [--reload]

Bulk-loads `--messages` customers with an SMS consent into its own database `boomerang_bench_messaging`
(override with BENCH_DATABASE_URL; kept for the next run unless --reload), empties the outbox, then times:
1. queueing one service SMS per customer with `message_queue(defer=True)` (each its own transaction: the
   customer locked, the checks, the row and its history; no task of its own, as bulk notices will queue);
2. sending them: by default `message_send` called in this process one after the other (the worker's own
   work per message: claim, console provider, record); with --cluster, `outbox_dispatch` hands them to
   batch tasks (MESSAGING_DISPATCH_BATCH, 100) and a real django-q2 cluster (Q_WORKERS workers, default 2)
   takes those from the ORM broker, as in production. --per-message queues one task per message instead
   (message_queue without defer: what a single notice does), for comparison.
The console provider writes to /dev/null. Quiet hours are switched off for the run (the cluster's tasks
read the real clock). Rendering notices from templates: bench/messaging_notices.py.
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
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang_bench_messaging"
)


def load(customers: int) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE customers_customer RESTART IDENTITY CASCADE")
        customers_and_purchases_insert(cur, customers, 0)
        cur.execute("UPDATE customers_customer SET consent_sms = true")
        cur.execute("ANALYZE")


def send_messages(*, ids: list[int] | None, at, cluster: bool, per_message: bool = False) -> tuple[float, int, str]:
    """Send the queued messages `ids` (None: every message in the outbox) through the console provider and
    time it: by default `message_send` one after the other in this process (clock `at`); with `cluster`,
    `outbox_dispatch` hands them to batch tasks (unless `per_message`: their own tasks are queued already)
    and a real django-q2 cluster sends them. Returns (seconds, messages sent, how). Shared with
    bench/messaging_notices.py."""
    from django.conf import settings
    from django.db import connections

    from messaging.models import Message
    from messaging.services import message_send, outbox_dispatch

    if ids is None:
        ids = list(Message.objects.order_by("pk").values_list("pk", flat=True))
    started = time.perf_counter()
    if cluster:
        from django_q.brokers import get_broker
        from django_q.cluster import Cluster

        if not per_message:
            outbox_dispatch(limit=len(ids))
        connections.close_all()
        cluster_ = Cluster(get_broker())
        cluster_.start()
        try:
            while Message.objects.filter(pk__in=ids, status="sent").count() < len(ids):
                time.sleep(0.5)
        finally:
            cluster_.stop()
        tasks = "one task per message" if per_message else f"tasks of {settings.MESSAGING_DISPATCH_BATCH}"
        how = f"a django-q2 cluster of {settings.Q_CLUSTER['workers']} workers, {tasks}"
    else:
        for message_id in ids:
            message_send(message_id=message_id, now=at)
        how = "one process"
    elapsed = time.perf_counter() - started
    return elapsed, Message.objects.filter(pk__in=ids, status="sent").count(), how


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--cluster", action="store_true", help="send through a real django-q2 cluster")
    parser.add_argument("--per-message", action="store_true", help="one send task per message (no batches)")
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"], fresh=args.reload)
    import django

    django.setup()
    logging.getLogger("django-q").setLevel(logging.WARNING)  # a line per task would drown the figures
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from customers.models import Customer
    from messaging.services import message_queue

    call_command("migrate", verbosity=0)
    if Customer.objects.count() != args.messages:
        load(args.messages)
    else:
        print("reusing the loaded customers (pass --reload to load again)")
    with connection.cursor() as cur:
        cur.execute("TRUNCATE messaging_message, messaging_messagestatuschange, django_q_ormq, django_q_task CASCADE")
        cur.execute("DELETE FROM django_q_schedule")  # the dispatcher stays out of the measurement
    settings.MESSAGING_PROVIDERS["console"]["STREAM"] = open(os.devnull, "w")  # noqa: SIM115 - for the whole run
    settings.MESSAGING_CHANNEL_PROVIDERS["sms"] = "console"
    # The cluster's tasks read the real clock: no quiet hours, so that a run at night measures sending too.
    settings.MESSAGING_QUIET_HOURS_START = settings.MESSAGING_QUIET_HOURS_END = 0
    at = timezone.now()

    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    started = time.perf_counter()
    for customer_id in ids:
        message_queue(
            customer_id=customer_id, channel="sms", kind="bench", purpose="service", text="Hello", now=at,
            defer=not args.per_message,
        )  # fmt: skip
    queued = time.perf_counter() - started
    print(f"queued {len(ids):,} messages in {queued:.1f} s ({len(ids) / queued:,.0f}/s)", flush=True)

    sent, count, how = send_messages(ids=None, at=at, cluster=args.cluster, per_message=args.per_message)
    print(f"sent {count:,} messages through the console provider in {sent:.1f} s ({count / sent:,.0f}/s), {how}")


if __name__ == "__main__":
    main()
