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
