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
