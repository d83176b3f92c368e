"""Where messaging queues the "points earned" notice: inside the purchase's transaction when the queue is a
table of the same database (django-q2's ORM broker), else after the commit (issue #16)."""

import pytest
from django_q.conf import Conf

from loyalty import events
from messaging import subscribers


@pytest.mark.parametrize(
    ("orm", "sync", "inside"),
    [("default", False, True), ("default", True, False), (None, False, False), ("other", False, False)],
)
def test_the_notice_is_queued_inside_the_purchase_only_with_the_orm_broker(monkeypatch, orm, sync, inside):
    monkeypatch.setattr(Conf, "ORM", orm)
    monkeypatch.setattr(Conf, "SYNC", sync)
    monkeypatch.setattr(events, "_purchase_recorded_subscribers", [])
    monkeypatch.setattr(events, "_purchase_recorded_in_transaction", [])
    subscribers.subscribe()
    assert subscribers.queue_is_a_table_of_the_database() is inside
    fn = subscribers.points_earned_notices_request
    assert (fn in events._purchase_recorded_in_transaction) is inside
    assert (fn in events._purchase_recorded_subscribers) is not inside


@pytest.mark.django_db
def test_a_batch_queues_one_notice_per_purchase_that_earned_points_in_one_insert(monkeypatch):
    """With the ORM broker, a batch chunk's notices are rows of the queue table, one per purchase that
    earned points, each the task async_task would have queued."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    monkeypatch.setattr(Conf, "ORM", "default")
    monkeypatch.setattr(Conf, "SYNC", False)
    batch = [
        events.PurchaseRecorded(purchase_id=11, customer_id=1, points_earned=5, points_redeemed=0),
        events.PurchaseRecorded(purchase_id=12, customer_id=2, points_earned=0, points_redeemed=10),
        events.PurchaseRecorded(purchase_id=13, customer_id=1, points_earned=7, points_redeemed=0),
    ]
    with CaptureQueriesContext(connection) as queries:
        subscribers.points_earned_notices_request(batch)
    tasks = [SignedPackage.loads(row.payload) for row in OrmQ.objects.order_by("id")]
    assert [(task["func"], task["args"]) for task in tasks] == [
        ("messaging.tasks.points_earned_notice_task", (11,)),
        ("messaging.tasks.points_earned_notice_task", (13,)),
    ]
    assert len({task["id"] for task in tasks}) == 2
    assert len([q for q in queries.captured_queries if "INSERT" in q["sql"]]) == 1


@pytest.mark.django_db
def test_a_purchase_queues_its_notice_in_its_own_transaction_without_a_savepoint(monkeypatch, customer_factory):
    """With the ORM broker, one purchase's notice is one prepared INSERT of the task row inside the purchase's
    transaction, with no savepoint around it (issue #16): the row is there after the purchase, and is the
    task async_task would have queued; a purchase that rolls back leaves none."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    from loyalty.services import purchase_record

    monkeypatch.setattr(Conf, "ORM", "default")
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(events, "_purchase_recorded_subscribers", [])
    monkeypatch.setattr(events, "_purchase_recorded_in_transaction", [])
    subscribers.subscribe()
    customer = customer_factory()
    purchase_record(customer_id=customer.pk, amount="100.00", idempotency_key="warm")
    OrmQ.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        purchase = purchase_record(customer_id=customer.pk, amount="1000.00", idempotency_key="k").purchase
    tasks = [SignedPackage.loads(row.payload) for row in OrmQ.objects.all()]
    assert [(task["func"], task["args"]) for task in tasks] == [
        ("messaging.tasks.points_earned_notice_task", (purchase.pk,))
    ]
    # one savepoint: the purchase's own transaction, nested in the test's; none around the notice
    assert len([q for q in queries.captured_queries if q["sql"].startswith("SAVEPOINT")]) == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        purchase_record(customer_id=customer.pk, amount="1000.00", idempotency_key="gone")
        raise RuntimeError("the till's transaction fails after the purchase")
    assert OrmQ.objects.count() == 1


def test_a_subscriber_without_a_savepoint_that_raises_is_logged_and_the_purchase_stands(monkeypatch, caplog):
    """savepoint=False only drops the savepoint: an error of the subscriber's own is still caught and logged."""
    calls = []

    def broken(event_list):
        calls.append(event_list)
        raise ValueError("boom")

    monkeypatch.setattr(events, "_purchase_recorded_in_transaction", [])
    monkeypatch.setattr(events, "_purchase_recorded_subscribers", [])
    events.purchase_recorded_subscribe(broken, in_transaction=True, many=True, savepoint=False)
    try:
        events.purchases_recorded_publish(
            [events.PurchaseRecorded(purchase_id=1, customer_id=1, points_earned=5, points_redeemed=0)]
        )
    finally:
        events.purchase_recorded_unsubscribe(broken)
    assert len(calls) == 1
    assert "subscriber" in caplog.text and "boom" in caplog.text
