"""What messaging does when the apps below it announce something (subscribed in messaging.apps)."""

from django.db import DEFAULT_DB_ALIAS, connection
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.humanhash import uuid
from django_q.models import OrmQ
from django_q.signals import pre_enqueue
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from core.audit import ERASED
from core.db import prepared_cursor
from customers.events import ConsentChanged, CustomerErased, consent_changed_subscribe, customer_erased_subscribe
from loyalty.events import (
    DailyRunFinished,
    PurchaseRecorded,
    TierUpgraded,
    daily_run_finished_subscribe,
    purchase_recorded_subscribe,
    tier_upgraded_subscribe,
)

from .models import ConsentChange, Message  # ConsentChange's table: messaging_consentchange

# What an erased person's messages keep in place of their text.
ERASED_TEXT = ERASED


def consent_history_record(event: ConsentChanged) -> None:
    """Append one ConsentChange per customer of `event`, inside the transaction that changed the consent
    (so the boolean and its history commit together). Set-based: one INSERT … SELECT unnest(…) for any
    number of customers (an import gives thousands) on PostgreSQL."""
    actor_id = event.actor.pk if getattr(event.actor, "is_authenticated", False) else None
    values = {
        "channel": event.channel,
        "granted": event.granted,
        "source": str(event.source),
        "at": event.at,
        "actor_id": actor_id,
        "origin": event.origin[:100],
        "note": event.note[:200],
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO messaging_consentchange "
                "(customer_id, channel, granted, source, at, actor_id, origin, note) "
                "SELECT id, %(channel)s, %(granted)s, %(source)s, %(at)s, %(actor_id)s, %(origin)s, %(note)s "
                "FROM unnest(%(ids)s::bigint[]) AS id",
                {**values, "ids": list(event.customer_ids)},
            )
        return
    ConsentChange.objects.bulk_create(
        [ConsentChange(customer_id=customer_id, **values) for customer_id in event.customer_ids], batch_size=1000
    )


def customer_messages_erase(event: CustomerErased) -> None:
    """Erase what the outbox holds about an erased person, in the erasure's transaction: the address,
    subject, text and links of every message to them (a tracked link then leads nowhere) and the notes of
    their consent history (one UPDATE each). The rows stay (counts, statuses and dates are not personal)."""
    Message.objects.filter(customer_id=event.customer_id).update(address="", subject="", text=ERASED_TEXT, links=[])
    ConsentChange.objects.filter(customer_id=event.customer_id).update(note="")


def queue_is_a_table_of_the_database() -> bool:
    """True when django-q2 queues tasks as rows of the default database (the ORM broker, not run
    synchronously): then a task queued inside a transaction commits or rolls back with it."""
    return Conf.ORM == DEFAULT_DB_ALIAS and not Conf.SYNC


def points_earned_notice_request(event: PurchaseRecorded) -> None:
    """For a purchase that earned points: queue its "points earned" notice task. With the ORM broker, inside
    the purchase's transaction (the task row commits with it: one commit per purchase, issue #16); else
    after it committed (a task run before the commit would not find the purchase)."""
    if event.points_earned > 0:
        async_task("messaging.tasks.points_earned_notice_task", event.purchase_id)


def points_earned_notices_request(events: list[PurchaseRecorded]) -> None:
    """points_earned_notice_request for a list of purchases (subscribed `many`: a batch chunk publishes its
    purchases at once, issue #16): one task per purchase that earned points, in the order recorded. With the
    ORM broker the task rows are inserted in one statement (tasks_queue_many), a single purchase's too; else
    one async_task each."""
    purchase_ids = [event.purchase_id for event in events if event.points_earned > 0]
    if purchase_ids and queue_is_a_table_of_the_database():
        tasks_queue_many("messaging.tasks.points_earned_notice_task", [(pk,) for pk in purchase_ids])
        return
    for pk in purchase_ids:
        async_task("messaging.tasks.points_earned_notice_task", pk)


def tasks_queue_many(func: str, calls: list[tuple]) -> None:
    """Queue `func` once per argument tuple of `calls`, as async_task does (the same signed package, the
    pre_enqueue signal), but with the rows of django-q2's ORM broker inserted in one statement, prepared once
    per connection (core.db.prepared_cursor: the single purchase's notice is one of its few statements, issue
    #16). Only with that broker (queue_is_a_table_of_the_database)."""
    broker = get_broker()
    now = timezone.now()
    packages = []
    for args in calls:
        tag = uuid()
        task = {"id": tag[1], "name": tag[0], "func": func, "args": args}
        if Conf.CACHED:
            task["cached"] = Conf.CACHED
        if Conf.ACK_FAILURES:
            task["ack_failure"] = Conf.ACK_FAILURES
        task["kwargs"] = {}
        task["started"] = now
        pre_enqueue.send(sender="django_q", task=task)
        # The lock as the ORM stores it (SQLite: naive UTC text): django-q claims a row by it (lock=…), so a
        # raw "…+00:00" would never be claimed and the demo's worker would spin on it (tester finding).
        lock = connection.ops.adapt_datetimefield_value(timezone.now())
        packages.append((broker.list_key or Conf.CLUSTER_NAME, SignedPackage.dumps(task), lock))
    if len(packages) > 1 and connection.vendor != "postgresql":
        OrmQ.objects.using(Conf.ORM).bulk_create(
            OrmQ(key=key, payload=payload, lock=lock) for key, payload, lock in packages
        )
        return
    with prepared_cursor() as cursor:
        if len(packages) == 1:
            cursor.execute(
                f'INSERT INTO {OrmQ._meta.db_table} ("key", "payload", "lock") VALUES (%s, %s, %s)',  # noqa: S608 - metadata
                list(packages[0]),
            )
        else:  # one array per column: no model instance per task (a batch's chunk, issue #16)
            cursor.execute(
                f'INSERT INTO {OrmQ._meta.db_table} ("key", "payload", "lock") '  # noqa: S608 - metadata
                "SELECT * FROM unnest(%s::varchar[], %s::text[], %s::timestamptz[])",
                [list(column) for column in zip(*packages, strict=True)],
            )


def tier_upgrade_notice_request(event: TierUpgraded) -> None:
    """After a purchase that moved its customer up a tier committed: queue the "tier upgrade" notice task."""
    async_task("messaging.tasks.tier_upgrade_notice_task", event.change_id)


def notices_daily_request(event: DailyRunFinished) -> None:
    """After the daily run of a date: queue the daily notices of that date (one task name per date)."""
    day = event.as_of.isoformat()
    async_task("messaging.tasks.notices_daily_task", day, task_name=f"messaging-notices-{day}")


def subscribe() -> None:
    """Register messaging's subscribers (idempotent)."""
    consent_changed_subscribe(consent_history_record)
    customer_erased_subscribe(customer_messages_erase)
    # Without a savepoint: its only statement is one INSERT into the task table, which has no constraint a
    # row could break (two statements fewer per purchase, issue #16).
    purchase_recorded_subscribe(
        points_earned_notices_request, in_transaction=queue_is_a_table_of_the_database(), many=True, savepoint=False
    )
    tier_upgraded_subscribe(tier_upgrade_notice_request)
    daily_run_finished_subscribe(notices_daily_request)
